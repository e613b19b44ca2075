package human

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{420 * time.Microsecond, "0.42ms"},
		{850 * time.Millisecond, "850ms"},
		{999600 * time.Microsecond, "1s"},
		{3214 * time.Millisecond, "3.21s"},
		{3100 * time.Millisecond, "3.1s"},
		{15 * time.Second, "15s"},
		{59996 * time.Millisecond, "1m00s"},
		{65 * time.Second, "1m05s"},
		{3725 * time.Second, "1h02m05s"},
		{-850 * time.Millisecond, "-850ms"},
	} {
		if got := Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for b, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 12600: "12.3 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := Bytes(b); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", b, got, want)
		}
	}
}
