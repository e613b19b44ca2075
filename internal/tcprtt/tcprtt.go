package tcprtt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sample is the outcome of a few connects to one address.
type Sample struct {
	// N is how many connects completed a round trip: accepted or refused
	// (a RST answers the SYN as surely as a SYN-ACK).
	N int
	// Failed is how many got no answer within the timeout.
	Failed int
	// Median, Min and Max are over the N round trips.
	Median, Min, Max time.Duration
}

// Measure connects to addr count times, one after another, each bounded
// by timeout, and closes every connection at once.
func Measure(ctx context.Context, addr string, count int, timeout time.Duration) (Sample, error) {
	if count < 1 {
		return Sample{}, fmt.Errorf("tcprtt: count %d, want at least 1", count)
	}
	var rtts []time.Duration
	failed := 0
	var lastErr error
	for range count {
		if err := ctx.Err(); err != nil {
			return Sample{}, err
		}
		d := net.Dialer{Timeout: timeout}
		start := time.Now()
		c, err := d.DialContext(ctx, "tcp", addr)
		rtt := time.Since(start)
		switch {
		case err == nil:
			c.Close()
			rtts = append(rtts, rtt)
		case errors.Is(err, syscall.ECONNREFUSED):
			rtts = append(rtts, rtt)
		default:
			failed++
			lastErr = err
		}
	}
	if len(rtts) == 0 {
		return Sample{Failed: failed}, fmt.Errorf("tcprtt: no connect to %s answered (%d tried): %w", addr, count, lastErr)
	}
	return summarize(rtts, failed), nil
}

func summarize(rtts []time.Duration, failed int) Sample {
	s := slices.Clone(rtts)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Sample{N: n, Failed: failed, Median: med, Min: s[0], Max: s[n-1]}
}

// linePrefix starts the line Line prints and Parse reads.
const linePrefix = "rtt "

// Line is the sample as the agent prints it: "rtt n=5 failed=0
// median_us=312 min_us=250 max_us=401".
func (s Sample) Line() string {
	return fmt.Sprintf("%sn=%d failed=%d median_us=%d min_us=%d max_us=%d", linePrefix, s.N, s.Failed,
		s.Median.Microseconds(), s.Min.Microseconds(), s.Max.Microseconds())
}

// Parse finds the line Line printed in out (a sidecar's output, which may
// hold other lines) and reads it back.
func Parse(out string) (Sample, error) {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, linePrefix)
		if !ok {
			continue
		}
		var s Sample
		seen := 0
		for _, kv := range strings.Fields(rest) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return Sample{}, fmt.Errorf("tcprtt: malformed field %q in %q", kv, line)
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return Sample{}, fmt.Errorf("tcprtt: field %s of %q: %w", k, line, err)
			}
			switch k {
			case "n":
				s.N = int(n)
			case "failed":
				s.Failed = int(n)
			case "median_us":
				s.Median = time.Duration(n) * time.Microsecond
			case "min_us":
				s.Min = time.Duration(n) * time.Microsecond
			case "max_us":
				s.Max = time.Duration(n) * time.Microsecond
			default:
				continue
			}
			seen++
		}
		if seen < 5 {
			return Sample{}, fmt.Errorf("tcprtt: incomplete line %q", line)
		}
		return s, nil
	}
	return Sample{}, fmt.Errorf("tcprtt: no %q line in the output: %q", strings.TrimSpace(linePrefix), out)
}
