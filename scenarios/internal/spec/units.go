package spec

import (
	"time"

	"github.com/firedrill/firedrill/scenarios/internal/units"
)

// Duration is a time.Duration written as a Go duration string ("15s",
// "1m30s", "500ms"); a bare number is rejected: it has no unit. It is
// package units', shared with package failover.
type Duration = units.Duration

// NewDuration returns a pointer to d as a Duration, for the optional
// objectives of a scenario built in code.
func NewDuration(d time.Duration) *Duration { return units.NewDuration(d) }

// ParseDuration parses a scenario duration: a Go duration string such as
// "15s", "1m30s" or "500ms".
func ParseDuration(s string) (Duration, error) { return units.ParseDuration(s) }
