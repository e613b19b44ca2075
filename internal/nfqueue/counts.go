package nfqueue

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ReleasedPrefix starts the line a delay sidecar prints once its effect
// is undone (Counts.Line): the second line of Hold's contract.
const ReleasedPrefix = "released"

// Line is the counts as `firedrill agent delay` prints them at its
// release: "released delayed=1234 flushed=3 dropped=0 max_waiting=17
// held_mean_us=100210 held_max_us=101050" (dropped=unknown when the
// kernel's table could not be read). The netem sidecar prints the same
// line with the fields tc reports (delayed, dropped).
func (c Counts) Line() string {
	dropped := "unknown"
	if c.DroppedKnown {
		dropped = strconv.FormatUint(c.Dropped, 10)
	}
	return fmt.Sprintf("%s delayed=%d flushed=%d dropped=%s max_waiting=%d held_mean_us=%d held_max_us=%d",
		ReleasedPrefix, c.Delayed, c.Flushed, dropped, c.MaxWaiting, c.HeldMean().Microseconds(), c.HeldMax.Microseconds())
}

// ParseCounts finds the release line in out (what a sidecar printed after
// its first line) and reads it back. Only delayed is required; a field
// left out is zero, and dropped left out (or "unknown") is unknown.
func ParseCounts(out string) (Counts, error) {
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), ReleasedPrefix+" ")
		if !ok {
			continue
		}
		var c Counts
		var mean time.Duration
		haveDelayed := false
		for _, kv := range strings.Fields(rest) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return Counts{}, fmt.Errorf("nfqueue: malformed field %q in %q", kv, line)
			}
			if k == "dropped" && v == "unknown" {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return Counts{}, fmt.Errorf("nfqueue: field %s of %q: %w", k, line, err)
			}
			switch k {
			case "delayed":
				c.Delayed, haveDelayed = n, true
			case "flushed":
				c.Flushed = n
			case "dropped":
				c.Dropped, c.DroppedKnown = n, true
			case "max_waiting":
				c.MaxWaiting = int(n)
			case "held_mean_us":
				mean = time.Duration(n) * time.Microsecond
			case "held_max_us":
				c.HeldMax = time.Duration(n) * time.Microsecond
			}
		}
		if !haveDelayed {
			return Counts{}, fmt.Errorf("nfqueue: no delayed count in %q", line)
		}
		// Kept as the sum, so that HeldMean gives the mean back.
		c.HeldSum = mean * time.Duration(c.Delayed)
		return c, nil
	}
	return Counts{}, fmt.Errorf("nfqueue: no %q line in %q", ReleasedPrefix, out)
}
