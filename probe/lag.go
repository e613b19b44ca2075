package probe

import (
	"math"
	"slices"
	"time"

	"github.com/firedrill/firedrill"
)

// Lag summarises the schedule lag of a probe's ops: Sent − Due, how late
// each op was handed to the Writer against the open-loop schedule. A lag
// that grows means the probe (or the machine it runs on) could not keep
// the rate, and the samples under-represent that period: coordinated
// omission made visible (docs/measurement.md, "Schedule lag").
type Lag struct {
	N             int // ops counted
	P50, P99, Max time.Duration
}

// ScheduleLag computes Lag over ops (nearest-rank percentiles); the zero
// Lag means no ops.
func ScheduleLag(ops []firedrill.Op) Lag {
	if len(ops) == 0 {
		return Lag{}
	}
	lags := make([]time.Duration, len(ops))
	for i, op := range ops {
		lags[i] = op.Sent - op.Due
	}
	slices.Sort(lags)
	return Lag{N: len(lags), P50: rank(lags, 0.50), P99: rank(lags, 0.99), Max: lags[len(lags)-1]}
}

// rank is the nearest-rank q-quantile of sorted (non-empty).
func rank(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
