package score

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
)

// countWrites counts write outcomes and finds the lost writes.
//
// A write is lost when it was acknowledged (ok) and its id is not in
// readBack; it is verified when it was acknowledged and found. Failed and
// indeterminate writes are never lost; a failed write that is found is
// counted in FailedButPresent ("failed" promised it did not happen). With
// a nil readBack (no read-back could be made) Lost and FailedButPresent
// are nil and nothing is verified. The id lists are ordered by seq and
// capped at MaxLostIDs; the returned slice holds every lost write, ordered
// by seq.
func countWrites(writes []firedrill.Op, readBack map[string]bool) (firedrill.WriteStats, []firedrill.Op) {
	var st firedrill.WriteStats
	var lost, present []firedrill.Op
	for _, o := range writes {
		st.Attempted++
		switch o.Outcome {
		case firedrill.OutcomeOK:
			st.Acked++
			if readBack != nil {
				if readBack[o.ID] {
					st.Verified++
				} else {
					lost = append(lost, o)
				}
			}
		case firedrill.OutcomeIndeterminate:
			st.Indeterminate++
		default:
			st.Failed++
			if readBack[o.ID] {
				present = append(present, o)
			}
		}
	}
	if readBack == nil {
		return st, nil
	}
	st.Lost, st.LostIDs = idList(lost)
	st.FailedButPresent, st.FailedButPresentIDs = idList(present)
	return st, lost
}

// idList sorts ops by seq (in place) and returns their count and their
// ids, at most MaxLostIDs of them.
func idList(ops []firedrill.Op) (*int, []string) {
	sort.SliceStable(ops, func(i, j int) bool {
		if ops[i].Seq != ops[j].Seq {
			return ops[i].Seq < ops[j].Seq
		}
		return ops[i].ID < ops[j].ID
	})
	n := len(ops)
	var ids []string
	for _, o := range ops[:min(n, MaxLostIDs)] {
		ids = append(ids, o.ID)
	}
	return &n, ids
}

// scheduleLag is Sent − Due over the writes: p50 and p99 by nearest rank
// (the smallest lag that at least that share of the writes do not
// exceed), and the maximum; nil without writes (docs/measurement.md,
// "Schedule lag").
func scheduleLag(writes []firedrill.Op) *firedrill.ScheduleLag {
	if len(writes) == 0 {
		return nil
	}
	lags := make([]time.Duration, len(writes))
	for i, o := range writes {
		lags[i] = o.Sent - o.Due
	}
	slices.Sort(lags)
	return &firedrill.ScheduleLag{
		P50MS: firedrill.Millis(NearestRank(lags, 0.50)),
		P99MS: firedrill.Millis(NearestRank(lags, 0.99)),
		MaxMS: firedrill.Millis(lags[len(lags)-1]),
	}
}

// NearestRank is the p-quantile (0 < p <= 1) of sorted, a non-empty
// ascending slice, by the nearest-rank method: the smallest value that at
// least that share of the values do not exceed. It is always a value that
// was observed, never an interpolation; every percentile firedrill
// reports is one (docs/measurement.md, "Percentiles").
func NearestRank[T cmp.Ordered](sorted []T, p float64) T {
	return sorted[NearestRankIndex(len(sorted), p)]
}

// NearestRankIndex is the index, in n sorted values (n > 0), of their
// p-quantile by nearest rank: for values that are not cmp.Ordered (an RTO
// that never ended ranks above every number).
func NearestRankIndex(n int, p float64) int {
	k := int(math.Ceil(p*float64(n))) - 1
	return min(max(k, 0), n-1)
}

// readBackProblem says why the read-back cannot be trusted to tell lost
// writes: it must come from the node that acknowledged the last ok write
// (by ack time), or it may miss writes that are safe elsewhere
// (docs/measurement.md, "Read-back"). Empty when it can, or when there was
// no read-back or no acknowledged write (other reasons say so).
func readBackProblem(in Input, writes []firedrill.Op) string {
	if in.ReadBack == nil {
		return ""
	}
	var last *firedrill.Op
	for i := range writes {
		o := &writes[i]
		if o.Outcome == firedrill.OutcomeOK && (last == nil || o.Done > last.Done || o.Done == last.Done && o.Seq > last.Seq) {
			last = o
		}
	}
	switch {
	case last == nil:
		return ""
	case in.ReadFrom == "":
		return "the read-back did not say which node it read"
	case last.Node == "":
		return fmt.Sprintf("the last acknowledged write (%s) does not name its node, so the read-back from %s cannot be checked", last.ID, in.ReadFrom)
	case last.Node != in.ReadFrom:
		return fmt.Sprintf("read back from %s, but the last acknowledged writes came from %s", in.ReadFrom, last.Node)
	}
	return ""
}

// maxWarnIDs is how many ids a warning names.
const maxWarnIDs = 10

// warnings are the findings that break a promise of the measurement
// without deciding the verdict (docs/measurement.md, "Warnings").
func warnings(st firedrill.WriteStats) []string {
	var out []string
	if n := st.FailedButPresent; n != nil && *n > 0 {
		what := fmt.Sprintf("%d writes classified failed were found at read-back", *n)
		if *n == 1 {
			what = "1 write classified failed was found at read-back"
		}
		ids := st.FailedButPresentIDs[:min(len(st.FailedButPresentIDs), maxWarnIDs)]
		more := ""
		if *n > len(ids) {
			more = " …"
		}
		out = append(out, fmt.Sprintf("%s (%s%s): failed promises the write did not happen", what, strings.Join(ids, " "), more))
	}
	return out
}
