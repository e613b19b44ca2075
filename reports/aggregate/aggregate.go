package aggregate

import (
	"cmp"
	"slices"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/score"
)

// Value is one run's figure: milliseconds (a count for lost writes), or
// Never for an RTO that never ended (a fault still unrecovered when
// observation ended), which ranks above every number.
type Value struct {
	MS    float64 `json:"ms"`
	Never bool    `json:"never,omitempty"`
}

func (v Value) compare(o Value) int {
	switch {
	case v.Never && o.Never:
		return 0
	case v.Never:
		return 1
	case o.Never:
		return -1
	}
	return cmp.Compare(v.MS, o.MS)
}

// Stat is a figure over runs. P50, P90 and Max are nil when no run
// measured it; Unmeasured counts the runs that could not (docs/measurement.md,
// "Inconclusive or fail"): they are not in the percentiles.
type Stat struct {
	Measured   int    `json:"measured"`
	Unmeasured int    `json:"unmeasured"`
	P50        *Value `json:"p50,omitempty"`
	P90        *Value `json:"p90,omitempty"`
	Max        *Value `json:"max,omitempty"`
}

// Run is one result as a summary reads it.
type Run struct {
	RunID     string            `json:"run_id"`
	StartedAt time.Time         `json:"started_at"`
	Verdict   firedrill.Verdict `json:"verdict"`
	// RTO, RPO and Lost are nil when the run could not measure them.
	RTO  *Value `json:"rto,omitempty"`
	RPO  *Value `json:"rpo,omitempty"`
	Lost *Value `json:"lost_writes,omitempty"`
}

// Scenario is the summary of one scenario's runs, in the order they ran.
type Scenario struct {
	Scenario string                    `json:"scenario"`
	Runs     []Run                     `json:"runs"`
	Verdicts map[firedrill.Verdict]int `json:"verdicts"`
	RTO      Stat                      `json:"rto"`
	RPO      Stat                      `json:"rpo"`
	Lost     Stat                      `json:"lost_writes"`
}

// Summarise groups results by scenario, in the order each scenario first
// appears, and sorts each one's runs by their start (a history read from
// a directory comes in file order).
func Summarise(results []firedrill.Result) []Scenario {
	var out []Scenario
	index := map[string]int{}
	for _, r := range results {
		i, ok := index[r.Scenario]
		if !ok {
			i = len(out)
			index[r.Scenario] = i
			out = append(out, Scenario{Scenario: r.Scenario, Verdicts: map[firedrill.Verdict]int{}})
		}
		out[i].Runs = append(out[i].Runs, RunOf(r))
		out[i].Verdicts[r.Verdict]++
	}
	for i := range out {
		s := &out[i]
		slices.SortStableFunc(s.Runs, func(a, b Run) int { return a.StartedAt.Compare(b.StartedAt) })
		s.RTO = stat(s.Runs, func(r Run) *Value { return r.RTO })
		s.RPO = stat(s.Runs, func(r Run) *Value { return r.RPO })
		s.Lost = stat(s.Runs, func(r Run) *Value { return r.Lost })
	}
	return out
}

// RunOf reads one result's figures. A run's RTO is its worst fault's: Never
// when a fault never recovered, else the largest measured RTO; none when
// the rto objective had no data (a fault unconfirmed, or no data at all)
// or no fault recovered.
func RunOf(r firedrill.Result) Run {
	run := Run{RunID: r.RunID, StartedAt: r.StartedAt, Verdict: r.Verdict}
	noData := false
	for _, o := range r.Objectives {
		if o.Name == score.ObjectiveRTO && o.Status == firedrill.StatusNoData {
			noData = true
		}
	}
	var worst *Value
	for _, f := range r.Faults {
		switch {
		case f.Recovery == firedrill.RecoveryNever:
			worst = &Value{Never: true}
		case f.Recovery == firedrill.RecoveryRecovered && f.RTOMS != nil && (worst == nil || !worst.Never && *f.RTOMS > worst.MS):
			worst = &Value{MS: *f.RTOMS}
		}
	}
	if worst != nil && (worst.Never || !noData) {
		run.RTO = worst
	}
	if r.RPOMS != nil {
		run.RPO = &Value{MS: *r.RPOMS}
	}
	if r.Writes.Lost != nil {
		run.Lost = &Value{MS: float64(*r.Writes.Lost)}
	}
	return run
}

func stat(runs []Run, get func(Run) *Value) Stat {
	var vs []Value
	st := Stat{}
	for _, r := range runs {
		if v := get(r); v != nil {
			vs = append(vs, *v)
		} else {
			st.Unmeasured++
		}
	}
	st.Measured = len(vs)
	if len(vs) == 0 {
		return st
	}
	slices.SortFunc(vs, Value.compare)
	p50, p90, top := score.NearestRank(valueRanks(vs), 0.50), score.NearestRank(valueRanks(vs), 0.90), vs[len(vs)-1]
	st.P50, st.P90, st.Max = &vs[p50], &vs[p90], &top
	return st
}

// valueRanks is 0..n-1: NearestRank picks an index into the sorted values
// (Values are not cmp.Ordered: Never ranks above every number).
func valueRanks(vs []Value) []int {
	ranks := make([]int, len(vs))
	for i := range ranks {
		ranks[i] = i
	}
	return ranks
}
