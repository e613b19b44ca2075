package score

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

// The tests of this file pin the measurement rules of docs/measurement.md,
// one test per rule, each written to fail on the rules they replaced, and
// each with cases exactly at its boundaries (a `<` for a `<=` must fail a
// test).

// injection is a timeline fault as the schedule holds it.
func injection(i int, at time.Duration, action, target string) firedrill.Injection {
	return firedrill.TimelineInjection(i, scenarios.Fault{At: scenarios.Duration{Duration: at}, Action: action, Target: target})
}

// applied is the fault.injected event of injection id: the call applying
// it began at at and returned span later.
func applied(id string, at, span time.Duration, nodes ...string) firedrill.Event {
	return firedrill.Event{At: at, Span: span, Kind: firedrill.EventFaultInjected, Injection: id,
		Target: nodes[0], Nodes: nodes, Evidence: "exited (137)"}
}

func ev(kind firedrill.EventKind, at time.Duration, target string) firedrill.Event {
	return firedrill.Event{At: at, Kind: kind, Target: target}
}

// drill builds an Input of the default scenario (10 writes/s, 2s window,
// RTO <= 5s, RPO <= 1s, no lost write) with the given schedule and events,
// a drill.start at 0 and a drill.end at 20s.
func drill(ops []firedrill.Op, ins []firedrill.Injection, events ...firedrill.Event) Input {
	in := input(ops)
	in.Injections = ins
	in.Events = append([]firedrill.Event{ev(firedrill.EventDrillStart, 0, "")}, events...)
	in.Events = append(in.Events, ev(firedrill.EventDrillEnd, 20*sec, ""))
	return in
}

// primaryKill is the schedule of one kill of the primary at 5s.
func primaryKill() []firedrill.Injection {
	return []firedrill.Injection{injection(0, 5*sec, "kill", "postgres.primary")}
}

// failoverAt is a manager's detect, fence and promote of pg-replica.
func failoverAt(detect time.Duration) []firedrill.Event {
	return []firedrill.Event{
		ev(firedrill.EventDetect, detect, "pg-primary"),
		ev(firedrill.EventFence, detect+100*ms, "pg-primary"),
		ev(firedrill.EventPromote, detect+500*ms, "pg-replica"),
	}
}

func hasReason(r firedrill.Result, sub string) bool {
	return slices.ContainsFunc(r.Reasons, func(s string) bool { return strings.Contains(s, sub) })
}

func fault(t *testing.T, r firedrill.Result, id string) firedrill.FaultResult {
	t.Helper()
	return find(t, r.Faults, func(f firedrill.FaultResult) bool { return f.ID == id })
}

// a. T is the fault.injected At; a lost write acknowledged before T+Span
// is charged with (T+Span) − ack; resolution is reported apart; with any
// lost write a 0s RPO objective is missed.
func TestRuleEffectInstant(t *testing.T) {
	// The kill's call began at 5s and returned at 5.05s: the write sent
	// at 5.0s was acknowledged at 5.01s by the dying primary, and lost.
	fate := func(s time.Duration) (firedrill.Outcome, string) {
		if s == 5*sec {
			return firedrill.OutcomeOK, "pg-primary"
		}
		return failover(8 * sec)(s)
	}
	ops := ledger(0, 20*sec, fate)
	events := append([]firedrill.Event{
		{At: 4990 * ms, Span: 10 * ms, Kind: firedrill.EventFaultResolved, Injection: "f0", Target: "pg-primary"},
		applied("f0", 5*sec, 50*ms, "pg-primary"),
	}, failoverAt(6500*ms)...)
	lostAt := func(sent time.Duration) func(firedrill.Op) bool {
		return func(o firedrill.Op) bool { return o.Sent == sent }
	}

	t.Run("a write lost during the call is charged up to T+Span", func(t *testing.T) {
		in := drill(ops, primaryKill(), events...)
		in.Scenario.Objectives.RPO = d(0)
		in.ReadBack = readBackAll(ops, lostAt(5*sec))
		r := Score(in)
		f := fault(t, r, "f0")
		if !eqPtr(r.RPOMS, fptr(40)) || !eqPtr(f.RPOMS, fptr(40)) || !eqPtr(f.Lost, intp(1)) {
			t.Errorf("rpo %s, f0 rpo %s lost %s; want 40ms (5.05s − 5.01s), 1 lost", show(r.RPOMS), show(f.RPOMS), show(f.Lost))
		}
		if o := objective(t, r, ObjectiveRPO); o.Status != firedrill.StatusMissed {
			t.Errorf("rpo objective = %+v, want missed", o)
		}
		if f.AtMS != 5000 || f.SpanMS != 50 || !eqPtr(f.ResolveMS, fptr(10)) {
			t.Errorf("f0 at %v span %v resolve %s; want 5000, 50, 10", f.AtMS, f.SpanMS, show(f.ResolveMS))
		}
		// RTO is measured from T, not from T+Span.
		if !eqPtr(f.RTOMS, fptr(3010)) {
			t.Errorf("rto = %s, want 3010", show(f.RTOMS))
		}
	})

	t.Run("a lost write acked at T+Span never passes rpo 0s", func(t *testing.T) {
		ops := slices.Clone(ops)
		ops[50].Done = 5050 * ms // acked exactly when the call returned
		in := drill(ops, primaryKill(), events...)
		in.Scenario.Objectives.RPO = d(0)
		in.ReadBack = readBackAll(ops, lostAt(5*sec))
		r := Score(in)
		if !eqPtr(r.RPOMS, fptr(0)) {
			t.Errorf("rpo = %s, want 0", show(r.RPOMS))
		}
		if o := objective(t, r, ObjectiveRPO); o.Status != firedrill.StatusMissed || r.Verdict != firedrill.VerdictFail {
			t.Errorf("rpo objective = %+v, verdict %s; a lost write must miss rpo 0s", o, r.Verdict)
		}
		if !hasReason(r, "rpo: 1 acknowledged write was lost") {
			t.Errorf("reasons %q", r.Reasons)
		}
	})

	t.Run("the RPO limit is included", func(t *testing.T) {
		// Lost: the write acked at 4.51s; window 5.05s − 4.51s = 540ms.
		for _, tt := range []struct {
			limit  time.Duration
			status firedrill.ObjectiveStatus
		}{
			{540 * ms, firedrill.StatusMet},
			{540*ms - time.Microsecond, firedrill.StatusMissed},
		} {
			in := drill(ops, primaryKill(), events...)
			in.Scenario.Objectives.RPO = d(tt.limit)
			in.Scenario.Objectives.LostWrites = nil
			in.ReadBack = readBackAll(ops, lostAt(4500*ms))
			r := Score(in)
			if o := objective(t, r, ObjectiveRPO); !eqPtr(r.RPOMS, fptr(540)) || o.Status != tt.status {
				t.Errorf("limit %v: rpo %s, objective %+v; want 540ms %s", tt.limit, show(r.RPOMS), o, tt.status)
			}
		}
	})

	t.Run("without a fault.resolved event the resolution time is unknown", func(t *testing.T) {
		r := Score(drill(ops, primaryKill(), events[1:]...))
		if f := fault(t, r, "f0"); f.ResolveMS != nil {
			t.Errorf("resolve = %s, want null", show(f.ResolveMS))
		}
	})
}

// b. The stability window can only be observed while writes are being
// sent: observation ends at the drill.end event, not at Input.Duration.
func TestRuleObservationEndsAtDrillEnd(t *testing.T) {
	for _, tt := range []struct {
		name    string
		recover time.Duration // first ok write after the outage
		rec     firedrill.Recovery
		rto     *float64
	}{
		// 18.6s + 1.5s = 20.1s: past drill.end (20s), though within
		// Input.Duration (21s), which counts the draining writes.
		{"a window closing after drill.end is not observed", 18600 * ms, firedrill.RecoveryUnconfirmed, nil},
		// 18.5s + 1.5s = 20s: closes exactly at drill.end.
		{"a window closing exactly at drill.end is observed", 18500 * ms, firedrill.RecoveryRecovered, fptr(13510)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := drill(ledger(0, 20*sec, failover(tt.recover)), primaryKill(), applied("f0", 5*sec, 0, "pg-primary"))
			in.Duration = 21 * sec
			in.Scenario.Workload.StabilityWindow.Duration = 1500 * ms
			in.Scenario.Objectives.RTO = d(time.Minute)
			r := Score(in)
			f := fault(t, r, "f0")
			if f.Recovery != tt.rec || !eqPtr(f.RTOMS, tt.rto) {
				t.Errorf("recovery %s rto %s, want %s %s", f.Recovery, show(f.RTOMS), tt.rec, show(tt.rto))
			}
			if r.DurationMS != 20000 {
				t.Errorf("duration = %v, want the observed 20000", r.DurationMS)
			}
		})
	}

	// A write sent at the very end of observation is observed: failed, it
	// leaves the outage going on.
	ops := append(ledger(0, 20*sec, failover(18500*ms)), firedrill.Op{ID: "w-last", Seq: 201, Kind: "write",
		Due: 20 * sec, Sent: 20 * sec, Done: 20*sec + 5*ms, Outcome: firedrill.OutcomeFailed})
	in := drill(ops, primaryKill(), applied("f0", 5*sec, 0, "pg-primary"))
	in.Scenario.Workload.StabilityWindow.Duration = 1500 * ms
	if f := fault(t, Score(in), "f0"); f.Recovery != firedrill.RecoveryNever {
		t.Errorf("recovery %s, want never: the failure at 20s is in the window [18.5s, 20s]", f.Recovery)
	}
}

// c. A recovery the run was too short to confirm is inconclusive, not a
// fail; an outage still going on at the end is a fail.
func TestRuleUnconfirmedRecovery(t *testing.T) {
	in := drill(ledger(0, 20*sec, failover(19*sec)), primaryKill(), applied("f0", 5*sec, 0, "pg-primary"))
	r := Score(in)
	f := fault(t, r, "f0")
	if f.Recovery != firedrill.RecoveryUnconfirmed || !eqPtr(f.PendingMS, fptr(19000)) || f.RTOMS != nil {
		t.Errorf("f0 = %+v, want unconfirmed from 19s", f)
	}
	if o := objective(t, r, ObjectiveRTO); o.Status != firedrill.StatusNoData || r.Verdict != firedrill.VerdictInconclusive {
		t.Errorf("rto %+v verdict %s, want no-data, inconclusive", o, r.Verdict)
	}
	if !hasReason(r, "rto: f0 (kill postgres.primary): writes succeeded from 19s, but observation ended at 20s before the 2s stability window closed") {
		t.Errorf("reasons %q", r.Reasons)
	}

	// The last write failed: the system was still down at the end.
	in = drill(ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
		if s == 19900*ms {
			return firedrill.OutcomeFailed, ""
		}
		return failover(19 * sec)(s)
	}), primaryKill(), applied("f0", 5*sec, 0, "pg-primary"))
	if r := Score(in); fault(t, r, "f0").Recovery != firedrill.RecoveryNever || r.Verdict != firedrill.VerdictFail {
		t.Errorf("recovery %s verdict %s, want never, fail", fault(t, r, "f0").Recovery, r.Verdict)
	}
}

// d. Each number goes to the injection that caused it.
func TestRuleChargingOverlap(t *testing.T) {
	ops := ledger(0, 20*sec, failover(8*sec))
	sched := []firedrill.Injection{
		injection(0, 5*sec, "kill", "postgres.primary"),
		injection(1, 6500*ms, "kill", "postgres.replica"),
	}

	t.Run("a replica kill during a primary's outage does not inherit it", func(t *testing.T) {
		// The detect comes at the very instant of the replica kill: it
		// still names the old primary, so it is f0's.
		in := drill(ops, sched, append([]firedrill.Event{
			applied("f0", 5*sec, 0, "pg-primary"), applied("f1", 6500*ms, 0, "pg-replica2"),
		}, failoverAt(6500*ms)...)...)
		r := Score(in)
		f0, f1 := fault(t, r, "f0"), fault(t, r, "f1")
		if !eqPtr(f0.RTOMS, fptr(3010)) || f0.Recovery != firedrill.RecoveryRecovered {
			t.Errorf("f0 = %+v, want RTO 3010", f0)
		}
		if want := map[string]float64{"detect": 1500, "fence": 1600, "promote": 2000, "first_write": 3010}; fmt.Sprint(f0.Phases) != fmt.Sprint(want) {
			t.Errorf("f0 phases = %v, want %v", f0.Phases, want)
		}
		if f1.RTOMS != nil || f1.Recovery != firedrill.RecoveryOverlapped || len(f1.Phases) != 0 ||
			f1.Overlap != "injected during f0's outage; its effect cannot be told apart" || !slices.Equal(f1.OverlapsWith, []string{"f0"}) {
			t.Errorf("f1 = %+v, want overlapped with f0, no RTO, no phases", f1)
		}
		if o := objective(t, r, ObjectiveRTO); o.Status != firedrill.StatusMet || o.Measured != "3.01s" {
			t.Errorf("rto = %+v, want met on f0's 3.01s", o)
		}
		// result.json says which injection each failover event went to.
		for _, e := range r.Events {
			if strings.HasPrefix(string(e.Kind), "failover.") && e.Injection != "f0" {
				t.Errorf("%s charged to %q, want f0", e.Kind, e.Injection)
			}
		}
	})

	t.Run("redundancy restored within the outage does not decide its cause", func(t *testing.T) {
		// Every drill with standbys watches its redundancy: the event is
		// charged (here to f1, the latest) but is no one's failover or plan.
		in := drill(ops, sched, append([]firedrill.Event{
			applied("f0", 5*sec, 0, "pg-primary"), applied("f1", 6500*ms, 0, "pg-replica2"),
			{At: 7 * sec, Kind: firedrill.EventRedundancyRestored, Target: "pg-replica1"},
		}, failoverAt(6500*ms)...)...)
		f0 := fault(t, Score(in), "f0")
		if !strings.Contains(f0.Overlap, "the failover was f0's") || strings.Contains(f0.Overlap, "recovery plan") {
			t.Errorf("f0's note %q: want the failover named as f0's, no plan", f0.Overlap)
		}
	})

	t.Run("without failover events both are flagged and judged together", func(t *testing.T) {
		sched := []firedrill.Injection{injection(0, 5*sec, "pause", "app"), injection(1, 6*sec, "kill", "postgres.replica")}
		in := drill(ops, sched, applied("f0", 5*sec, 0, "app"), applied("f1", 6*sec, 0, "pg-replica"))
		r := Score(in)
		f0, f1 := fault(t, r, "f0"), fault(t, r, "f1")
		if !eqPtr(f0.RTOMS, fptr(3010)) || !slices.Equal(f0.OverlapsWith, []string{"f1"}) || f0.Overlap == "" {
			t.Errorf("f0 = %+v, want the combined RTO 3010 and an overlap note", f0)
		}
		if f1.RTOMS != nil || f1.Recovery != firedrill.RecoveryOverlapped || !slices.Equal(f1.OverlapsWith, []string{"f0"}) {
			t.Errorf("f1 = %+v, want overlapped, no RTO", f1)
		}
	})

	t.Run("a recovery plan names its injection as the cause, and the note says a plan, not a failover", func(t *testing.T) {
		sched := []firedrill.Injection{injection(0, 5*sec, "kill", "postgres.primary"), injection(1, 5*sec, "kill", "postgres.replica")}
		in := drill(ops, sched, applied("f0", 5*sec, 0, "pg-primary"), applied("f1", 5*sec, 0, "pg-replica"),
			firedrill.Event{At: 6 * sec, Kind: firedrill.EventRecoveryClassified, Target: "pg-primary", Injection: "f0", Detail: "database lost"},
			firedrill.Event{At: 7 * sec, Kind: firedrill.EventRecoveryDone, Target: "pg-primary"})
		r := Score(in)
		f0, f1 := fault(t, r, "f0"), fault(t, r, "f1")
		if !eqPtr(f0.RTOMS, fptr(3010)) || f1.Recovery != firedrill.RecoveryOverlapped {
			t.Fatalf("f0 = %+v, f1 = %+v, want f0 the cause", f0, f1)
		}
		if strings.Contains(f0.Overlap, "failover") || !strings.Contains(f0.Overlap, "recovery plan") {
			t.Errorf("f0's note %q names a failover that never happened", f0.Overlap)
		}
	})

	t.Run("the failover names the later injection as the cause", func(t *testing.T) {
		ops := ledger(0, 20*sec, failover(9*sec))
		sched := []firedrill.Injection{injection(0, 5*sec, "pause", "postgres.replica"), injection(1, 6*sec, "kill", "postgres.primary")}
		in := drill(ops, sched, append([]firedrill.Event{
			applied("f0", 5*sec, 0, "pg-replica"), applied("f1", 6*sec, 0, "pg-primary"),
		}, failoverAt(7500*ms)...)...)
		r := Score(in)
		f0, f1 := fault(t, r, "f0"), fault(t, r, "f1")
		if !eqPtr(f1.RTOMS, fptr(3010)) || f1.Phases["detect"] != 1500 {
			t.Errorf("f1 = %+v, want RTO 3010 and detect 1500", f1)
		}
		if f0.RTOMS != nil || f0.Recovery != firedrill.RecoveryOverlapped || !slices.Equal(f0.OverlapsWith, []string{"f1"}) {
			t.Errorf("f0 = %+v, want overlapped, no RTO", f0)
		}
	})

	t.Run("a detect at the very instant of the injection that hit its node is that injection's", func(t *testing.T) {
		ops := ledger(0, 20*sec, failover(9*sec))
		sched := []firedrill.Injection{injection(0, 5*sec, "pause", "postgres.replica"), injection(1, 6*sec, "kill", "postgres.primary")}
		in := drill(ops, sched, append([]firedrill.Event{
			applied("f0", 5*sec, 0, "pg-replica"), applied("f1", 6*sec, 0, "pg-primary"),
		}, failoverAt(6*sec)...)...)
		if f1 := fault(t, Score(in), "f1"); !eqPtr(f1.RTOMS, fptr(3010)) || f1.Phases["detect"] != 0 {
			t.Errorf("f1 = %+v, want RTO 3010 and detect 0", f1)
		}
	})

	t.Run("an earlier harmless injection does not inherit a later outage", func(t *testing.T) {
		sched := []firedrill.Injection{injection(0, 3*sec, "kill", "postgres.replica"), injection(1, 5*sec, "kill", "postgres.primary")}
		in := drill(ops, sched, append([]firedrill.Event{
			applied("f0", 3*sec, 0, "pg-replica2"), applied("f1", 5*sec, 0, "pg-primary"),
		}, failoverAt(6500*ms)...)...)
		r := Score(in)
		// f0's window [3s, 5s] closes exactly when f1 is injected.
		if f0 := fault(t, r, "f0"); !eqPtr(f0.RTOMS, fptr(10)) || f0.Overlap != "" {
			t.Errorf("f0 = %+v, want RTO 10ms, no overlap", f0)
		}
		if f1 := fault(t, r, "f1"); !eqPtr(f1.RTOMS, fptr(3010)) || f1.Phases["detect"] != 1500 {
			t.Errorf("f1 = %+v, want RTO 3010, detect 1500", f1)
		}
	})

	t.Run("a later harmless injection in the stability window leaves the recovery alone", func(t *testing.T) {
		sched := []firedrill.Injection{injection(0, 5*sec, "kill", "postgres.primary"), injection(1, 9*sec, "kill", "postgres.replica")}
		in := drill(ops, sched, append([]firedrill.Event{
			applied("f0", 5*sec, 0, "pg-primary"), applied("f1", 9*sec, 0, "pg-replica2"),
		}, failoverAt(6500*ms)...)...)
		r := Score(in)
		if f0 := fault(t, r, "f0"); !eqPtr(f0.RTOMS, fptr(3010)) || f0.Overlap != "" {
			t.Errorf("f0 = %+v, want RTO 3010", f0)
		}
		if f1 := fault(t, r, "f1"); !eqPtr(f1.RTOMS, fptr(10)) || f1.Overlap != "" {
			t.Errorf("f1 = %+v, want RTO 10ms", f1)
		}
	})
}

// d. Lost writes go to the promotion that lost them, hence to its
// injection; without a promotion, to the injection that hit the node that
// acknowledged them.
func TestRuleChargingLostWrites(t *testing.T) {
	t.Run("to the promotion that lost it, not to the next injection", func(t *testing.T) {
		ops := ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
			if s == 5*sec {
				return firedrill.OutcomeOK, "pg-primary"
			}
			return failover(8 * sec)(s)
		})
		sched := []firedrill.Injection{injection(0, 5*sec, "kill", "postgres.primary"), injection(1, 6*sec, "kill", "postgres.replica")}
		in := drill(ops, sched, append([]firedrill.Event{
			applied("f0", 5*sec, 100*ms, "pg-primary"), applied("f1", 6*sec, 0, "pg-replica2"),
		}, failoverAt(6500*ms)...)...)
		in.ReadBack = readBackAll(ops, func(o firedrill.Op) bool { return o.Sent == 5*sec })
		r := Score(in)
		f0, f1 := fault(t, r, "f0"), fault(t, r, "f1")
		// acked at 5.01s, the kill certain at 5.1s
		if !eqPtr(f0.Lost, intp(1)) || !eqPtr(f0.RPOMS, fptr(90)) || !eqPtr(f1.Lost, intp(0)) || !eqPtr(f1.RPOMS, fptr(0)) {
			t.Errorf("f0 lost %s rpo %s, f1 lost %s rpo %s; want 1 90, 0 0", show(f0.Lost), show(f0.RPOMS), show(f1.Lost), show(f1.RPOMS))
		}
		if o := objective(t, r, ObjectiveRPO); !strings.Contains(o.Detail, "f0 (kill postgres.primary)") || o.Measured != "90ms" {
			t.Errorf("rpo = %+v, want 90ms charged to f0", o)
		}
	})

	t.Run("a promotion exactly at the ack takes the write", func(t *testing.T) {
		// Two failovers: f0's promotes pg-replica at 7s, f1's pg-replica2
		// at 12s. A write acked by pg-replica at 7s exactly is lost by the
		// first; one acked a microsecond later by the second.
		for _, tt := range []struct {
			ack        time.Duration
			to         string
			rpo        float64
			otherEmpty string
		}{
			{7 * sec, "f0", 0, "f1"},
			{7*sec + time.Microsecond, "f1", 2999.999, "f0"},
		} {
			ops := ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
				if s >= 12*sec {
					return firedrill.OutcomeOK, "pg-replica2"
				}
				return failover(8 * sec)(s)
			})
			ops[69].Outcome, ops[69].Node, ops[69].Error, ops[69].Done = firedrill.OutcomeOK, "pg-replica", "", tt.ack // sent 6.9s
			sched := []firedrill.Injection{injection(0, 5*sec, "kill", "postgres.primary"), injection(1, 10*sec, "kill", "postgres.primary")}
			in := drill(ops, sched,
				applied("f0", 5*sec, 0, "pg-primary"), applied("f1", 10*sec, 0, "pg-replica"),
				ev(firedrill.EventDetect, 6500*ms, "pg-primary"), ev(firedrill.EventPromote, 7*sec, "pg-replica"),
				ev(firedrill.EventDetect, 11500*ms, "pg-replica"), ev(firedrill.EventPromote, 12*sec, "pg-replica2"))
			in.ReadBack = readBackAll(ops, func(o firedrill.Op) bool { return o.Seq == 70 })
			r := Score(in)
			if f := fault(t, r, tt.to); !eqPtr(f.Lost, intp(1)) || !eqPtr(f.RPOMS, fptr(tt.rpo)) {
				t.Errorf("ack %v: %s lost %s rpo %s, want 1 and %v", tt.ack, tt.to, show(f.Lost), show(f.RPOMS), tt.rpo)
			}
			if f := fault(t, r, tt.otherEmpty); !eqPtr(f.Lost, intp(0)) {
				t.Errorf("ack %v: %s lost %s, want 0", tt.ack, tt.otherEmpty, show(f.Lost))
			}
		}
	})

	t.Run("without a promotion, to the injection that hit the acking node", func(t *testing.T) {
		ops := ledger(0, 20*sec, failover(time.Hour))
		sched := []firedrill.Injection{injection(0, 3*sec, "kill", "postgres.replica"), injection(1, 5*sec, "kill", "postgres.primary")}
		in := drill(ops, sched, applied("f0", 3*sec, 0, "pg-replica"), applied("f1", 5*sec, 0, "pg-primary"))
		in.FailoverEnabled = false
		in.ReadBack = readBackAll(ops, func(o firedrill.Op) bool { return o.Sent == 2*sec }) // acked 2.01s on pg-primary
		r := Score(in)
		f0, f1 := fault(t, r, "f0"), fault(t, r, "f1")
		if !eqPtr(f1.Lost, intp(1)) || !eqPtr(f1.RPOMS, fptr(2990)) || !eqPtr(f0.Lost, intp(0)) {
			t.Errorf("f0 lost %s, f1 lost %s rpo %s; want 0, 1 2990", show(f0.Lost), show(f1.Lost), show(f1.RPOMS))
		}
		// f0 is the replica's kill: it recovered before f1 came.
		if !eqPtr(f0.RTOMS, fptr(10)) || f1.Recovery != firedrill.RecoveryNever {
			t.Errorf("f0 rto %s, f1 %s; want 10ms and never", show(f0.RTOMS), f1.Recovery)
		}

		// Acked exactly as f1 took effect: f1's, with a window of 0, not a
		// later kill's.
		sched3 := append(slices.Clone(sched), injection(2, 10*sec, "kill", "postgres.primary"))
		in3 := drill(ops, sched3, applied("f0", 3*sec, 0, "pg-replica"), applied("f1", 5*sec, 0, "pg-primary"),
			applied("f2", 10*sec, 0, "pg-primary"))
		in3.ReadBack = readBackAll(ops, func(o firedrill.Op) bool { return o.Seq == 50 })
		ops[49].Done = 5 * sec // sent 4.9s
		r3 := Score(in3)
		if f1 := fault(t, r3, "f1"); !eqPtr(f1.Lost, intp(1)) || !eqPtr(f1.RPOMS, fptr(0)) {
			t.Errorf("acked at E: f1 lost %s rpo %s, want 1 0 (f2 lost %s)", show(f1.Lost), show(f1.RPOMS), show(fault(t, r3, "f2").Lost))
		}
		ops[49].Done = 4910 * ms

		// A node no injection hit: the first injection after the ack.
		for i := range ops {
			if ops[i].Sent == 2*sec {
				ops[i].Node = "pg-elsewhere"
			}
		}
		if f0 := fault(t, Score(in), "f0"); !eqPtr(f0.Lost, intp(1)) || !eqPtr(f0.RPOMS, fptr(990)) {
			t.Errorf("f0 lost %s rpo %s, want 1 990", show(f0.Lost), show(f0.RPOMS))
		}
	})
}

// e. The recovery write must be sent at or after T+Span.
func TestRuleRecoveryAfterEffect(t *testing.T) {
	// The primary kept acknowledging while the kill's call ran.
	ops := ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
		if s < 5300*ms {
			return firedrill.OutcomeOK, "pg-primary"
		}
		return failover(8 * sec)(s)
	})
	for _, tt := range []struct {
		span time.Duration
		rto  float64
	}{
		{300 * ms, 3010},                   // first write sent at or after 5.3s that is ok: 8.0s
		{3 * sec, 3010},                    // sent exactly at T+Span = 8s: counts
		{3*sec + time.Microsecond, 3110},   // just after: the next one
		{3100*ms - time.Microsecond, 3110}, // 8.1s is at or after
	} {
		in := drill(ops, primaryKill(), applied("f0", 5*sec, tt.span, "pg-primary"))
		in.Scenario.Workload.StabilityWindow.Duration = 0
		if f := fault(t, Score(in), "f0"); !eqPtr(f.RTOMS, fptr(tt.rto)) {
			t.Errorf("span %v: rto %s, want %v", tt.span, show(f.RTOMS), tt.rto)
		}
	}
}

// g. The read-back node is recorded and must be the node that
// acknowledged the last writes.
func TestRuleReadBackNode(t *testing.T) {
	ops := ledger(0, 20*sec, failover(8*sec))
	for _, tt := range []struct {
		from    string
		verdict firedrill.Verdict
		reason  string
	}{
		{"pg-replica", firedrill.VerdictPass, ""},
		{"pg-primary", firedrill.VerdictInconclusive, "read back from pg-primary, but the last acknowledged writes came from pg-replica"},
		{"", firedrill.VerdictInconclusive, "the read-back did not say which node it read"},
	} {
		in := drill(ops, primaryKill(), append([]firedrill.Event{applied("f0", 5*sec, 0, "pg-primary")}, failoverAt(6500*ms)...)...)
		in.ReadFrom = tt.from
		// What a read from the wrong node sees: the new primary's writes
		// are missing. That must not be scored as lost writes.
		if tt.from != "pg-replica" {
			in.ReadBack = readBackAll(ops, func(o firedrill.Op) bool { return o.Node == "pg-replica" })
		}
		r := Score(in)
		if r.ReadFrom != tt.from || r.Verdict != tt.verdict || (tt.reason != "" && !hasReason(r, tt.reason)) {
			t.Errorf("read from %q: result read_from %q verdict %s reasons %q", tt.from, r.ReadFrom, r.Verdict, r.Reasons)
		}
		if wrong := tt.from != "pg-replica"; wrong != (r.Writes.Lost == nil) || wrong != (r.RPOMS == nil) || wrong != (fault(t, r, "f0").Lost == nil) {
			t.Errorf("read from %q: lost %s rpo %s f0 lost %s; a wrong node measures no loss", tt.from, show(r.Writes.Lost),
				show(r.RPOMS), show(fault(t, r, "f0").Lost))
		}
	}
}

// h. Writes classified failed but present at read-back are counted and
// warned about; they do not decide the verdict.
func TestRuleFailedButPresent(t *testing.T) {
	ops := ledger(0, 20*sec, failover(8*sec))
	in := drill(ops, primaryKill(), append([]firedrill.Event{applied("f0", 5*sec, 0, "pg-primary")}, failoverAt(6500*ms)...)...)
	in.ReadBack["w-0051"], in.ReadBack["w-0052"] = true, true // failed at 5.0s and 5.1s
	r := Score(in)
	if !eqPtr(r.Writes.FailedButPresent, intp(2)) || !slices.Equal(r.Writes.FailedButPresentIDs, []string{"w-0051", "w-0052"}) {
		t.Errorf("failed but present %s %v, want 2", show(r.Writes.FailedButPresent), r.Writes.FailedButPresentIDs)
	}
	if r.Verdict != firedrill.VerdictPass || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "2 writes classified failed were found at read-back") {
		t.Errorf("verdict %s warnings %q", r.Verdict, r.Warnings)
	}
	in.ReadBack = nil
	if r := Score(in); r.Writes.FailedButPresent != nil {
		t.Errorf("without a read-back: %s, want null", show(r.Writes.FailedButPresent))
	}
}

// i. A fault that never recovers fails the drill whatever its rto
// objective says.
func TestRuleNeverRecoveredFails(t *testing.T) {
	in := drill(ledger(0, 20*sec, failover(time.Hour)), primaryKill(), applied("f0", 5*sec, 0, "pg-primary"))
	in.Scenario.Objectives.RTO = nil
	r := Score(in)
	if o := objective(t, r, ObjectiveRTO); o.Status != firedrill.StatusMissed || r.Verdict != firedrill.VerdictFail {
		t.Errorf("rto %+v verdict %s, want missed, fail", o, r.Verdict)
	}
}

// The RTO limit is included.
func TestRuleRTOLimit(t *testing.T) {
	for _, tt := range []struct {
		limit  time.Duration
		status firedrill.ObjectiveStatus
	}{
		{3010 * ms, firedrill.StatusMet},
		{3010*ms - time.Microsecond, firedrill.StatusMissed},
	} {
		in := drill(ledger(0, 20*sec, failover(8*sec)), primaryKill(), applied("f0", 5*sec, 0, "pg-primary"))
		in.Scenario.Objectives.RTO = d(tt.limit)
		if o := objective(t, Score(in), ObjectiveRTO); o.Status != tt.status {
			t.Errorf("limit %v: %+v, want %s", tt.limit, o, tt.status)
		}
	}
}

// op is one write; the ack is Done.
func op(seq int64, sent, done time.Duration, node string) firedrill.Op {
	return firedrill.Op{ID: fmt.Sprintf("w-%04d", seq), Seq: seq, Kind: "write", Sent: sent, Done: done,
		Outcome: firedrill.OutcomeOK, Node: node}
}

// j. Split brain: A…B…A in certain order, unless A was promoted in
// between.
func TestRuleSplitBrain(t *testing.T) {
	// seq acks a node per 100ms slot: sent at i*100ms, acked 10ms later.
	seq := func(nodes ...string) []firedrill.Op {
		var ops []firedrill.Op
		for i, n := range nodes {
			if n == "" {
				continue
			}
			s := time.Duration(i) * 100 * ms
			ops = append(ops, op(int64(i+1), s, s+10*ms, n))
		}
		return ops
	}
	promote := func(at time.Duration, node string) firedrill.Event { return ev(firedrill.EventPromote, at, node) }
	for _, tt := range []struct {
		name   string
		ops    []firedrill.Op
		events []firedrill.Event
		split  bool
	}{
		{name: "failover A to B", ops: seq("A", "A", "", "B", "B")},
		{name: "failback A to B to A with A promoted", ops: seq("A", "A", "", "B", "B", "", "A", "A"),
			events: []firedrill.Event{promote(250*ms, "B"), promote(550*ms, "A")}},
		{name: "failback without a promotion of A", ops: seq("A", "A", "", "B", "B", "", "A", "A"),
			events: []firedrill.Event{promote(250*ms, "B")}, split: true},
		{name: "two nodes interleaving", ops: seq("A", "B", "A", "B"), split: true},
		{name: "three nodes in turn", ops: seq("A", "", "B", "", "C"),
			events: []firedrill.Event{promote(150*ms, "B"), promote(350*ms, "C")}},
		{name: "three nodes back to the first, promoted", ops: seq("A", "", "B", "", "C", "", "A"),
			events: []firedrill.Event{promote(150*ms, "B"), promote(350*ms, "C"), promote(550*ms, "A")}},
		{name: "three nodes, two of them interleaving", ops: seq("A", "", "B", "C", "B", "C"),
			events: []firedrill.Event{promote(150*ms, "B"), promote(250*ms, "C")}, split: true},
		{name: "three nodes, the first back without a promotion", ops: seq("A", "B", "C", "A"),
			events: []firedrill.Event{promote(50*ms, "B"), promote(150*ms, "C")}, split: true},
		// The promotion of A must lie between y's ack and z's ack, ends
		// included: y (B) acked at 410ms, z (A) at 610ms.
		{name: "A promoted exactly at y's ack", ops: seq("A", "", "", "", "B", "", "A"),
			events: []firedrill.Event{promote(410*ms, "A")}},
		{name: "A promoted exactly at z's ack", ops: seq("A", "", "", "", "B", "", "A"),
			events: []firedrill.Event{promote(610*ms, "A")}},
		{name: "A promoted just before y's ack", ops: seq("A", "", "", "", "B", "", "A"),
			events: []firedrill.Event{promote(410*ms-time.Microsecond, "A")}, split: true},
		{name: "A promoted just after z's ack", ops: seq("A", "", "", "", "B", "", "A"),
			events: []firedrill.Event{promote(610*ms+time.Microsecond, "A")}, split: true},
		// A node acknowledging a write sent after another's promotion had
		// returned (B promoted at 100ms, returned at 150ms), strictly after.
		{name: "old primary acks a write sent after the promotion returned",
			ops:    []firedrill.Op{op(1, 0, 10*ms, "A"), op(2, 150*ms+time.Microsecond, 160*ms, "A")},
			events: []firedrill.Event{{At: 100 * ms, Span: 50 * ms, Kind: firedrill.EventPromote, Target: "B"}}, split: true},
		{name: "old primary acks a write sent as the promotion returned",
			ops:    []firedrill.Op{op(1, 0, 10*ms, "A"), op(2, 150*ms, 160*ms, "A")},
			events: []firedrill.Event{{At: 100 * ms, Span: 50 * ms, Kind: firedrill.EventPromote, Target: "B"}}},
		{name: "a node promoted back after the other's promotion",
			ops: []firedrill.Op{op(1, 0, 10*ms, "A"), op(2, 300*ms, 310*ms, "A")},
			events: []firedrill.Event{{At: 100 * ms, Span: 50 * ms, Kind: firedrill.EventPromote, Target: "B"},
				{At: 200 * ms, Kind: firedrill.EventPromote, Target: "A"}}},
		// Certain order: x.Done < y.Sent and y.Done < z.Sent, strictly.
		{name: "x acked as y was sent: order not certain",
			ops: []firedrill.Op{op(1, 0, 10*ms, "A"), op(2, 10*ms, 20*ms, "B"), op(3, 30*ms, 40*ms, "A")}},
		{name: "x acked just before y was sent",
			ops:   []firedrill.Op{op(1, 0, 10*ms, "A"), op(2, 10*ms+time.Microsecond, 20*ms, "B"), op(3, 30*ms, 40*ms, "A")},
			split: true},
		{name: "y acked as z was sent: order not certain",
			ops: []firedrill.Op{op(1, 0, 10*ms, "A"), op(2, 20*ms, 30*ms, "B"), op(3, 30*ms, 40*ms, "A")}},
		{name: "y acked just before z was sent",
			ops:   []firedrill.Op{op(1, 0, 10*ms, "A"), op(2, 20*ms, 30*ms-time.Microsecond, "B"), op(3, 30*ms, 40*ms, "A")},
			split: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := drill(tt.ops, []firedrill.Injection{injection(0, 0, "kill", "postgres.primary")},
				append([]firedrill.Event{applied("f0", 0, 0, "A")}, tt.events...)...)
			r := Score(in)
			o := objective(t, r, ObjectiveSplitBrain)
			if want := map[bool]firedrill.ObjectiveStatus{true: firedrill.StatusMissed, false: firedrill.StatusMet}[tt.split]; r.SplitBrain != tt.split || o.Status != want {
				t.Errorf("split %v (%+v), want %v", r.SplitBrain, o, tt.split)
			}
		})
	}

	// Through Score: a failback after two primary kills is not a split brain.
	ops := ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
		switch {
		case s < 5*sec:
			return firedrill.OutcomeOK, "pg-primary"
		case s >= 8*sec && s < 12*sec:
			return firedrill.OutcomeOK, "pg-replica"
		case s >= 15*sec:
			return firedrill.OutcomeOK, "pg-primary"
		}
		return firedrill.OutcomeFailed, ""
	})
	sched := []firedrill.Injection{injection(0, 5*sec, "kill", "postgres.primary"), injection(1, 12*sec, "kill", "postgres.primary")}
	in := drill(ops, sched, applied("f0", 5*sec, 0, "pg-primary"), applied("f1", 12*sec, 0, "pg-replica"),
		ev(firedrill.EventDetect, 6500*ms, "pg-primary"), promote(7*sec, "pg-replica"),
		ev(firedrill.EventDetect, 13500*ms, "pg-replica"), promote(14*sec, "pg-primary"))
	in.Scenario.Objectives.RTO = d(10 * sec)
	if r := Score(in); r.SplitBrain || r.Verdict != firedrill.VerdictPass {
		t.Errorf("failback: split brain %v, verdict %s %q", r.SplitBrain, r.Verdict, r.Reasons)
	}
}

// l. The probe's schedule lag: Sent − Due over the writes.
func TestRuleScheduleLag(t *testing.T) {
	var ops []firedrill.Op
	for i := range 100 {
		due := time.Duration(i) * 10 * ms
		o := op(int64(i+1), due+time.Duration(100-i)*ms, due+time.Duration(100-i)*ms+5*ms, "A")
		o.Due = due
		ops = append(ops, o) // lags 100ms down to 1ms
	}
	r := Score(drill(ops, primaryKill()))
	if l := r.ScheduleLag; l == nil || l.P50MS != 50 || l.P99MS != 99 || l.MaxMS != 100 {
		t.Errorf("lag = %+v, want p50 50, p99 99, max 100", l)
	}
	if r := Score(drill(nil, primaryKill())); r.ScheduleLag != nil {
		t.Errorf("lag without writes = %+v, want null", r.ScheduleLag)
	}
}

// The failover manager's health-check phase is the Span of its
// failover.start event.
func TestHealthCheckPhase(t *testing.T) {
	start := firedrill.Event{At: 0, Span: 730 * ms, Kind: firedrill.EventManagerStart, Detail: "builtin, checks every 1s"}
	r := Score(drill(ledger(0, 20*sec, failover(8*sec)), primaryKill(), start, applied("f0", 5*sec, 0, "pg-primary")))
	if !eqPtr(r.HealthCheckPhaseMS, fptr(730)) {
		t.Errorf("phase = %s, want 730", show(r.HealthCheckPhaseMS))
	}
	if r := Score(drill(nil, primaryKill())); r.HealthCheckPhaseMS != nil {
		t.Errorf("phase without a manager = %s, want null", show(r.HealthCheckPhaseMS))
	}
}

// Reverts are reported; a failed revert makes the drill inconclusive.
func TestReverts(t *testing.T) {
	sched := []firedrill.Injection{injection(0, 5*sec, "pause", "app")}
	ops := ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
		if s >= 5*sec && s < 8*sec {
			return firedrill.OutcomeIndeterminate, ""
		}
		return firedrill.OutcomeOK, "pg-primary"
	})
	rev := firedrill.Event{At: 8 * sec, Span: 20 * ms, Kind: firedrill.EventFaultReverted, Injection: "f0", Target: "app", Evidence: "running"}
	r := Score(drill(ops, sched, applied("f0", 5*sec, 0, "app"), rev))
	if f := fault(t, r, "f0"); !eqPtr(f.RevertedMS, fptr(8000)) || r.Verdict != firedrill.VerdictPass {
		t.Errorf("reverted %s verdict %s %q", show(f.RevertedMS), r.Verdict, r.Reasons)
	}
	if f := fault(t, Score(drill(ops, sched, applied("f0", 5*sec, 0, "app"))), "f0"); f.RevertedMS != nil {
		t.Errorf("never reverted: %s, want null", show(f.RevertedMS))
	}
	bad := firedrill.Event{At: 8 * sec, Kind: firedrill.EventFaultRevertFailed, Injection: "f0", Target: "app", Detail: "docker unpause: no such container"}
	r = Score(drill(ops, sched, applied("f0", 5*sec, 0, "app"), bad))
	if f := fault(t, r, "f0"); f.RevertError == "" || r.Verdict != firedrill.VerdictInconclusive ||
		!hasReason(r, "the revert of f0 (pause app) failed: docker unpause: no such container") {
		t.Errorf("revert error %q verdict %s reasons %q", f.RevertError, r.Verdict, r.Reasons)
	}
}
