package compare

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/aggregate"
	"github.com/firedrill/firedrill/reports/internal/human"
	"github.com/firedrill/firedrill/reports/trend"
)

// Change is how a figure moved from OLD to NEW.
type Change string

// Changes.
const (
	Better Change = "better"
	Worse  Change = "worse"
	Same   Change = "same"
	// NotComparable: a side did not measure the figure (or has no run of
	// the scenario, or the values have no order, such as an inconclusive
	// verdict); Figure.Note says why.
	NotComparable Change = "not comparable"
)

// notMeasured is how a figure that was not measured is written.
const notMeasured = trend.NotMeasured

// Figure is one line of a scenario's comparison.
type Figure struct {
	Name   string `json:"name"`
	Old    string `json:"old"`
	New    string `json:"new"`
	Change Change `json:"change"`
	// Delta is NEW − OLD for a number ("+1.2s", "-3"); empty otherwise.
	Delta string `json:"delta,omitempty"`
	Note  string `json:"note,omitempty"`
}

// Scenario is the comparison of one scenario's runs.
type Scenario struct {
	Scenario string   `json:"scenario"`
	OldRuns  int      `json:"old_runs"`
	NewRuns  int      `json:"new_runs"`
	Figures  []Figure `json:"figures"`
}

// Comparison is every scenario of OLD and NEW, in the order they first
// appear (OLD's first, then those only NEW has).
type Comparison struct {
	Scenarios []Scenario `json:"scenarios"`
}

// Counts tallies the figures by change.
func (c Comparison) Counts() map[Change]int {
	n := map[Change]int{}
	for _, s := range c.Scenarios {
		for _, f := range s.Figures {
			n[f.Change]++
		}
	}
	return n
}

// side is one side's runs of a scenario.
type side struct {
	results []firedrill.Result
	agg     aggregate.Scenario
}

func (s side) runs() int { return len(s.results) }

// sides groups results by scenario, in first-appearance order.
func sides(results []firedrill.Result) (map[string]side, []string) {
	by := map[string]side{}
	var order []string
	for _, r := range results {
		s, ok := by[r.Scenario]
		if !ok {
			order = append(order, r.Scenario)
		}
		s.results = append(s.results, r)
		by[r.Scenario] = s
	}
	for name, s := range by {
		s.agg = aggregate.Summarise(s.results)[0]
		by[name] = s
	}
	return by, order
}

// Compare compares OLD's results with NEW's, scenario by scenario.
func Compare(oldResults, newResults []firedrill.Result) Comparison {
	olds, order := sides(oldResults)
	news, newOrder := sides(newResults)
	for _, name := range newOrder {
		if _, ok := olds[name]; !ok {
			order = append(order, name)
		}
	}
	var c Comparison
	for _, name := range order {
		c.Scenarios = append(c.Scenarios, compareScenario(name, olds[name], news[name]))
	}
	return c
}

func compareScenario(name string, o, n side) Scenario {
	sc := Scenario{Scenario: name, OldRuns: o.runs(), NewRuns: n.runs()}
	if o.runs() == 0 || n.runs() == 0 {
		missing := "OLD"
		if n.runs() == 0 {
			missing = "NEW"
		}
		sc.Figures = []Figure{{Name: "runs", Old: strconv.Itoa(o.runs()), New: strconv.Itoa(n.runs()), Change: NotComparable,
			Note: missing + " has no run of this scenario"}}
		return sc
	}
	several := o.runs() > 1 || n.runs() > 1
	add := func(f Figure) { sc.Figures = append(sc.Figures, f) }
	add(verdictFigure(o, n))
	for _, st := range statFigures(several) {
		add(st.compare(o, n))
	}
	if !several {
		for _, f := range faultFigures(o.results[0], n.results[0]) {
			add(f)
		}
	}
	add(shareFigure("failed-but-present writes", o, n, failedButPresent, showCount))
	add(shareFigure("split brain", o, n, splitBrain, yesNo))
	for _, f := range objectiveFigures(o, n) {
		add(f)
	}
	return sc
}

// statFigure is a figure read from the aggregate: Name "rto", "rto p90".
type statFigure struct {
	name string
	pick func(aggregate.Scenario) *aggregate.Value
	// count: lost writes, a number of writes rather than milliseconds.
	count bool
}

// statFigures are the aggregate's figures compared: p50 alone when each
// side is one run (p50 of one run is the run's figure), p90 and max too
// for a game day.
func statFigures(several bool) []statFigure {
	stats := []struct {
		name  string
		get   func(aggregate.Scenario) aggregate.Stat
		count bool
	}{
		{"rto", func(s aggregate.Scenario) aggregate.Stat { return s.RTO }, false},
		{"rpo", func(s aggregate.Scenario) aggregate.Stat { return s.RPO }, false},
		{"lost writes", func(s aggregate.Scenario) aggregate.Stat { return s.Lost }, true},
	}
	var out []statFigure
	for _, st := range stats {
		get := st.get
		if !several {
			out = append(out, statFigure{st.name, func(s aggregate.Scenario) *aggregate.Value { return get(s).P50 }, st.count})
			continue
		}
		out = append(out,
			statFigure{st.name + " p50", func(s aggregate.Scenario) *aggregate.Value { return get(s).P50 }, st.count},
			statFigure{st.name + " p90", func(s aggregate.Scenario) *aggregate.Value { return get(s).P90 }, st.count},
			statFigure{st.name + " max", func(s aggregate.Scenario) *aggregate.Value { return get(s).Max }, st.count})
	}
	return out
}

func (st statFigure) compare(o, n side) Figure {
	return valueFigure(st.name, st.pick(o.agg), st.pick(n.agg), st.count)
}

// valueFigure compares two values where lower is better; nil is not
// measured.
func valueFigure(name string, ov, nv *aggregate.Value, count bool) Figure {
	f := Figure{Name: name, Old: showValue(ov, count), New: showValue(nv, count)}
	switch {
	case ov == nil || nv == nil:
		f.Change, f.Note = NotComparable, notMeasuredNote(ov == nil, nv == nil)
	case ov.Never && nv.Never:
		f.Change = Same
	case nv.Never:
		f.Change = Worse
	case ov.Never:
		f.Change = Better
	default:
		f.Change = order(nv.MS, ov.MS)
		if f.Change != Same {
			f.Delta = delta(nv.MS-ov.MS, count)
		}
	}
	return f
}

func notMeasuredNote(oldMissing, newMissing bool) string {
	switch {
	case oldMissing && newMissing:
		return "measured on neither side"
	case oldMissing:
		return "not measured in OLD"
	}
	return "not measured in NEW"
}

// order is the change of a lower-is-better figure from old to new.
func order(newV, oldV float64) Change {
	switch {
	case newV < oldV:
		return Better
	case newV > oldV:
		return Worse
	}
	return Same
}

func showValue(v *aggregate.Value, count bool) string { return trend.FormatValue(v, count) }

func delta(d float64, count bool) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	if count {
		return sign + strconv.FormatFloat(d, 'f', -1, 64)
	}
	return sign + human.Millis(d)
}

// verdictFigure: pass is better than fail; an inconclusive verdict has no
// order against either. For a game day, the share of runs that passed.
func verdictFigure(o, n side) Figure {
	if o.runs() == 1 && n.runs() == 1 {
		ov, nv := o.results[0].Verdict, n.results[0].Verdict
		f := Figure{Name: "verdict", Old: string(ov), New: string(nv)}
		switch {
		case ov == nv:
			f.Change = Same
		case ov == firedrill.VerdictInconclusive || nv == firedrill.VerdictInconclusive:
			f.Change, f.Note = NotComparable, "an inconclusive verdict is neither better nor worse"
		case nv == firedrill.VerdictPass:
			f.Change = Better
		default:
			f.Change = Worse
		}
		return f
	}
	passes := func(s side) int { return s.agg.Verdicts[firedrill.VerdictPass] }
	f := Figure{Name: "verdict (runs passed)", Old: verdictCounts(o.agg), New: verdictCounts(n.agg)}
	f.Change = higherBetter(float64(passes(o))/float64(o.runs()), float64(passes(n))/float64(n.runs()))
	return f
}

func verdictCounts(a aggregate.Scenario) string {
	s := ""
	for _, v := range []firedrill.Verdict{firedrill.VerdictPass, firedrill.VerdictFail, firedrill.VerdictInconclusive} {
		if n := a.Verdicts[v]; n > 0 {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%d %s", n, v)
		}
	}
	return s
}

func higherBetter(oldV, newV float64) Change {
	return order(oldV, newV)
}

// shareFigure compares a count per run that should be zero. One run each:
// the count (nil: not measured). Several: how many runs had any.
func shareFigure(name string, o, n side, get func(firedrill.Result) *int, show func(*int) string) Figure {
	if o.runs() == 1 && n.runs() == 1 {
		ov, nv := get(o.results[0]), get(n.results[0])
		f := Figure{Name: name, Old: show(ov), New: show(nv)}
		if ov == nil || nv == nil {
			f.Change, f.Note = NotComparable, notMeasuredNote(ov == nil, nv == nil)
			return f
		}
		f.Change = order(float64(*nv), float64(*ov))
		if f.Change != Same {
			f.Delta = delta(float64(*nv-*ov), true)
		}
		return f
	}
	share := func(s side) (hit, measured int) {
		for _, r := range s.results {
			if v := get(r); v != nil {
				measured++
				if *v > 0 {
					hit++
				}
			}
		}
		return hit, measured
	}
	oh, om := share(o)
	nh, nm := share(n)
	f := Figure{Name: name + " (runs with any)", Old: shareText(oh, om, o.runs()), New: shareText(nh, nm, n.runs())}
	if om == 0 || nm == 0 {
		f.Change, f.Note = NotComparable, notMeasuredNote(om == 0, nm == 0)
		return f
	}
	f.Change = order(float64(nh)/float64(nm), float64(oh)/float64(om))
	return f
}

func shareText(hit, measured, runs int) string {
	s := fmt.Sprintf("%d of %d", hit, measured)
	if measured < runs {
		s += fmt.Sprintf(" (%d not measured)", runs-measured)
	}
	return s
}

func showCount(v *int) string {
	if v == nil {
		return notMeasured
	}
	return strconv.Itoa(*v)
}

// yesNo shows split brain for one run.
func yesNo(v *int) string {
	if *v > 0 {
		return "yes"
	}
	return "no"
}

func failedButPresent(r firedrill.Result) *int { return r.Writes.FailedButPresent }

// splitBrain is 1 for a run that saw two primaries accept writes. A result
// always says (false when not seen).
func splitBrain(r firedrill.Result) *int {
	v := 0
	if r.SplitBrain {
		v = 1
	}
	return &v
}

// faultFigures compares each fault both runs have (by injection id): its
// RTO and each phase.
func faultFigures(o, n firedrill.Result) []Figure {
	var out []Figure
	for _, of := range o.Faults {
		i := slices.IndexFunc(n.Faults, func(f firedrill.FaultResult) bool { return f.ID == of.ID })
		if i < 0 {
			continue
		}
		nf := n.Faults[i]
		label := fmt.Sprintf("%s (%s %s)", of.ID, of.Action, of.Target)
		f := valueFigure(label+" rto", faultRTO(of), faultRTO(nf), false)
		if f.Change == NotComparable {
			f.Old, f.New = faultRTOText(of), faultRTOText(nf)
		}
		out = append(out, f)
		for _, p := range []string{firedrill.PhaseDetect, firedrill.PhaseFence, firedrill.PhasePromote, firedrill.PhaseFirstWrite} {
			ov, oOK := of.Phases[p]
			nv, nOK := nf.Phases[p]
			if !oOK && !nOK {
				continue
			}
			pf := valueFigure(fmt.Sprintf("%s %s", of.ID, p), phaseValue(ov, oOK), phaseValue(nv, nOK), false)
			if pf.Change == NotComparable {
				pf.Note = "the phase happened on one side only"
			}
			out = append(out, pf)
		}
	}
	return out
}

func phaseValue(ms float64, ok bool) *aggregate.Value {
	if !ok {
		return nil
	}
	return &aggregate.Value{MS: ms}
}

// faultRTO is one fault's RTO as the aggregate counts it: measured when
// recovered, never when never, else not measured.
func faultRTO(f firedrill.FaultResult) *aggregate.Value {
	switch {
	case f.Recovery == firedrill.RecoveryNever:
		return &aggregate.Value{Never: true}
	case f.Recovery == firedrill.RecoveryRecovered && f.RTOMS != nil:
		return &aggregate.Value{MS: *f.RTOMS}
	}
	return nil
}

// faultRTOText says why a fault has no RTO: its recovery state.
func faultRTOText(f firedrill.FaultResult) string {
	if v := faultRTO(f); v != nil {
		return showValue(v, false)
	}
	return fmt.Sprintf("%s (%s)", notMeasured, f.Recovery)
}

// statusRank orders objective statuses: met above missed; the others have
// no order.
func statusRank(s firedrill.ObjectiveStatus) (int, bool) {
	switch s {
	case firedrill.StatusMet:
		return 1, true
	case firedrill.StatusMissed:
		return 0, true
	}
	return 0, false
}

// objectiveFigures compares each objective by name: met above missed; a
// no-data or report-only objective is not comparable. For a game day, the
// share of the runs that met it.
func objectiveFigures(o, n side) []Figure {
	var names []string
	for _, s := range []side{o, n} {
		for _, r := range s.results {
			for _, ob := range r.Objectives {
				if !slices.Contains(names, ob.Name) {
					names = append(names, ob.Name)
				}
			}
		}
	}
	var out []Figure
	for _, name := range names {
		out = append(out, objectiveFigure(name, o, n))
	}
	return out
}

func objectiveFigure(name string, o, n side) Figure {
	label := "objective " + name
	if o.runs() == 1 && n.runs() == 1 {
		ob, oOK := objective(o.results[0], name)
		nb, nOK := objective(n.results[0], name)
		f := Figure{Name: label, Old: objectiveText(ob, oOK), New: objectiveText(nb, nOK)}
		or, oRanked := statusRank(ob.Status)
		nr, nRanked := statusRank(nb.Status)
		switch {
		case !oOK || !nOK:
			f.Change, f.Note = NotComparable, "the objective is on one side only"
		case !oRanked || !nRanked:
			if ob.Status == nb.Status && ob.Status == firedrill.StatusReported {
				f.Change, f.Note = Same, "reported only: no limit to meet"
			} else {
				f.Change, f.Note = NotComparable, "not measured, or reported only"
			}
		default:
			f.Change = higherBetter(float64(or), float64(nr))
		}
		return f
	}
	share := func(s side) (met, ranked int, text string) {
		counts := map[firedrill.ObjectiveStatus]int{}
		for _, r := range s.results {
			ob, ok := objective(r, name)
			if !ok {
				continue
			}
			counts[ob.Status]++
			if rank, ok := statusRank(ob.Status); ok {
				ranked++
				met += rank
			}
		}
		for _, st := range []firedrill.ObjectiveStatus{firedrill.StatusMet, firedrill.StatusMissed, firedrill.StatusNoData, firedrill.StatusReported} {
			if counts[st] > 0 {
				if text != "" {
					text += ", "
				}
				text += fmt.Sprintf("%d %s", counts[st], st)
			}
		}
		return met, ranked, human.OrDash(text)
	}
	om, orank, otext := share(o)
	nm, nrank, ntext := share(n)
	f := Figure{Name: label + " (runs)", Old: otext, New: ntext}
	if orank == 0 || nrank == 0 {
		f.Change, f.Note = NotComparable, "no run met or missed it on one side"
		return f
	}
	f.Change = higherBetter(float64(om)/float64(orank), float64(nm)/float64(nrank))
	return f
}

func objective(r firedrill.Result, name string) (firedrill.ObjectiveResult, bool) {
	i := slices.IndexFunc(r.Objectives, func(o firedrill.ObjectiveResult) bool { return o.Name == name })
	if i < 0 {
		return firedrill.ObjectiveResult{}, false
	}
	return r.Objectives[i], true
}

func objectiveText(ob firedrill.ObjectiveResult, ok bool) string {
	if !ok {
		return "-"
	}
	if ob.Measured == "" {
		return string(ob.Status)
	}
	return fmt.Sprintf("%s (%s)", ob.Status, ob.Measured)
}
