package svg

import (
	"math"
	"testing"
)

func TestNiceStep(t *testing.T) {
	for _, tt := range []struct {
		span float64
		n    int
		want float64
	}{
		{60000, 12, 5000}, {20000, 12, 2000}, {600000, 12, 50000}, {700000, 12, 100000}, {7.9, 5, 2}, {1, 5, 0.2}, {0, 5, 1},
	} {
		if got := NiceStep(tt.span, tt.n); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("NiceStep(%v, %d) = %v, want %v", tt.span, tt.n, got, tt.want)
		}
	}
}

func TestLinearClamps(t *testing.T) {
	l := Linear{Domain: 1000, From: 100, Length: 500}
	for v, want := range map[float64]float64{0: 100, 500: 350, 1000: 600, -5: 100, 2000: 600} {
		if got := l.At(v); got != want {
			t.Errorf("At(%v) = %v, want %v", v, got, want)
		}
	}
	if got := (Linear{From: 7}).At(3); got != 7 {
		t.Errorf("an empty domain maps to From, got %v", got)
	}
}

func TestNumAndLabels(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 12.345: "12.3", -3.96: "-4", math.NaN(): "0"} {
		if got := Num(v); got != want {
			t.Errorf("Num(%v) = %q, want %q", v, got, want)
		}
	}
	for ms, want := range map[float64]string{0: "0s", 2500: "2.5s", 90000: "90s"} {
		if got := SecondsLabel(ms); got != want {
			t.Errorf("SecondsLabel(%v) = %q, want %q", ms, got, want)
		}
	}
	if got := Clip("restore logical → pg-restored", 10); got != "restore l…" {
		t.Errorf("Clip = %q", got)
	}
	if got := Polyline("p50", [][2]float64{{1, 2}, {3.25, 4}}, "").Points; got != "1,2 3.3,4" {
		t.Errorf("Polyline points %q", got)
	}
}
