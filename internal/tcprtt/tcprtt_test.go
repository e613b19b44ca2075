package tcprtt

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	if s := summarize(ms(5, 1, 100, 3, 2), 1); s.N != 5 || s.Failed != 1 || s.Median != 3*time.Millisecond || s.Min != time.Millisecond || s.Max != 100*time.Millisecond {
		t.Errorf("odd count: %+v, want median 3ms, min 1ms, max 100ms", s)
	}
	if s := summarize(ms(4, 1, 2, 3), 0); s.Median != 2500*time.Microsecond {
		t.Errorf("even count: median %s, want 2.5ms (the mean of the middle two)", s.Median)
	}
}

func TestLineRoundTrip(t *testing.T) {
	s := Sample{N: 5, Failed: 2, Median: 100812 * time.Microsecond, Min: 300 * time.Microsecond, Max: 2 * time.Second}
	got, err := Parse("some log line\n" + s.Line() + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if got != s {
		t.Errorf("parsed %+v, want %+v", got, s)
	}
	for _, bad := range []string{"", "no line here", "rtt n=5 failed=0", "rtt n=x failed=0 median_us=1 min_us=1 max_us=1", "rtt n5"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) gave no error", bad)
		}
	}
}

// Connects to a listener on loopback are measured; a closed port answers
// with a RST, which is a round trip too.
func TestMeasureLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	s, err := Measure(context.Background(), ln.Addr().String(), 3, time.Second)
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 3 || s.Failed != 0 || s.Min <= 0 || s.Min > s.Median || s.Median > s.Max {
		t.Errorf("sample %+v: want 3 ordered round trips", s)
	}
	// The listener is closed now: refused, still measured.
	s, err = Measure(context.Background(), ln.Addr().String(), 2, time.Second)
	if err != nil || s.N != 2 {
		t.Errorf("to a closed port: %+v, %v; want 2 refused round trips", s, err)
	}
	if _, err := Measure(context.Background(), ln.Addr().String(), 0, time.Second); err == nil || !strings.Contains(err.Error(), "count") {
		t.Errorf("count 0: %v, want an error", err)
	}
}
