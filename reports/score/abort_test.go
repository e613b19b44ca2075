package score

import (
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

// abortedInput is the one-fault drill stopped at 9s by an abort condition:
// writes fail from the kill at 5s on and the drill ends at the abort.
func abortedInput() Input {
	ops := ledger(0, 9*sec, failover(60*sec))
	in := input(ops)
	in.Duration = 9 * sec
	a := &firedrill.AbortResult{Index: 0, Metric: scenarios.MetricWriteSuccessRate, Condition: "below 0.5 for 2s",
		Threshold: 0.5, Value: 0, At: 9 * sec, AtMS: 9000, Detail: "abort[0] write_success_rate below 0.5 for 2s: 0 (0 of 10 writes sent in (6.75s, 7.75s] succeeded)"}
	in.Abort = a
	in.Events = []firedrill.Event{
		{At: 0, Kind: firedrill.EventDrillStart},
		{At: 5 * sec, Kind: firedrill.EventFaultInjected, Injection: "f0", Target: "pg-primary", Nodes: []string{"pg-primary"}, Evidence: "exited (137)"},
		{At: 9 * sec, Kind: firedrill.EventAbort, Detail: a.Detail},
		{At: 9 * sec, Kind: firedrill.EventDrillEnd},
	}
	return in
}

// An aborted drill in which a fault had taken effect fails, the condition
// named first with its value and threshold (the "aborted" golden case
// pins how result.json and the summary carry it).
func TestAbortWithAFaultInEffectFails(t *testing.T) {
	in := abortedInput()
	r := Score(in)
	if r.Verdict != firedrill.VerdictFail || r.Verdict.ExitCode() != firedrill.ExitFail {
		t.Fatalf("verdict %s, want fail; reasons %q", r.Verdict, r.Reasons)
	}
	if len(r.Reasons) == 0 || !strings.HasPrefix(r.Reasons[0], "the drill was aborted at 9s: abort[0] write_success_rate below 0.5 for 2s: 0 ") {
		t.Errorf("first reason %q, want the abort", r.Reasons)
	}
	if r.Abort == nil || r.Abort.Metric != scenarios.MetricWriteSuccessRate || r.Abort.AtMS != 9000 {
		t.Errorf("result abort %+v", r.Abort)
	}

	// Without the Recording's description, the event's detail names it.
	in.Abort = nil
	if r := Score(in); r.Verdict != firedrill.VerdictFail || !strings.Contains(r.Reasons[0], "write_success_rate below 0.5") {
		t.Errorf("from the event alone: %s %q", r.Verdict, r.Reasons)
	}
}

// An abort before any fault took effect cannot be charged to one: the
// drill is inconclusive, never a pass and never a fail of the system.
func TestAbortWithoutAFaultInEffectIsInconclusive(t *testing.T) {
	in := abortedInput()
	in.Events = []firedrill.Event{
		{At: 0, Kind: firedrill.EventDrillStart},
		{At: 4 * sec, Kind: firedrill.EventAbort, Detail: in.Abort.Detail},
		{At: 4 * sec, Kind: firedrill.EventDrillEnd},
		{At: 5 * sec, Kind: firedrill.EventFaultSkipped, Injection: "f0", Detail: "the drill was aborted before its time"},
	}
	in.Duration = 4 * sec
	in.Ops = ledger(0, 4*sec, failover(60*sec))
	in.ReadBack, in.ReadFrom = readBackAll(in.Ops, nil), lastAcker(in.Ops)
	r := Score(in)
	if r.Verdict != firedrill.VerdictInconclusive {
		t.Fatalf("verdict %s, want inconclusive; reasons %q", r.Verdict, r.Reasons)
	}
	found := false
	for _, reason := range r.Reasons {
		found = found || strings.Contains(reason, "no fault had taken effect by then")
	}
	if !found {
		t.Errorf("reasons %q do not say why the abort is not charged", r.Reasons)
	}
	if f := r.Faults[0]; f.Recovery != firedrill.RecoverySkipped || f.Injected || f.Error != "the drill was aborted before its time" {
		t.Errorf("f0 %+v, want skipped with the reason", f)
	}
}

// skippedInput is a drill whose fault recovers and whose monkey injection
// m1, at 10s, is skipped: max_at_once reached.
func skippedInput() Input {
	in := input(ledger(0, 20*sec, failover(8*sec)))
	in.ReadBack = readBackAll(in.Ops, nil)
	in.Injections = append(firedrill.NewSchedule(in.Scenario).Injections(),
		firedrill.MonkeyInjection(1, scenarios.Fault{At: scenarios.Duration{Duration: 10 * sec}, Action: "kill", Target: "postgres.replica"}))
	in.Events = append(in.Events, firedrill.Event{At: 10 * sec, Kind: firedrill.EventFaultSkipped, Injection: "m1",
		Detail: "monkey.max_at_once 1 reached: f0 in effect"})
	return in
}

// A skipped injection is reported with its reason and makes nothing
// inconclusive: a drill whose only other fault recovered passes.
func TestSkippedInjectionIsNotInconclusive(t *testing.T) {
	in := skippedInput()
	r := Score(in)
	if r.Verdict != firedrill.VerdictPass {
		t.Fatalf("verdict %s, want pass; reasons %q", r.Verdict, r.Reasons)
	}
	m1 := r.Faults[1]
	if m1.ID != "m1" || m1.Source != firedrill.SourceMonkey || m1.Recovery != firedrill.RecoverySkipped || m1.Error == "" {
		t.Errorf("m1 %+v", m1)
	}

	// A failed injection still is inconclusive, skipped beside it or not.
	in.Events = append(in.Events, firedrill.Event{At: 10 * sec, Kind: firedrill.EventFaultFailed, Injection: "m1", Detail: "docker: boom"})
	if r := Score(in); r.Verdict != firedrill.VerdictInconclusive || r.Faults[1].Recovery != firedrill.RecoveryNotInjected {
		t.Errorf("a failed m1: verdict %s, recovery %s", r.Verdict, r.Faults[1].Recovery)
	}
}
