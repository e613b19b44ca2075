package chaos

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

// The monkey's schedule (docs/architecture.md, "The monkey").

// monkeyStream separates the monkey's random draws from the other
// consumers of the run's seed (the health-check phase, a selector's mode
// one pick), so that adding a draw to one never shifts another.
const monkeyStream = 0x6d6f6e6b6579 // "monkey"

// Schedule is the drill's whole schedule for a run with seed: the
// timeline's faults and the monkey's, in time order. drill.Run and
// `firedrill plan` both build it here, so what plan lists is what run
// injects.
func Schedule(scn *scenarios.Scenario, seed int64) *firedrill.Schedule {
	s := firedrill.NewSchedule(scn)
	for _, in := range MonkeySchedule(scn, seed) {
		s.Add(in)
	}
	return s
}

// MonkeySchedule draws the monkey's faults: a pure function of the
// scenario (defaults applied, as the loader returns it) and the seed, so
// the same pair gives the same faults and `firedrill run --seed N`
// replays them. Nil when the monkey is absent or disabled.
//
// From monkey.between.start, the time to the next fault is drawn from an
// exponential distribution of mean monkey.mean_interval; a fault falling
// at or after monkey.between.end ends the schedule. Times are rounded to
// the millisecond. For each fault the action is drawn uniformly from the
// actions that have a candidate target, then the target uniformly from
// that action's candidates: every monkey.targets entry the action applies
// to, and every selector of monkey.selectors whose matches (in the
// topology as written) are all of a kind the action applies to, weighted
// by how many services it matches, so that each service a selector adds
// is as likely as a named target. Targets stay what the scenario names
// (postgres.primary is whichever node is primary at injection) and a
// selector stays a selector, with mode one: both are resolved when the
// fault is injected, the selector's pick drawn from the seed and the
// injection's id.
//
// A reversible action lasts monkey.fault_duration, cut to what is left of
// the window, so no monkey fault outlives it: a fault that would still run
// at the window's end is reverted then, as the language says. Params are
// the action's defaults. max_at_once is not applied here: whether a killed
// node runs again is only known while the drill runs, so the Runner skips,
// and records, a fault that would exceed it.
func MonkeySchedule(scn *scenarios.Scenario, seed int64) []firedrill.Injection {
	m := scn.Monkey
	if !m.IsEnabled() || m.MeanInterval.Duration <= 0 {
		return nil
	}
	infos := map[string]scenarios.ActionInfo{}
	for _, a := range scenarios.Actions() {
		infos[a.Name] = a
	}
	pool := monkeyPool(scn)
	type choice struct {
		info       scenarios.ActionInfo
		candidates []candidate
		weight     int
	}
	var choices []choice
	for _, name := range m.Actions {
		info, ok := infos[name]
		if !ok {
			continue
		}
		c := choice{info: info}
		for _, cand := range pool {
			if cand.fits(info) {
				c.candidates = append(c.candidates, cand)
				c.weight += cand.weight
			}
		}
		if c.weight > 0 {
			choices = append(choices, c)
		}
	}
	if len(choices) == 0 {
		return nil
	}

	rng := rand.New(rand.NewPCG(uint64(seed), monkeyStream))
	start, end := m.Between.Start.Duration, m.Between.End.Duration
	var out []firedrill.Injection
	t := start
	for {
		t += time.Duration(rng.ExpFloat64() * float64(m.MeanInterval.Duration))
		at := t.Round(time.Millisecond)
		if t < start || at >= end { // t < start: the sum overflowed
			return out
		}
		c := choices[rng.IntN(len(choices))]
		pick := rng.IntN(c.weight)
		var cand candidate
		for _, cand = range c.candidates {
			if pick < cand.weight {
				break
			}
			pick -= cand.weight
		}
		f := scenarios.Fault{At: scenarios.Duration{Duration: at}, Action: c.info.Name, Target: cand.target}
		if cand.selector != nil {
			sel := *cand.selector
			sel.Labels = maps.Clone(sel.Labels)
			sel.Mode = scenarios.ModeOne
			f.Target, f.Selector = "", &sel
		}
		if c.info.Reversible {
			f.For = &scenarios.Duration{Duration: min(m.FaultDuration.Duration, end-at)}
		}
		out = append(out, firedrill.MonkeyInjection(len(out)+1, withParamDefaults(f)))
	}
}

// candidate is one entry of the monkey's pool of targets.
type candidate struct {
	target   string              // a named target, or
	selector *scenarios.Selector // a selector
	kinds    []string            // the target kinds it stands for
	weight   int                 // how many services it stands for
}

// fits reports whether the action applies to every kind the candidate
// stands for: a selector that also matches something the action cannot
// hit would make the fault fail at injection half the time.
func (c candidate) fits(a scenarios.ActionInfo) bool {
	for _, k := range c.kinds {
		if !slices.Contains(a.Targets, k) {
			return false
		}
	}
	return len(c.kinds) > 0
}

// monkeyPool lists the monkey's targets, then its selectors, in the
// scenario's order.
func monkeyPool(scn *scenarios.Scenario) []candidate {
	m := scn.Monkey
	var pool []candidate
	for _, t := range m.Targets {
		pool = append(pool, candidate{target: t, kinds: []string{targetKind(t)}, weight: 1})
	}
	for i := range m.Selectors {
		matches := scn.Matches(m.Selectors[i])
		if len(matches) == 0 {
			continue
		}
		c := candidate{selector: &m.Selectors[i], weight: len(matches)}
		for _, svc := range matches {
			if k := targetKind(svc); !slices.Contains(c.kinds, k) {
				c.kinds = append(c.kinds, k)
			}
		}
		pool = append(pool, c)
	}
	return pool
}

// targetKind is the kind of target a target string names, as the action
// table lists them: postgres, region, storage or app.
func targetKind(target string) string {
	switch {
	case strings.HasPrefix(target, "postgres."):
		return "postgres"
	case strings.HasPrefix(target, "region."):
		return "region"
	}
	return target
}

// withParamDefaults fills the fault's params with its action's defaults,
// by the language's own rule: the fault is put on a scratch scenario's
// timeline and the loader's defaults are applied to it.
func withParamDefaults(f scenarios.Fault) scenarios.Fault {
	scratch := &scenarios.Scenario{Timeline: scenarios.Timeline{Faults: []scenarios.Fault{f}}}
	scratch.ApplyDefaults()
	return scratch.Timeline.Faults[0]
}
