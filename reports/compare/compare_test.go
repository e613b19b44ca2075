package compare

import (
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

func fp(f float64) *float64 { return &f }
func ip(i int) *int         { return &i }

// run is one result: a fault f0 recovered after rto ms (nil: not
// measured, with its objective no-data), rpo and lost (nil: not measured).
func run(scenario string, at int, verdict firedrill.Verdict, rto *float64, rpo *float64, lost *int) firedrill.Result {
	f := firedrill.FaultResult{ID: "f0", Action: "kill", Target: "postgres.primary", Recovery: firedrill.RecoveryUnconfirmed,
		Phases: map[string]float64{firedrill.PhaseDetect: 2000}}
	status := firedrill.StatusNoData
	if rto != nil {
		f.Recovery, f.RTOMS = firedrill.RecoveryRecovered, rto
		f.Phases[firedrill.PhasePromote] = *rto - 500
		status = firedrill.StatusMet
		if *rto > 5000 {
			status = firedrill.StatusMissed
		}
	}
	return firedrill.Result{Scenario: scenario, RunID: scenario + string(rune('a'+at)), StartedAt: time.Unix(int64(at), 0), Verdict: verdict,
		Faults: []firedrill.FaultResult{f}, RPOMS: rpo, Writes: firedrill.WriteStats{Lost: lost, FailedButPresent: ip(0)},
		Objectives: []firedrill.ObjectiveResult{{Name: "rto", Status: status, Detail: "the recovery was not confirmed"}}}
}

func figure(t *testing.T, s Scenario, name string) Figure {
	t.Helper()
	for _, f := range s.Figures {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no figure %q in %+v", name, s.Figures)
	return Figure{}
}

func TestCompareOneRunEach(t *testing.T) {
	pass, fail := firedrill.VerdictPass, firedrill.VerdictFail
	old := []firedrill.Result{run("pk", 1, pass, fp(3000), fp(0), ip(0)), run("gone", 1, pass, fp(1), fp(0), ip(0))}
	new := []firedrill.Result{run("pk", 2, fail, fp(6000), nil, ip(0)), run("fresh", 1, pass, fp(1), fp(0), ip(0))}
	c := Compare(old, new)
	if len(c.Scenarios) != 3 || c.Scenarios[0].Scenario != "pk" || c.Scenarios[2].Scenario != "fresh" {
		t.Fatalf("scenarios %+v", c.Scenarios)
	}
	pk := c.Scenarios[0]
	for _, want := range []Figure{
		{Name: "verdict", Old: "pass", New: "fail", Change: Worse},
		{Name: "rto", Old: "3s", New: "6s", Change: Worse, Delta: "+3s"},
		{Name: "f0 (kill postgres.primary) rto", Old: "3s", New: "6s", Change: Worse, Delta: "+3s"},
		{Name: "f0 detect", Old: "2s", New: "2s", Change: Same},
		{Name: "rpo", Old: "0s", New: "not measured", Change: NotComparable, Note: "not measured in NEW"},
		{Name: "lost writes", Old: "0", New: "0", Change: Same},
		{Name: "split brain", Old: "no", New: "no", Change: Same},
		{Name: "objective rto", Old: "met", New: "missed", Change: Worse},
	} {
		if got := figure(t, pk, want.Name); got != want {
			t.Errorf("%s = %+v, want %+v", want.Name, got, want)
		}
	}
	if f := c.Scenarios[1].Figures[0]; f.Change != NotComparable || f.Note != "NEW has no run of this scenario" {
		t.Errorf("scenario gone from NEW: %+v", f)
	}
}

// An unmeasured figure is never better or worse, whatever the other side
// holds; a never-recovered fault is worse than any number.
func TestCompareNotComparableAndNever(t *testing.T) {
	inc, pass, fail := firedrill.VerdictInconclusive, firedrill.VerdictPass, firedrill.VerdictFail
	c := Compare([]firedrill.Result{run("pk", 1, inc, nil, fp(0), ip(0))}, []firedrill.Result{run("pk", 2, pass, fp(100), fp(0), ip(0))})
	pk := c.Scenarios[0]
	if f := figure(t, pk, "rto"); f.Change != NotComparable || f.Old != "not measured" || f.Note != "not measured in OLD" {
		t.Errorf("rto: %+v", f)
	}
	if f := figure(t, pk, "f0 (kill postgres.primary) rto"); f.Change != NotComparable || f.Old != "not measured (unconfirmed)" {
		t.Errorf("fault rto: %+v", f)
	}
	if f := figure(t, pk, "verdict"); f.Change != NotComparable {
		t.Errorf("inconclusive → pass: %+v", f)
	}
	if f := figure(t, pk, "objective rto"); f.Change != NotComparable {
		t.Errorf("no-data → met: %+v", f)
	}
	never := run("pk", 3, fail, nil, fp(0), ip(0))
	never.Faults[0].Recovery = firedrill.RecoveryNever
	c = Compare([]firedrill.Result{run("pk", 1, pass, fp(100), fp(0), ip(0))}, []firedrill.Result{never})
	if f := figure(t, c.Scenarios[0], "rto"); f.Change != Worse || f.New != "never" {
		t.Errorf("never: %+v", f)
	}
}

// Several runs a side: their aggregates, p50, p90 and max.
func TestCompareAggregates(t *testing.T) {
	pass := firedrill.VerdictPass
	var old, new []firedrill.Result
	for i, ms := range []float64{1000, 1100, 1200, 1300, 5000} {
		old = append(old, run("pk", i, pass, fp(ms), fp(0), ip(0)))
		new = append(new, run("pk", i, pass, fp(ms-100), fp(0), ip(0)))
	}
	new[4] = run("pk", 4, firedrill.VerdictInconclusive, nil, nil, nil)
	pk := Compare(old, new).Scenarios[0]
	if pk.OldRuns != 5 || pk.NewRuns != 5 {
		t.Fatalf("runs %d %d", pk.OldRuns, pk.NewRuns)
	}
	if f := figure(t, pk, "rto p50"); f.Old != "1.2s" || f.New != "1s" || f.Change != Better {
		t.Errorf("p50 %+v", f)
	}
	if f := figure(t, pk, "rto max"); f.Old != "5s" || f.New != "1.2s" || f.Change != Better {
		t.Errorf("max %+v", f)
	}
	if f := figure(t, pk, "verdict (runs passed)"); f.Old != "5 pass" || f.New != "4 pass, 1 inconclusive" || f.Change != Worse {
		t.Errorf("verdicts %+v", f)
	}
	for _, f := range pk.Figures {
		if strings.HasPrefix(f.Name, "f0") {
			t.Errorf("per-fault figure between game days: %+v", f)
		}
	}
}

func TestParseFailOn(t *testing.T) {
	rules, err := ParseFailOn("rto+10%, rpo+500ms,lost_writes+0,rto_p90+1s,rpo_max+0,lost_writes_p50+5")
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Text: "rto+10%", Figure: "rto", Percent: true, Tolerance: 10},
		{Text: "rpo+500ms", Figure: "rpo", Tolerance: 500},
		{Text: "lost_writes+0", Figure: "lost_writes"},
		{Text: "rto_p90+1s", Figure: "rto_p90", Tolerance: 1000},
		{Text: "rpo_max+0", Figure: "rpo_max"},
		{Text: "lost_writes_p50+5", Figure: "lost_writes", Tolerance: 5},
	}
	if len(rules) != len(want) {
		t.Fatalf("rules %+v", rules)
	}
	for i := range want {
		if rules[i] != want[i] {
			t.Errorf("rule %d = %+v, want %+v", i, rules[i], want[i])
		}
	}
	// Every bad entry at once, with the hint listing the figures.
	_, err = ParseFailOn("rtt+10%,rto,rto-1s,rpo+5,lost_writes+1s,rto+x%")
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{
		`--fail-on "rtt+10%": unknown figure "rtt"`,
		`--fail-on "rto": no tolerance: FIGURE+TOLERANCE`,
		`--fail-on "rto-1s": a tolerance is how much worse NEW may be`,
		`--fail-on "rpo+5": tolerance "5": want a duration with a unit`,
		`--fail-on "lost_writes+1s": tolerance "1s": want a number of writes`,
		`--fail-on "rto+x%": tolerance "x%": want a percentage`,
		"hint: write FIGURE+TOLERANCE, e.g. rto+10%, rpo+500ms, lost_writes+0, rto_p90+1s; figures: rto, rto_p90, rto_max, rpo,",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if _, err := ParseFailOn(" , "); err == nil {
		t.Error("an empty --fail-on is accepted")
	}
}

func TestCheck(t *testing.T) {
	pass := firedrill.VerdictPass
	old := []firedrill.Result{run("pk", 1, pass, fp(1000), fp(0), ip(0)), run("gone", 1, pass, fp(1000), fp(0), ip(0)),
		run("nobase", 1, firedrill.VerdictInconclusive, nil, fp(0), ip(0))}
	rules, err := ParseFailOn("rto+10%,rpo+0,lost_writes+0")
	if err != nil {
		t.Fatal(err)
	}
	// Within the tolerance: nothing (nobase has no OLD rto: a note).
	new := []firedrill.Result{run("pk", 2, pass, fp(1100), fp(0), ip(0)), run("gone", 2, pass, fp(900), fp(0), ip(0)),
		run("nobase", 2, pass, fp(5), fp(0), ip(0))}
	v, notes := Check(old, new, rules)
	if len(v) != 0 || len(notes) != 1 || !strings.Contains(notes[0], "nobase: rto+10%: not measured in OLD") {
		t.Errorf("within tolerance: %v %v", v, notes)
	}
	// Beyond it, unmeasured in NEW, and a scenario NEW lacks.
	new = []firedrill.Result{run("pk", 2, pass, fp(1101), fp(0), ip(1)), run("nobase", 2, firedrill.VerdictInconclusive, nil, nil, ip(0))}
	v, _ = Check(old, new, rules)
	var got []string
	for _, x := range v {
		got = append(got, x.String())
	}
	text := strings.Join(got, "\n")
	for _, w := range []string{
		"pk: rto+10%: OLD 1s, NEW 1.1s (+101ms), more than the tolerance allows (at most 1.1s)",
		"pk: lost_writes+0: OLD 0, NEW 1 (+1), more than the tolerance allows (at most 0)",
		"gone: rto+10%: NEW has no run of this scenario",
		"nobase: rpo+0: not measured in NEW (1 of 1 runs unmeasured)",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("violations lack %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "nobase: rto+10%") {
		t.Errorf("a figure OLD did not measure failed the gate:\n%s", text)
	}
}
