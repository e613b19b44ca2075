package nfqueue

import (
	"testing"
	"time"
)

func TestCountsLineRoundTrip(t *testing.T) {
	c := Counts{Delayed: 1234, Flushed: 3, Dropped: 2, DroppedKnown: true, MaxWaiting: 17,
		HeldSum: 1234 * 100210 * time.Microsecond, HeldMax: 101050 * time.Microsecond}
	line := c.Line()
	if line != "released delayed=1234 flushed=3 dropped=2 max_waiting=17 held_mean_us=100210 held_max_us=101050" {
		t.Errorf("line %q", line)
	}
	got, err := ParseCounts("delaying queue 7\n" + line + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if got != c {
		t.Errorf("parsed %+v, want %+v", got, c)
	}

	unknown := Counts{Delayed: 1}
	got, err = ParseCounts(unknown.Line())
	if err != nil || got.DroppedKnown {
		t.Errorf("dropped=unknown parsed as %+v, %v; want unknown", got, err)
	}
	// The netem sidecar's line: only what tc counts.
	got, err = ParseCounts("released delayed=50 dropped=1")
	if err != nil || got.Delayed != 50 || !got.DroppedKnown || got.Dropped != 1 {
		t.Errorf("netem line parsed as %+v, %v", got, err)
	}
	for _, bad := range []string{"", "released", "released dropped=1", "released delayed=x", "released delayed"} {
		if _, err := ParseCounts(bad); err == nil {
			t.Errorf("ParseCounts(%q) gave no error", bad)
		}
	}
}
