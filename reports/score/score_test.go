package score

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

const (
	ms  = time.Millisecond
	sec = time.Second
)

func d(x time.Duration) *scenarios.Duration { return &scenarios.Duration{Duration: x} }

func intp(n int) *int { return &n }

// scenario is a one-fault drill: 10 writes/s, a 2s stability window, a kill
// of the primary at 5s, RTO <= 5s, RPO <= 1s, no lost write allowed.
func scenario() *scenarios.Scenario {
	return &scenarios.Scenario{
		Name:       "primary-kill",
		Objectives: scenarios.Objectives{RTO: d(5 * sec), RPO: d(1 * sec), LostWrites: intp(0)},
		Workload: scenarios.Workload{WritesPerSecond: 10, Timeout: scenarios.Duration{Duration: sec},
			StabilityWindow: scenarios.Duration{Duration: 2 * sec}},
		Timeline: scenarios.Timeline{Duration: scenarios.Duration{Duration: 20 * sec},
			Faults: []scenarios.Fault{{At: scenarios.Duration{Duration: 5 * sec}, Action: "kill", Target: "postgres.primary"}}},
	}
}

// ledger sends a write every 100ms in [from, to) with a 10ms latency, up
// to 0.4ms behind its schedule; fate decides each write's outcome and
// acknowledging node from its send time.
func ledger(from, to time.Duration, fate func(sent time.Duration) (firedrill.Outcome, string)) []firedrill.Op {
	var ops []firedrill.Op
	for sent := from; sent < to; sent += 100 * ms {
		seq := int64(len(ops) + 1)
		out, node := fate(sent)
		lag := time.Duration(seq%5) * 100 * time.Microsecond
		op := firedrill.Op{ID: fmt.Sprintf("w-%04d", seq), Seq: seq, Kind: "write", Due: max(0, sent-lag), Sent: sent,
			Done: sent + 10*ms, Outcome: out}
		switch out {
		case firedrill.OutcomeOK:
			op.Node = node
		case firedrill.OutcomeFailed:
			op.Error = "connection refused"
		case firedrill.OutcomeIndeterminate:
			op.Done = sent + sec
			op.Error = "timeout"
		}
		ops = append(ops, op)
	}
	return ops
}

// failover: ok on pg-primary before 5s, failed in [5s, recover), ok on
// pg-replica from recover on.
func failover(recover time.Duration) func(time.Duration) (firedrill.Outcome, string) {
	return func(sent time.Duration) (firedrill.Outcome, string) {
		switch {
		case sent < 5*sec:
			return firedrill.OutcomeOK, "pg-primary"
		case sent < recover:
			return firedrill.OutcomeFailed, ""
		default:
			return firedrill.OutcomeOK, "pg-replica"
		}
	}
}

func killEvents() []firedrill.Event {
	return []firedrill.Event{
		{At: 0, Kind: firedrill.EventDrillStart},
		{At: 5 * sec, Kind: firedrill.EventFaultInjected, Injection: "f0", Target: "pg-primary", Nodes: []string{"pg-primary"}, Evidence: "exited (137)"},
		{At: 6500 * ms, Kind: firedrill.EventDetect, Target: "pg-primary", Detail: "2 failed health checks"},
		{At: 6600 * ms, Kind: firedrill.EventFence, Target: "pg-primary", Detail: "stopped"},
		{At: 7 * sec, Kind: firedrill.EventPromote, Target: "pg-replica"},
		{At: 20 * sec, Kind: firedrill.EventDrillEnd},
	}
}

// readBackAll returns the ids of every acknowledged write, minus drop.
func readBackAll(ops []firedrill.Op, drop func(firedrill.Op) bool) map[string]bool {
	rb := map[string]bool{}
	for _, o := range ops {
		if o.Outcome == firedrill.OutcomeOK && (drop == nil || !drop(o)) {
			rb[o.ID] = true
		}
	}
	return rb
}

// lastAcker is the node that acknowledged the last ok write: where a
// correct read-back reads from.
func lastAcker(ops []firedrill.Op) string {
	var last *firedrill.Op
	for i := range ops {
		if o := &ops[i]; o.Outcome == firedrill.OutcomeOK && (last == nil || o.Done >= last.Done) {
			last = o
		}
	}
	if last == nil {
		return ""
	}
	return last.Node
}

func input(ops []firedrill.Op) Input {
	return Input{
		Scenario: scenario(), RunID: "r-test", Start: time.Date(2026, 8, 21, 10, 15, 0, 0, time.UTC),
		Duration: 20 * sec, Events: killEvents(), Ops: ops, ReadBack: readBackAll(ops, nil), ReadFrom: lastAcker(ops),
		FailoverEnabled: true,
	}
}

func objective(t *testing.T, r firedrill.Result, name string) firedrill.ObjectiveResult {
	t.Helper()
	return find(t, r.Objectives, func(o firedrill.ObjectiveResult) bool { return o.Name == name })
}

// find returns the element of xs that matches, failing the test without one.
func find[T any](t *testing.T, xs []T, match func(T) bool) T {
	t.Helper()
	if i := slices.IndexFunc(xs, match); i >= 0 {
		return xs[i]
	}
	var zero T
	t.Fatalf("none of %+v matches", xs)
	return zero
}

func fptr(f float64) *float64 { return &f }

func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func show[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func TestScoreRTO(t *testing.T) {
	tests := []struct {
		name    string
		in      func() Input
		rto     *float64                  // f0's RTOMS
		rec     firedrill.Recovery        // f0's Recovery; empty means recovered
		status  firedrill.ObjectiveStatus // rto objective
		verdict firedrill.Verdict
		reason  string // a substring of some reason
	}{
		{
			name: "clean failover: RTO is the ack offset of the first write of the stable run",
			in:   func() Input { return input(ledger(0, 20*sec, failover(8*sec))) },
			// first ok write sent at 8.0s, acked at 8.01s; injected at 5s
			rto: fptr(3010), status: firedrill.StatusMet, verdict: firedrill.VerdictPass,
		},
		{
			name: "a brief failure in the stability window pushes the recovery point past it",
			in: func() Input {
				ops := ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
					if s == 9*sec {
						return firedrill.OutcomeFailed, ""
					}
					return failover(8 * sec)(s)
				})
				return input(ops)
			},
			// the writes from 8.0s to 9.0s see the 9.0s failure inside
			// their 2s window; 9.1s is the first clean one
			rto: fptr(4110), status: firedrill.StatusMet, verdict: firedrill.VerdictPass,
		},
		{
			name: "the window's end is included: a failure exactly W after the candidate breaks it",
			in: func() Input {
				return input(ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
					if s == 10*sec { // 8.0s + 2s
						return firedrill.OutcomeFailed, ""
					}
					return failover(8 * sec)(s)
				}))
			},
			rto: fptr(5110), status: firedrill.StatusMissed, verdict: firedrill.VerdictFail,
		},
		{
			name: "an indeterminate write in the window also breaks it",
			in: func() Input {
				return input(ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
					if s == 8500*ms {
						return firedrill.OutcomeIndeterminate, ""
					}
					return failover(8 * sec)(s)
				}))
			},
			rto: fptr(3610), status: firedrill.StatusMet, verdict: firedrill.VerdictPass,
		},
		{
			name: "over the objective",
			in:   func() Input { return input(ledger(0, 20*sec, failover(11*sec))) },
			rto:  fptr(6010), status: firedrill.StatusMissed, verdict: firedrill.VerdictFail,
			reason: "rto: f0 (kill postgres.primary) took 6.01s to recover, objective <= 5s",
		},
		{
			name: "never recovers",
			in:   func() Input { return input(ledger(0, 20*sec, failover(time.Hour))) },
			rec:  firedrill.RecoveryNever, status: firedrill.StatusMissed, verdict: firedrill.VerdictFail,
			reason: "rto: f0 (kill postgres.primary) never recovered within the 20s run",
		},
		{
			name: "the run ends before the stability window closes: unconfirmed",
			in:   func() Input { return input(ledger(0, 20*sec, failover(19*sec))) },
			// ok from 19.0s, the window closes at 21s, the run ends at 20s
			rec: firedrill.RecoveryUnconfirmed, status: firedrill.StatusNoData, verdict: firedrill.VerdictInconclusive,
			reason: "writes succeeded from 19s, but observation ended at 20s before the 2s stability window closed",
		},
		{
			name: "the run's end closes the window when it lasts past it",
			in: func() Input {
				in := input(ledger(0, 20*sec, failover(19*sec)))
				in.Scenario.Workload.StabilityWindow.Duration = 1 * sec
				return in // window [19s, 20s]: last write sent 19.9s, run ended at 20s
			},
			rto: fptr(14010), status: firedrill.StatusMissed, verdict: firedrill.VerdictFail,
		},
		{
			name: "zero stability window: the first ok write recovers",
			in: func() Input {
				in := input(ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
					if s == 8100*ms {
						return firedrill.OutcomeFailed, ""
					}
					return failover(8 * sec)(s)
				}))
				in.Scenario.Workload.StabilityWindow.Duration = 0
				return in
			},
			rto: fptr(3010), status: firedrill.StatusMet, verdict: firedrill.VerdictPass,
		},
		{
			name: "writes sent before the injection do not count, even acked after it",
			in: func() Input {
				ops := ledger(0, 20*sec, failover(8*sec))
				// a write sent at 4.9s that was acked at 7s by the new primary
				ops[49].Done, ops[49].Node = 7*sec, "pg-replica"
				return input(ops)
			},
			rto: fptr(3010), status: firedrill.StatusMet, verdict: firedrill.VerdictPass,
		},
		{
			name: "no ops at all: inconclusive",
			in: func() Input {
				in := input(nil)
				return in
			},
			rec: firedrill.RecoveryNoData, status: firedrill.StatusNoData, verdict: firedrill.VerdictInconclusive,
			reason: "no acknowledged writes: nothing was measured",
		},
		{
			name: "no write sent after the injection: no data, not a pass",
			in:   func() Input { return input(ledger(0, 5*sec, failover(8*sec))) },
			rec:  firedrill.RecoveryNoData, status: firedrill.StatusNoData, verdict: firedrill.VerdictInconclusive,
			reason: "rto: no write was sent after f0 (kill postgres.primary) was injected",
		},
		{
			name: "fault never injected: inconclusive",
			in: func() Input {
				in := input(ledger(0, 20*sec, failover(0)))
				in.Events = []firedrill.Event{{At: 5 * sec, Kind: firedrill.EventFaultFailed, Injection: "f0", Detail: "no such container"}}
				return in
			},
			rec: firedrill.RecoveryNotInjected, status: firedrill.StatusNoData, verdict: firedrill.VerdictInconclusive,
			reason: "f0 (kill postgres.primary) was not injected: no such container",
		},
		{
			name: "nil RTO objective: reported",
			in: func() Input {
				in := input(ledger(0, 20*sec, failover(11*sec)))
				in.Scenario.Objectives.RTO = nil
				return in
			},
			rto: fptr(6010), status: firedrill.StatusReported, verdict: firedrill.VerdictPass,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Score(tt.in())
			if len(r.Faults) != 1 {
				t.Fatalf("faults = %d, want 1", len(r.Faults))
			}
			f := r.Faults[0]
			want := tt.rec
			if want == "" {
				want = firedrill.RecoveryRecovered
			}
			if !eqPtr(f.RTOMS, tt.rto) || f.Recovery != want {
				t.Errorf("fault: rto %s recovery %s; want %s %s", show(f.RTOMS), f.Recovery, show(tt.rto), want)
			}
			if want == firedrill.RecoveryRecovered && f.Phases[firedrill.PhaseFirstWrite] != *tt.rto {
				t.Errorf("first_write phase = %v, want %v", f.Phases[firedrill.PhaseFirstWrite], *tt.rto)
			}
			if got := objective(t, r, ObjectiveRTO).Status; got != tt.status {
				t.Errorf("rto status = %s, want %s", got, tt.status)
			}
			if r.Verdict != tt.verdict {
				t.Errorf("verdict = %s, want %s (reasons %q)", r.Verdict, tt.verdict, r.Reasons)
			}
			if tt.reason != "" && !slices.ContainsFunc(r.Reasons, func(s string) bool { return strings.Contains(s, tt.reason) }) {
				t.Errorf("reasons %q lack %q", r.Reasons, tt.reason)
			}
			if r.Verdict == firedrill.VerdictPass && len(r.Reasons) != 0 {
				t.Errorf("a pass has reasons %q", r.Reasons)
			}
		})
	}
}

func TestPhases(t *testing.T) {
	r := Score(input(ledger(0, 20*sec, failover(8*sec))))
	want := map[string]float64{"detect": 1500, "fence": 1600, "promote": 2000, "first_write": 3010}
	if got := r.Faults[0].Phases; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("phases = %v, want %v", got, want)
	}
	f := r.Faults[0]
	if !f.Injected || !slices.Equal(f.Nodes, []string{"pg-primary"}) || f.AtMS != 5000 || f.Target != "postgres.primary" ||
		f.Action != "kill" || f.ID != "f0" || f.Source != firedrill.SourceTimeline || f.Evidence != "exited (137)" {
		t.Errorf("fault = %+v", f)
	}

	// Without failover events the phases are absent, not zero; without
	// recovery first_write is absent too.
	in := input(ledger(0, 20*sec, failover(time.Hour)))
	in.Events = in.Events[:2]
	r = Score(in)
	if len(r.Faults[0].Phases) != 0 {
		t.Errorf("phases = %v, want none", r.Faults[0].Phases)
	}
}

func TestPhasesTwoFaults(t *testing.T) {
	in := input(ledger(0, 30*sec, failover(8*sec)))
	in.Duration = 30 * sec
	in.Scenario.Timeline.Faults = append(in.Scenario.Timeline.Faults,
		scenarios.Fault{At: scenarios.Duration{Duration: 15 * sec}, Action: "kill", Target: "postgres.primary"})
	// The second kill is injected at 15s; it hits nothing and the manager
	// is silent, so it must not borrow the first failover's events, and the
	// first fault must not take the second's.
	in.Events = append(killEvents()[:2],
		firedrill.Event{At: 15 * sec, Kind: firedrill.EventFaultInjected, Injection: "f1", Target: "pg-replica", Nodes: []string{"pg-replica"}},
		firedrill.Event{At: 16 * sec, Kind: firedrill.EventDetect},
	)
	r := Score(in)
	if got := r.Faults[0].Phases; len(got) != 1 || got["first_write"] != 3010 {
		t.Errorf("fault 0 phases = %v, want first_write only", got)
	}
	if got := r.Faults[1].Phases; got["detect"] != 1000 {
		t.Errorf("fault 1 phases = %v, want detect 1000", got)
	}
	// Fault 1 recovers at once: the first write after 15s is ok and stable.
	if f := r.Faults[1]; f.Recovery != firedrill.RecoveryRecovered || *f.RTOMS != 10 {
		t.Errorf("fault 1 = %+v, want RTO 10ms", f)
	}
}

func TestWritesAndRPO(t *testing.T) {
	ops := ledger(0, 20*sec, failover(8*sec))
	// Five writes acked by the old primary at 4.51s..4.91s never reached
	// the replica.
	lostFn := func(o firedrill.Op) bool { return o.Sent >= 4500*ms && o.Sent < 5*sec }
	in := input(ops)
	in.ReadBack = readBackAll(ops, lostFn)
	r := Score(in)
	w := r.Writes
	if w.Attempted != 200 || w.Acked != 170 || w.Failed != 30 || w.Indeterminate != 0 {
		t.Errorf("writes = %+v", w)
	}
	if !eqPtr(w.Lost, intp(5)) || w.Verified != 165 {
		t.Errorf("lost %s verified %d, want 5 and 165", show(w.Lost), w.Verified)
	}
	if want := []string{"w-0046", "w-0047", "w-0048", "w-0049", "w-0050"}; !slices.Equal(w.LostIDs, want) {
		t.Errorf("lost ids = %v, want %v", w.LostIDs, want)
	}
	// RPO = injection (5s) − ack of the oldest lost write (4.51s).
	if !eqPtr(r.RPOMS, fptr(490)) {
		t.Errorf("rpo = %s, want 490", show(r.RPOMS))
	}
	if o := objective(t, r, ObjectiveRPO); o.Status != firedrill.StatusMet || o.Measured != "490ms" {
		t.Errorf("rpo objective = %+v", o)
	}
	if o := objective(t, r, ObjectiveLostWrites); o.Status != firedrill.StatusMissed || o.Measured != "5 of 170 acked" {
		t.Errorf("lost_writes objective = %+v", o)
	}
	if r.Verdict != firedrill.VerdictFail {
		t.Errorf("verdict = %s", r.Verdict)
	}

	// Nothing lost: RPO 0.
	r = Score(input(ops))
	if !eqPtr(r.RPOMS, fptr(0)) || !eqPtr(r.Writes.Lost, intp(0)) || r.Writes.LostIDs != nil {
		t.Errorf("rpo %s lost %s ids %v, want 0, 0, none", show(r.RPOMS), show(r.Writes.Lost), r.Writes.LostIDs)
	}
}

func TestIndeterminateNeverLost(t *testing.T) {
	ops := ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
		if s >= 4500*ms && s < 5*sec {
			return firedrill.OutcomeIndeterminate, ""
		}
		return failover(8 * sec)(s)
	})
	in := input(ops)
	in.ReadBack = readBackAll(ops, nil) // the indeterminate ids are all missing
	r := Score(in)
	if r.Writes.Indeterminate != 5 || !eqPtr(r.Writes.Lost, intp(0)) || !eqPtr(r.RPOMS, fptr(0)) {
		t.Errorf("writes %+v rpo %s: indeterminate writes must not be lost", r.Writes, show(r.RPOMS))
	}
	if r.Verdict != firedrill.VerdictPass {
		t.Errorf("verdict = %s (%q)", r.Verdict, r.Reasons)
	}
}

func TestNoReadBack(t *testing.T) {
	in := input(ledger(0, 20*sec, failover(8*sec)))
	in.ReadBack, in.ReadBackErr = nil, errors.New("dial tcp 127.0.0.1:5433: connection refused")
	r := Score(in)
	if r.Writes.Lost != nil || len(r.Writes.LostIDs) != 0 || r.Writes.Verified != 0 || r.RPOMS != nil {
		t.Errorf("writes %+v rpo %s: want lost nil, no ids, rpo nil", r.Writes, show(r.RPOMS))
	}
	for _, name := range []string{ObjectiveLostWrites, ObjectiveRPO} {
		if o := objective(t, r, name); o.Status != firedrill.StatusNoData || o.Met {
			t.Errorf("%s = %+v, want no-data", name, o)
		}
	}
	if r.Verdict != firedrill.VerdictInconclusive {
		t.Errorf("verdict = %s", r.Verdict)
	}
	want := "rpo, lost_writes: the read-back of acknowledged writes failed: dial tcp 127.0.0.1:5433: connection refused"
	if !slices.Contains(r.Reasons, want) {
		t.Errorf("reasons %q lack %q", r.Reasons, want)
	}
	// No-data even when the objective has no limit.
	in.Scenario.Objectives.LostWrites = nil
	if o := objective(t, Score(in), ObjectiveLostWrites); o.Status != firedrill.StatusNoData || o.Target != "report" {
		t.Errorf("lost_writes = %+v, want no-data", o)
	}
}

func TestRPOManyFaults(t *testing.T) {
	// Faults at 5s and 12s; the first loses a write acked 90ms before it,
	// the second one acked 1.99s before it. RPO is the larger window.
	sc := scenario()
	sc.Timeline.Faults = append(sc.Timeline.Faults, scenarios.Fault{At: scenarios.Duration{Duration: 12 * sec}, Action: "kill", Target: "postgres.primary"})
	ops := ledger(0, 20*sec, failover(8*sec))
	in := input(ops)
	in.Scenario = sc
	in.Events = append(killEvents(), firedrill.Event{At: 12 * sec, Kind: firedrill.EventFaultInjected, Injection: "f1", Target: "pg-replica", Nodes: []string{"pg-replica"}})
	in.ReadBack = readBackAll(ops, func(o firedrill.Op) bool {
		return o.Sent == 4900*ms || o.Sent == 10*sec || o.Sent == 15*sec
	})
	r := Score(in)
	if !eqPtr(r.RPOMS, fptr(1990)) || !eqPtr(r.Writes.Lost, intp(3)) {
		t.Errorf("rpo %s lost %s, want 1990 and 3", show(r.RPOMS), show(r.Writes.Lost))
	}
	o := objective(t, r, ObjectiveRPO)
	if o.Status != firedrill.StatusMissed || !strings.Contains(o.Detail, "f1 (kill postgres.primary)") {
		t.Errorf("rpo objective = %+v", o)
	}

	// A write lost after every injection counts with a window of 0.
	in.ReadBack = readBackAll(ops, func(o firedrill.Op) bool { return o.Sent == 15*sec })
	if r := Score(in); !eqPtr(r.RPOMS, fptr(0)) || !eqPtr(r.Writes.Lost, intp(1)) {
		t.Errorf("rpo %s lost %s, want 0 and 1", show(r.RPOMS), show(r.Writes.Lost))
	}
}

func TestSplitBrain(t *testing.T) {
	tests := []struct {
		name  string
		fate  func(time.Duration) (firedrill.Outcome, string)
		split bool
	}{
		{name: "clean failover", fate: failover(8 * sec)},
		{
			name: "old primary keeps acking after the new one took over",
			fate: func(s time.Duration) (firedrill.Outcome, string) {
				switch {
				case s >= 8*sec && s < 10*sec && s%(200*ms) == 0:
					return firedrill.OutcomeOK, "pg-primary" // app still routes some writes to it
				case s < 5*sec:
					return firedrill.OutcomeOK, "pg-primary"
				}
				return failover(8 * sec)(s)
			},
			split: true,
		},
		{
			name: "old primary acks after the fault, then hands over",
			fate: func(s time.Duration) (firedrill.Outcome, string) {
				if s < 6*sec {
					return firedrill.OutcomeOK, "pg-primary" // e.g. a network fault that took a second to bite
				}
				return failover(8 * sec)(s)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Score(input(ledger(0, 20*sec, tt.fate)))
			if r.SplitBrain != tt.split {
				t.Errorf("split brain = %v, want %v", r.SplitBrain, tt.split)
			}
			o := objective(t, r, ObjectiveSplitBrain)
			if want := map[bool]firedrill.ObjectiveStatus{true: firedrill.StatusMissed, false: firedrill.StatusMet}[tt.split]; o.Status != want {
				t.Errorf("split_brain = %+v, want %s", o, want)
			}
			if tt.split && r.Verdict != firedrill.VerdictFail {
				t.Errorf("verdict = %s", r.Verdict)
			}
		})
	}

	// No acked write after the fault: no data.
	r := Score(input(ledger(0, 20*sec, failover(time.Hour))))
	if o := objective(t, r, ObjectiveSplitBrain); o.Status != firedrill.StatusNoData {
		t.Errorf("split_brain = %+v, want no-data", o)
	}
}

func TestReportedObjectives(t *testing.T) {
	ops := ledger(0, 20*sec, failover(8*sec))
	in := input(ops)
	in.Scenario.Objectives = scenarios.Objectives{}
	in.ReadBack = readBackAll(ops, func(o firedrill.Op) bool { return o.Sent == 4900*ms })
	r := Score(in)
	for _, o := range r.Objectives[:3] {
		if o.Status != firedrill.StatusReported || o.Target != "report" || !o.Met {
			t.Errorf("%s = %+v, want reported", o.Name, o)
		}
	}
	if o := r.Objectives[3]; o.Name != ObjectiveSplitBrain || o.Status != firedrill.StatusMet || o.Target != "none" {
		t.Errorf("split_brain = %+v, want always checked", o)
	}
	if r.Verdict != firedrill.VerdictPass {
		t.Errorf("verdict = %s (%q)", r.Verdict, r.Reasons)
	}
	var names []string
	for _, o := range r.Objectives {
		names = append(names, o.Name)
	}
	if want := []string{"rto", "rpo", "lost_writes", "split_brain"}; !slices.Equal(names, want) {
		t.Errorf("objectives = %v, want %v", names, want)
	}
}

func TestVerdictPrecedence(t *testing.T) {
	// Never recovered (missed) and no read-back (no-data): missed wins, and
	// its reason comes first.
	in := input(ledger(0, 20*sec, failover(time.Hour)))
	in.ReadBack, in.ReadBackErr = nil, errors.New("timeout")
	r := Score(in)
	if r.Verdict != firedrill.VerdictFail {
		t.Fatalf("verdict = %s, want fail", r.Verdict)
	}
	if len(r.Reasons) < 2 || !strings.HasPrefix(r.Reasons[0], "rto: ") {
		t.Errorf("reasons = %q, want the missed rto first", r.Reasons)
	}
	if r.Verdict.ExitCode() != firedrill.ExitFail {
		t.Errorf("exit code = %d", r.Verdict.ExitCode())
	}

	// An aborted drill is not a pass: a fail once a fault had taken effect
	// (reports/abort_test.go has the rest).
	in = input(ledger(0, 20*sec, failover(8*sec)))
	in.Events = append(in.Events, firedrill.Event{At: 19 * sec, Kind: firedrill.EventAbort, Detail: "abort condition: error rate"})
	if r := Score(in); r.Verdict != firedrill.VerdictFail {
		t.Errorf("aborted drill verdict = %s, want fail", r.Verdict)
	}
}

func TestSettingsCopied(t *testing.T) {
	in := input(ledger(0, 20*sec, failover(8*sec)))
	r := Score(in)
	if r.Scenario != "primary-kill" || r.RunID != "r-test" || !r.StartedAt.Equal(in.Start) || r.DurationMS != 20000 ||
		r.WriteRate != 10 || r.StabilityMS != 2000 || !r.FailoverEnabled || len(r.Events) != len(in.Events) {
		t.Errorf("settings not copied: %+v", r)
	}
	// Events read back from JSON carry only at_ms.
	in.Events = []firedrill.Event{{AtMS: 5000, Kind: firedrill.EventFaultInjected, Target: "pg-primary", Nodes: []string{"pg-primary"}, Injection: "f0"}}
	in.Duration = 0
	in.Events = append(in.Events, firedrill.Event{AtMS: 20000, Kind: firedrill.EventDrillEnd})
	r = Score(in)
	if f := r.Faults[0]; f.Recovery != firedrill.RecoveryRecovered || *f.RTOMS != 3010 || r.DurationMS != 20000 {
		t.Errorf("from at_ms: fault %+v duration %v", f, r.DurationMS)
	}
}

func TestLostIDsCapped(t *testing.T) {
	ops := ledger(0, 200*sec, failover(8*sec))
	in := input(ops)
	in.Duration = 200 * sec
	in.ReadBack = map[string]bool{}
	r := Score(in)
	if *r.Writes.Lost != r.Writes.Acked || len(r.Writes.LostIDs) != MaxLostIDs || r.Writes.LostIDs[0] != "w-0001" {
		t.Errorf("lost %d of %d, %d ids from %s", *r.Writes.Lost, r.Writes.Acked, len(r.Writes.LostIDs), r.Writes.LostIDs[0])
	}
}

func TestRecoveryPointTies(t *testing.T) {
	// Two writes sent at the same instant: the failed one (lower seq) is in
	// the ok one's window, so the ok one is not a recovery point.
	ops := []firedrill.Op{
		{ID: "a", Seq: 1, Sent: 6 * sec, Done: 6*sec + 5*ms, Outcome: firedrill.OutcomeFailed},
		{ID: "b", Seq: 2, Sent: 6 * sec, Done: 6*sec + 10*ms, Outcome: firedrill.OutcomeOK, Node: "n"},
		{ID: "c", Seq: 3, Sent: 7 * sec, Done: 7*sec + 10*ms, Outcome: firedrill.OutcomeOK, Node: "n"},
		{ID: "d", Seq: 4, Sent: 8 * sec, Done: 8*sec + 10*ms, Outcome: firedrill.OutcomeOK, Node: "n"},
	}
	rec, pending, noData := recoveryPoint(WriteOps(ops), slot{from: 5 * sec, until: 9 * sec, last: true}, sec)
	if rec == nil || rec.ID != "c" || pending != nil || noData {
		t.Errorf("recovery = %+v pending %+v noData %v, want c", rec, pending, noData)
	}
	// d's window [8s, 9s] closes after the slot's end: pending, not
	// recovered.
	rec, pending, _ = recoveryPoint(WriteOps(ops[3:]), slot{from: 5 * sec, until: 9*sec - time.Microsecond, last: true}, sec)
	if rec != nil || pending == nil || pending.ID != "d" {
		t.Errorf("recovery = %+v pending %+v, want pending d", rec, pending)
	}
}
