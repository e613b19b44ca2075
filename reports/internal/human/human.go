package human

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration writes d for people: "0s", "0.42ms", "850ms", "3.21s",
// "15s", "1m05s", "1h02m05s". Under a second it is rounded to the
// millisecond, under a minute to the hundredth of a second (trailing zeros
// dropped), above to the second.
func Duration(d time.Duration) string {
	if d < 0 {
		return "-" + Duration(-d)
	}
	if d == 0 {
		return "0s"
	}
	if d < time.Millisecond {
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', -1, 64) + "ms"
	}
	if ms := d.Round(time.Millisecond); ms < time.Second {
		return fmt.Sprintf("%dms", ms/time.Millisecond)
	}
	if cs := d.Round(10 * time.Millisecond); cs < time.Minute {
		s := strconv.FormatFloat(cs.Seconds(), 'f', 2, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		return s + "s"
	}
	s := int64(d.Round(time.Second) / time.Second)
	if s < 3600 {
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm%02ds", s/3600, s%3600/60, s%60)
}

// Millis is Duration for a value in milliseconds, as Result stores them.
func Millis(ms float64) string {
	return Duration(time.Duration(math.Round(ms * float64(time.Millisecond))))
}

// Bytes writes a size (of WAL) for people: "0 B", "812 B", "12.3 KiB",
// "4.1 MiB".
func Bytes(b int64) string {
	const k = 1024
	switch {
	case b < k:
		return strconv.FormatInt(b, 10) + " B"
	case b < k*k:
		return strconv.FormatFloat(float64(b)/k, 'f', 1, 64) + " KiB"
	case b < k*k*k:
		return strconv.FormatFloat(float64(b)/(k*k), 'f', 1, 64) + " MiB"
	}
	return strconv.FormatFloat(float64(b)/(k*k*k), 'f', 1, 64) + " GiB"
}

// OrDash is s, or "-" for a value that is missing.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
