package compare

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/aggregate"
)

// Rule is one --fail-on entry: a figure and how much worse NEW may be.
//
// Grammar (a comma-separated list of):
//
//	rule      = figure "+" tolerance
//	figure    = ("rto" | "rpo" | "lost_writes") [ "_p50" | "_p90" | "_max" ]
//	tolerance = number "%"          relative to OLD's figure
//	          | number unit         unit: ms, s, m, h (rto and rpo only)
//	          | number              a count of writes (lost_writes), or 0
//
// A bare figure is its p50 (the figure itself for one run). The figure
// regressed when NEW > OLD + tolerance; with a percentage, when NEW >
// OLD × (1 + percentage/100), so any rise from an OLD of 0 regresses.
type Rule struct {
	// Text is the rule as written.
	Text string
	// Figure is the canonical name: rto, rto_p90, rpo_max, lost_writes...
	Figure string
	// Percent: Tolerance is a percentage of OLD; else an amount in the
	// figure's unit (ms, or writes).
	Percent   bool
	Tolerance float64
}

// Figures lists what --fail-on can name.
func Figures() []string {
	var out []string
	for _, base := range []string{"rto", "rpo", "lost_writes"} {
		out = append(out, base, base+"_p90", base+"_max")
	}
	return out
}

// FailOnHint is the hint of a bad --fail-on.
func FailOnHint() string {
	return "write FIGURE+TOLERANCE, e.g. rto+10%, rpo+500ms, lost_writes+0, rto_p90+1s; figures: " + strings.Join(Figures(), ", ") +
		" (add _p50 for the default)"
}

// ParseFailOn reads a --fail-on list. Every bad entry is reported, joined.
func ParseFailOn(spec string) ([]Rule, error) {
	var rules []Rule
	var errs []error
	for _, text := range strings.Split(spec, ",") {
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		r, err := parseRule(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("--fail-on %q: %w", text, err))
			continue
		}
		rules = append(rules, r)
	}
	if len(errs) == 0 && len(rules) == 0 {
		errs = append(errs, errors.New("--fail-on is empty"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w\nhint: %s", errors.Join(errs...), FailOnHint())
	}
	return rules, nil
}

func parseRule(text string) (Rule, error) {
	figure, tol, ok := strings.Cut(text, "+")
	if !ok {
		if strings.Contains(text, "-") {
			return Rule{}, errors.New("a tolerance is how much worse NEW may be: FIGURE+TOLERANCE, never minus")
		}
		return Rule{}, errors.New("no tolerance: FIGURE+TOLERANCE")
	}
	r := Rule{Text: text, Figure: strings.TrimSuffix(strings.TrimSpace(figure), "_p50")}
	base := r.base()
	switch base {
	case "rto", "rpo", "lost_writes":
	default:
		return Rule{}, fmt.Errorf("unknown figure %q", strings.TrimSpace(figure))
	}
	tol = strings.TrimSpace(tol)
	switch {
	case strings.HasSuffix(tol, "%"):
		v, err := strconv.ParseFloat(strings.TrimSuffix(tol, "%"), 64)
		if err != nil || v < 0 {
			return Rule{}, fmt.Errorf("tolerance %q: want a percentage such as 10%%", tol)
		}
		r.Percent, r.Tolerance = true, v
	case base == "lost_writes":
		v, err := strconv.Atoi(tol)
		if err != nil || v < 0 {
			return Rule{}, fmt.Errorf("tolerance %q: want a number of writes (0, 5) or a percentage", tol)
		}
		r.Tolerance = float64(v)
	case tol == "0":
	default:
		d, err := time.ParseDuration(tol)
		if err != nil || d < 0 {
			return Rule{}, fmt.Errorf("tolerance %q: want a duration with a unit (500ms, 1s) or a percentage", tol)
		}
		r.Tolerance = float64(d) / float64(time.Millisecond)
	}
	return r, nil
}

// Violation is a rule a scenario broke: its figure regressed by more than
// the tolerance, or NEW did not measure it.
type Violation struct {
	Scenario string `json:"scenario"`
	Rule     string `json:"rule"`
	Reason   string `json:"reason"`
}

func (v Violation) String() string { return fmt.Sprintf("%s: %s: %s", v.Scenario, v.Rule, v.Reason) }

// Check applies rules to every scenario OLD has. A scenario NEW has no
// run of, or a figure OLD measured and NEW did not, breaks the rule: the
// gate cannot pass on what it cannot see. A figure OLD did not measure has
// no baseline (a scenario without faults has no RTO): notes say so, and it
// breaks nothing.
func Check(oldResults, newResults []firedrill.Result, rules []Rule) (violations []Violation, notes []string) {
	olds, order := sides(oldResults)
	news, _ := sides(newResults)
	for _, name := range order {
		o, n := olds[name], news[name]
		for _, rule := range rules {
			if n.runs() == 0 {
				violations = append(violations, Violation{name, rule.Text, "NEW has no run of this scenario"})
				continue
			}
			ov, nv := rule.value(o.agg), rule.value(n.agg)
			switch {
			case nv == nil && ov == nil:
				notes = append(notes, fmt.Sprintf("%s: %s: measured on neither side: nothing to gate", name, rule.Text))
			case nv == nil:
				violations = append(violations, Violation{name, rule.Text, "not measured in NEW" + unmeasuredWhy(n, rule)})
			case ov == nil:
				notes = append(notes, fmt.Sprintf("%s: %s: not measured in OLD: no baseline to compare with", name, rule.Text))
			default:
				if reason, bad := rule.regressed(*ov, *nv); bad {
					violations = append(violations, Violation{name, rule.Text, reason})
				}
			}
		}
	}
	return violations, notes
}

func (r Rule) base() string {
	return strings.TrimSuffix(strings.TrimSuffix(r.Figure, "_p90"), "_max")
}

func (r Rule) stat(a aggregate.Scenario) aggregate.Stat {
	switch r.base() {
	case "rto":
		return a.RTO
	case "rpo":
		return a.RPO
	}
	return a.Lost
}

func (r Rule) value(a aggregate.Scenario) *aggregate.Value {
	st := r.stat(a)
	switch {
	case strings.HasSuffix(r.Figure, "_p90"):
		return st.P90
	case strings.HasSuffix(r.Figure, "_max"):
		return st.Max
	}
	return st.P50
}

// regressed says whether NEW is worse than OLD by more than the tolerance.
func (r Rule) regressed(ov, nv aggregate.Value) (string, bool) {
	count := r.base() == "lost_writes"
	show := func(v aggregate.Value) string { return showValue(&v, count) }
	switch {
	case ov.Never:
		return "", false // nothing is worse than never
	case nv.Never:
		return fmt.Sprintf("OLD %s, NEW never recovered", show(ov)), true
	}
	limit := ov.MS + r.Tolerance
	if r.Percent {
		limit = ov.MS * (1 + r.Tolerance/100)
	}
	if nv.MS <= limit {
		return "", false
	}
	return fmt.Sprintf("OLD %s, NEW %s (%s), more than the tolerance allows (at most %s)",
		show(ov), show(nv), delta(nv.MS-ov.MS, count), show(aggregate.Value{MS: limit})), true
}

// unmeasuredWhy says why NEW has no figure: how many runs could not
// measure it and, for one run, what its objective says.
func unmeasuredWhy(n side, r Rule) string {
	st := r.stat(n.agg)
	why := fmt.Sprintf(" (%d of %d runs unmeasured", st.Unmeasured, n.runs())
	if n.runs() == 1 {
		name := r.base()
		if ob, ok := objective(n.results[0], name); ok && ob.Detail != "" {
			why += "; " + name + ": " + ob.Detail
		} else if len(n.results[0].Reasons) > 0 {
			why += "; " + n.results[0].Reasons[0]
		}
	}
	return why + ")"
}
