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
	// Phases are the phases of the fault that set the run's RTO (its
	// offsets from T, in ms; docs/measurement.md, "RTO"), full_redundancy
	// among them; absent when no fault set it.
	Phases     map[string]float64 `json:"phases,omitempty"`
	SplitBrain bool               `json:"split_brain,omitempty"`
}

// Scenario is the summary of one scenario's runs under one failover
// manager, in the order they ran.
type Scenario struct {
	Scenario string `json:"scenario"`
	// Manager is the failover manager the runs ran (Result.Manager);
	// empty for results written before it was recorded.
	Manager  string                    `json:"manager,omitempty"`
	Runs     []Run                     `json:"runs"`
	Verdicts map[firedrill.Verdict]int `json:"verdicts"`
	RTO      Stat                      `json:"rto"`
	RPO      Stat                      `json:"rpo"`
	Lost     Stat                      `json:"lost_writes"`
	// Phases holds, per phase name, the figure over the runs whose RTO
	// fault had that phase (the others are its unmeasured).
	Phases map[string]Stat `json:"phases,omitempty"`
	// SplitBrain counts the runs that saw a split brain.
	SplitBrain int `json:"split_brain"`
}

// Summarise groups results by scenario and failover manager, so that no
// figure mixes two stacks, in the order each pair first appears, and
// sorts each one's runs by their start (a history read from a directory
// comes in file order).
func Summarise(results []firedrill.Result) []Scenario {
	var out []Scenario
	type key struct{ scenario, manager string }
	index := map[key]int{}
	for _, r := range results {
		k := key{r.Scenario, r.Manager}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, Scenario{Scenario: r.Scenario, Manager: r.Manager, Verdicts: map[firedrill.Verdict]int{}})
		}
		out[i].Runs = append(out[i].Runs, RunOf(r))
		out[i].Verdicts[r.Verdict]++
		if r.SplitBrain {
			out[i].SplitBrain++
		}
	}
	for i := range out {
		s := &out[i]
		slices.SortStableFunc(s.Runs, func(a, b Run) int { return a.StartedAt.Compare(b.StartedAt) })
		s.RTO = stat(s.Runs, func(r Run) *Value { return r.RTO })
		s.RPO = stat(s.Runs, func(r Run) *Value { return r.RPO })
		s.Lost = stat(s.Runs, func(r Run) *Value { return r.Lost })
		for _, r := range s.Runs {
			for name := range r.Phases {
				if _, done := s.Phases[name]; done {
					continue
				}
				if s.Phases == nil {
					s.Phases = map[string]Stat{}
				}
				s.Phases[name] = stat(s.Runs, func(r Run) *Value {
					if ms, ok := r.Phases[name]; ok {
						return &Value{MS: ms}
					}
					return nil
				})
			}
		}
	}
	return out
}

// Managers are the failover managers of the summaries, in order, each
// once; a combined report names the manager of each row when there are
// several.
func Managers(scenarios []Scenario) []string {
	var out []string
	for _, s := range scenarios {
		if !slices.Contains(out, s.Manager) {
			out = append(out, s.Manager)
		}
	}
	return out
}

// RunOf reads one result's figures. A run's RTO is its worst fault's: Never
// when a fault never recovered, else the largest measured RTO; none when
// the rto objective had no data (a fault unconfirmed, or no data at all)
// or no fault recovered.
func RunOf(r firedrill.Result) Run {
	run := Run{RunID: r.RunID, StartedAt: r.StartedAt, Verdict: r.Verdict, SplitBrain: r.SplitBrain}
	noData := false
	for _, o := range r.Objectives {
		if o.Name == score.ObjectiveRTO && o.Status == firedrill.StatusNoData {
			noData = true
		}
	}
	var worst *Value
	var phases map[string]float64
	for _, f := range r.Faults {
		switch {
		case f.Recovery == firedrill.RecoveryNever:
			worst, phases = &Value{Never: true}, f.Phases
		case f.Recovery == firedrill.RecoveryRecovered && f.RTOMS != nil && (worst == nil || !worst.Never && *f.RTOMS > worst.MS):
			worst, phases = &Value{MS: *f.RTOMS}, f.Phases
		}
	}
	if worst != nil && (worst.Never || !noData) {
		run.RTO = worst
		if len(phases) > 0 {
			run.Phases = phases
		}
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
	p50, p90, top := vs[score.NearestRankIndex(len(vs), 0.50)], vs[score.NearestRankIndex(len(vs), 0.90)], vs[len(vs)-1]
	st.P50, st.P90, st.Max = &p50, &p90, &top
	return st
}
