package live

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr"
	"github.com/firedrill/firedrill/scenarios"
)

const s = time.Second

// drillFixture is a synthetic drill: a 60s timeline with f0 (partition of
// the primary at 10s for 5s) and f1 (kill of the primary at 30s), a
// ledger and a tracker over them.
type drillFixture struct {
	tl     *firedrill.Timeline
	ledger *firedrill.Ledger
	scn    *scenarios.Scenario
	tr     *Tracker
	seq    int64
}

func newDrill(t *testing.T, edit func(*scenarios.Scenario)) *drillFixture {
	t.Helper()
	five := scenarios.Duration{Duration: 5 * s}
	scn := &scenarios.Scenario{Timeline: scenarios.Timeline{Duration: scenarios.Duration{Duration: 60 * s}, Faults: []scenarios.Fault{
		{At: scenarios.Duration{Duration: 10 * s}, Action: "partition", Target: "postgres.primary", For: &five},
		{At: scenarios.Duration{Duration: 30 * s}, Action: "kill", Target: "postgres.primary"},
	}}}
	scn.Workload.WritesPerSecond = 10
	if edit != nil {
		edit(scn)
	}
	d := &drillFixture{tl: firedrill.NewTimeline(), ledger: &firedrill.Ledger{}, scn: scn}
	d.tr = NewTracker(Source{Timeline: d.tl, Ops: d.ledger, Schedule: firedrill.NewSchedule(scn), Scenario: scn, Settle: 3 * s})
	d.event(0, firedrill.EventDrillStart, "", "")
	return d
}

func (d *drillFixture) event(at time.Duration, kind firedrill.EventKind, injection, target string) {
	e := firedrill.Event{At: at, Kind: kind, Injection: injection, Target: target}
	if target != "" {
		e.Nodes = []string{target}
	}
	d.tl.Add(e)
}

func (d *drillFixture) eventDetail(at time.Duration, kind firedrill.EventKind, target, detail string) {
	d.tl.Add(firedrill.Event{At: at, Kind: kind, Target: target, Detail: detail})
}

// writes records n writes of outcome, sent evenly over [from, to) and each
// done 10ms after it was sent.
func (d *drillFixture) writes(from, to time.Duration, n int, outcome firedrill.Outcome) {
	d.ops("write", from, to, n, outcome)
}

func (d *drillFixture) ops(kind string, from, to time.Duration, n int, outcome firedrill.Outcome) {
	for i := range n {
		sent := from + (to-from)*time.Duration(i)/time.Duration(n)
		d.seq++
		d.ledger.Add(firedrill.Op{Seq: d.seq, Kind: kind, Sent: sent, Done: sent + 10*time.Millisecond, Outcome: outcome})
	}
}

func TestPhases(t *testing.T) {
	d := newDrill(t, nil)
	step := func(now time.Duration, want Phase, wantSince time.Duration) Snapshot {
		t.Helper()
		snap := d.tr.Snapshot(now)
		if snap.Phase != want || snap.PhaseSince != wantSince {
			t.Fatalf("at %s: phase %q since %s, want %q since %s", now, snap.Phase, snap.PhaseSince, want, wantSince)
		}
		return snap
	}
	d.writes(0, 10*s, 100, firedrill.OutcomeOK)
	step(9*s, PhaseBaseline, 0)

	d.event(10*s, firedrill.EventFaultResolved, "f0", "pg-1")
	d.event(10*s, firedrill.EventFaultInjected, "f0", "pg-1")
	d.writes(10*s, 15*s, 50, firedrill.OutcomeFailed)
	step(14*s, PhaseFault, 10*s)

	// Reverted, but no write sent since has been acknowledged yet.
	d.event(15*s, firedrill.EventFaultReverted, "f0", "pg-1")
	step(15*s+100*time.Millisecond, PhaseRecovering, 15*s)

	d.writes(15*s, 16*s, 10, firedrill.OutcomeOK)
	step(16*s+500*time.Millisecond, PhaseRecovered, 15*s+10*time.Millisecond)
	// Far later, the write that marked the recovery has left the kept
	// operations; the phase still dates it.
	d.writes(16*s, 29*s, 130, firedrill.OutcomeOK)
	step(29*s, PhaseRecovered, 15*s+10*time.Millisecond)

	// A kill is never "in effect": the drill goes straight to recovering,
	// and stays there while the manager fails over.
	// A write the old primary acknowledged while the kill's call was under
	// way (it returned at 30.05s) is no recovery.
	d.tl.Add(firedrill.Event{At: 30 * s, Span: 50 * time.Millisecond, Kind: firedrill.EventFaultInjected, Injection: "f1", Target: "pg-1"})
	d.writes(30*s+10*time.Millisecond, 30*s+20*time.Millisecond, 1, firedrill.OutcomeOK)
	d.writes(30*s+100*time.Millisecond, 30*s+500*time.Millisecond, 5, firedrill.OutcomeFailed)
	step(32*s, PhaseRecovering, 30*s+50*time.Millisecond) // nothing failed in the last second, nothing served
	d.eventDetail(33*s, firedrill.EventDetect, "pg-1", "3 consecutive failed health checks")
	d.writes(33*s, 34*s, 10, firedrill.OutcomeOK) // acknowledged, yet a failover is under way
	step(34*s, PhaseRecovering, 30*s+50*time.Millisecond)
	d.eventDetail(34*s, firedrill.EventFence, "pg-1", "")
	d.tl.Add(firedrill.Event{At: 34 * s, Span: 500 * time.Millisecond, Kind: firedrill.EventPromote, Target: "pg-2"})
	d.writes(35*s, 36*s, 10, firedrill.OutcomeOK)
	step(36*s+500*time.Millisecond, PhaseRecovered, 33*s+10*time.Millisecond)

	d.event(60*s, firedrill.EventDrillEnd, "", "")
	step(60*s, PhaseSettling, 60*s)
	d.tr.Stage(StageSettle, 61*s)
	step(62*s, PhaseSettling, 61*s)
	d.tr.Stage(StageReadBack, 64*s)
	step(64*s, PhaseReadBack, 64*s)
	d.tr.Stage(StageTeardown, 65*s)
	step(66*s, PhaseTeardown, 65*s)
}

func TestStartingBeforeDrillStart(t *testing.T) {
	tr := NewTracker(Source{Timeline: firedrill.NewTimeline()})
	if got := tr.Snapshot(2 * s).Phase; got != PhaseStarting {
		t.Errorf("phase %q without drill.start, want %q", got, PhaseStarting)
	}
}

func TestRates(t *testing.T) {
	d := newDrill(t, func(scn *scenarios.Scenario) { scn.Workload.ReadsPerSecond = 5 })
	d.writes(0, 900*time.Millisecond, 9, firedrill.OutcomeOK)
	early := d.tr.Snapshot(900 * time.Millisecond)
	if early.Writes.RateKnown {
		t.Errorf("a rate before the first second: %+v", early.Writes)
	}
	if early.Writes.Total.OK != 9 {
		t.Errorf("total ok %d, want 9", early.Writes.Total.OK)
	}
	if line := Line(early, RenderOptions{}); !strings.Contains(line, "after the first second") || strings.Contains(line, "last second") {
		t.Errorf("the line before a second shows a rate: %q", line)
	}

	// In (1s, 2s]: 4 ok, 3 failed, 2 indeterminate; before it, 9+1 ok.
	d.writes(900*time.Millisecond, 1*s, 1, firedrill.OutcomeOK)
	d.writes(1*s, 1800*time.Millisecond, 4, firedrill.OutcomeOK)
	d.writes(1200*time.Millisecond, 1500*time.Millisecond, 3, firedrill.OutcomeFailed)
	d.writes(1600*time.Millisecond, 1900*time.Millisecond, 2, firedrill.OutcomeIndeterminate)
	d.ops("read", 1*s, 1900*time.Millisecond, 3, firedrill.OutcomeStale)
	// Finished after now: not counted yet in the rate.
	d.writes(2*s, 2100*time.Millisecond, 1, firedrill.OutcomeOK)
	snap := d.tr.Snapshot(2 * s)
	if want := (Counts{OK: 4, Failed: 3, Indeterminate: 2}); !snap.Writes.RateKnown || snap.Writes.PerSecond != want {
		t.Errorf("writes per second %+v (known %v), want %+v", snap.Writes.PerSecond, snap.Writes.RateKnown, want)
	}
	if want := (Counts{OK: 15, Failed: 3, Indeterminate: 2}); snap.Writes.Total != want {
		t.Errorf("writes total %+v, want %+v", snap.Writes.Total, want)
	}
	if snap.Reads == nil || snap.Reads.PerSecond.Stale != 3 || snap.Reads.Total.Stale != 3 {
		t.Errorf("reads %+v, want 3 stale in the last second", snap.Reads)
	}
	if snap.Uploads != nil {
		t.Errorf("uploads shown for a scenario without them: %+v", snap.Uploads)
	}
	if got := Block(snap, RenderOptions{})[1]; !strings.HasPrefix(got, "writes 4 ok/s, 3 failed/s, 2 indet/s · 15 ok, 3 failed, 2 indet · reads 0 ok/s, 3 stale/s") {
		t.Errorf("block traffic %q, want the rates first", got)
	}
	if got := Block(early, RenderOptions{})[1]; !strings.HasPrefix(got, "writes -/s (first second), 9 ok") {
		t.Errorf("block traffic in the first second %q, want no rate", got)
	}
	// The ledger is read incrementally: a second snapshot counts nothing twice.
	if again := d.tr.Snapshot(2 * s); again.Writes.Total != snap.Writes.Total {
		t.Errorf("second snapshot totals %+v, first %+v", again.Writes.Total, snap.Writes.Total)
	}
}

func TestActiveFaultsAndNext(t *testing.T) {
	d := newDrill(t, nil)
	snap := d.tr.Snapshot(4 * s)
	if n := snap.Next; n == nil || n.ID != "f0" || n.In != 6*s || n.Action != "partition" || n.Target != "postgres.primary" {
		t.Fatalf("next %+v, want f0 partition postgres.primary in 6s", snap.Next)
	}
	d.event(10*s, firedrill.EventFaultResolved, "f0", "pg-1")
	d.event(10*s, firedrill.EventFaultInjected, "f0", "pg-1")
	snap = d.tr.Snapshot(11 * s)
	want := []ActiveFault{{ID: "f0", Action: "partition", Target: "pg-1", Since: 10 * s, Until: 15 * s}}
	if !slices.Equal(snap.Active, want) {
		t.Errorf("active %+v, want %+v", snap.Active, want)
	}
	if n := snap.Next; n == nil || n.ID != "f1" || n.In != 19*s {
		t.Errorf("next %+v, want f1 in 19s", snap.Next)
	}

	d.event(15*s, firedrill.EventFaultReverted, "f0", "pg-1")
	snap = d.tr.Snapshot(16 * s)
	if len(snap.Active) != 0 {
		t.Errorf("active after the revert: %+v", snap.Active)
	}
	if snap.Last == nil || snap.Last.ID != "f0" {
		t.Errorf("last %+v, want f0", snap.Last)
	}

	// An irreversible fault is the last, never active; none is next.
	d.event(30*s, firedrill.EventFaultInjected, "f1", "pg-1")
	snap = d.tr.Snapshot(31 * s)
	if len(snap.Active) != 0 || snap.Last == nil || snap.Last.ID != "f1" || snap.Next != nil {
		t.Errorf("after the kill: active %+v, last %+v, next %+v; want none, f1, none", snap.Active, snap.Last, snap.Next)
	}
}

func TestRevertFailedStaysActive(t *testing.T) {
	d := newDrill(t, nil)
	d.event(10*s, firedrill.EventFaultInjected, "f0", "pg-1")
	d.event(15*s, firedrill.EventFaultRevertFailed, "f0", "pg-1")
	snap := d.tr.Snapshot(16 * s)
	if len(snap.Active) != 1 || !snap.Active[0].RevertFailed || snap.Phase != PhaseFault {
		t.Errorf("active %+v, phase %q; want f0 still in effect, its revert failed", snap.Active, snap.Phase)
	}
}

func TestNextFaultDueNowAndAfterEnd(t *testing.T) {
	d := newDrill(t, nil)
	if n := d.tr.Snapshot(10*s + 200*time.Millisecond).Next; n == nil || n.ID != "f0" || n.In > 0 {
		t.Errorf("next %+v, want f0 due now (its targets being resolved)", n)
	}
	d.event(20*s, firedrill.EventDrillEnd, "", "")
	if n := d.tr.Snapshot(21 * s).Next; n != nil {
		t.Errorf("next %+v after drill.end, want none", n)
	}
}

func TestManagerStates(t *testing.T) {
	d := newDrill(t, nil)
	check := func(now time.Duration, want ManagerState, primary string) Manager {
		t.Helper()
		m := d.tr.Snapshot(now).Manager
		if m.State != want || m.Primary != primary {
			t.Fatalf("at %s: manager %q watching %q, want %q %q", now, m.State, m.Primary, want, primary)
		}
		return m
	}
	check(0, ManagerStarting, "")
	d.eventDetail(100*time.Millisecond, firedrill.EventManagerStart, "pg-1", "watching")
	check(1*s, ManagerWatching, "pg-1")
	d.eventDetail(12*s, firedrill.EventFailoverWithheld, "pg-1", "no standby reachable")
	check(13*s, ManagerWithheld, "pg-1")
	d.writes(14*s, 15*s, 5, firedrill.OutcomeOK) // served again
	check(15*s, ManagerWatching, "pg-1")

	d.eventDetail(20*s, firedrill.EventDetect, "pg-1", "3 consecutive failed health checks")
	check(20*s, ManagerFencing, "pg-1")
	d.eventDetail(21*s, firedrill.EventFence, "pg-1", "fenced by stop")
	check(21*s, ManagerPromoting, "pg-1")
	d.tl.Add(firedrill.Event{At: 22 * s, Span: s, Kind: firedrill.EventPromote, Target: "pg-2"})
	if m := check(24*s, ManagerWatching, "pg-2"); m.Promotions != 1 || m.Since != 22*s {
		t.Errorf("after the promotion: %+v, want 1 promotion, called at 22s", m)
	}

	d.eventDetail(30*s, firedrill.EventFailoverError, "pg-2", "promote pg-3: timeout")
	check(31*s, ManagerFailed, "pg-2")

	d.eventDetail(40*s, firedrill.EventRecoveryClassified, "pg-2", "complete failure: every node down; running its plan: restore-database, rebuild-app")
	check(41*s, ManagerStoodDown, "pg-2")
	d.tl.Add(firedrill.Event{At: 45 * s, Span: 3 * s, Kind: firedrill.EventFailoverBlind, Target: "pg-2"})
	d.eventDetail(50*s, firedrill.EventRecoveryDone, "", "complete plan done in 10s")
	d.writes(51*s, 52*s, 5, firedrill.OutcomeOK)
	if m := check(52*s, ManagerWatching, "pg-2"); m.BlindAt != 45*s || m.BlindSpan != 3*s {
		t.Errorf("blind period %s for %s, want 45s for 3s", m.BlindAt, m.BlindSpan)
	}
}

// The manager's failed checks and its blindness, which leave no event
// while they last, come from Source.Checks.
func TestManagerChecksLive(t *testing.T) {
	d := newDrill(t, nil)
	ch := dr.Checks{Primary: "pg-1"}
	d.tr.src.Checks = func() dr.Checks { return ch }
	d.eventDetail(100*time.Millisecond, firedrill.EventManagerStart, "pg-1", "watching")
	ch.Failing, ch.Of = 2, 3
	m := d.tr.Snapshot(5 * s).Manager
	if m.State != ManagerWatching || m.Failing != 2 || m.FailingOf != 3 {
		t.Errorf("manager %+v, want watching with 2 of 3 checks failed", m)
	}
	if got := managerText(m); !strings.Contains(got, "2 of 3 checks failed") {
		t.Errorf("text %q", got)
	}
	ch = dr.Checks{Primary: "pg-1", Of: 3, Blind: true, BlindSince: 4 * s}
	if got := managerText(d.tr.Snapshot(6 * s).Manager); !strings.Contains(got, "blind since 4s") || strings.Contains(got, "checks failed") {
		t.Errorf("text %q, want blind since 4s and no failed checks", got)
	}
	// A promotion the events show and the manager has not published yet:
	// its count is of the old primary, not shown for the new one.
	d.tl.Add(firedrill.Event{At: 7 * s, Span: s, Kind: firedrill.EventPromote, Target: "pg-2"})
	ch = dr.Checks{Primary: "pg-1", Failing: 3, Of: 3}
	if m := d.tr.Snapshot(8 * s).Manager; m.Failing != 0 {
		t.Errorf("manager %+v: a count of pg-1 shown for pg-2", m)
	}
}

func TestManagerDisabled(t *testing.T) {
	off := false
	d := newDrill(t, func(scn *scenarios.Scenario) { scn.DR.Failover.Enabled = &off })
	d.eventDetail(s, firedrill.EventManagerStart, "pg-1", "")
	if m := d.tr.Snapshot(2 * s).Manager; m.State != ManagerDisabled {
		t.Errorf("manager %q, want disabled", m.State)
	}
}

func TestRecoveryPlanAndRestore(t *testing.T) {
	d := newDrill(t, nil)
	d.eventDetail(40*s, firedrill.EventRecoveryClassified, "pg-1", "complete failure: every node down; running its plan: restore-database, rebuild-app, verify")
	dr := d.tr.Snapshot(41 * s).DR
	if dr.Plan != "complete" || dr.Step() != "restore-database" || len(dr.Steps) != 3 {
		t.Fatalf("DR %+v, want the complete plan at restore-database, 3 steps", dr)
	}
	d.eventDetail(41*s, firedrill.EventRestoreDownload, "pg-1", "")
	d.eventDetail(42*s, firedrill.EventRecoveryStep, "pg-1", "restore-database: ok")
	dr = d.tr.Snapshot(43 * s).DR
	if dr.Done != 1 || dr.Step() != "rebuild-app" || dr.Restore != "download" {
		t.Errorf("DR %+v, want step 2 rebuild-app, restore download finished", dr)
	}
	if p := d.tr.Snapshot(43 * s).Phase; p != PhaseRecovering {
		t.Errorf("phase %q during a plan, want recovering", p)
	}
	d.eventDetail(44*s, firedrill.EventRecoveryStepFailed, "", "rebuild-app: failed — no image")
	dr = d.tr.Snapshot(45 * s).DR
	if dr.Plan != "" || dr.LastPlan != "complete plan failed: rebuild-app: failed — no image" {
		t.Errorf("DR %+v, want no plan, the last failed at rebuild-app", dr)
	}
}

// An HA stack watched by the harness has no fencing step: after its
// detection it promotes, and the line names the stack.
func TestManagerStatesOfAStack(t *testing.T) {
	d := newDrill(t, func(scn *scenarios.Scenario) { scn.DR.Failover.Manager = scenarios.ManagerPatroni })
	d.eventDetail(100*time.Millisecond, firedrill.EventStackWatch, "pg-1", "patroni watched")
	if m := d.tr.Snapshot(1 * s).Manager; m.State != ManagerWatching || m.Stack != scenarios.ManagerPatroni {
		t.Fatalf("after the watch began: %+v", m)
	}
	d.eventDetail(20*s, firedrill.EventDetect, "pg-1", "patroni: the leader key of pg-1 is gone")
	m := d.tr.Snapshot(21 * s).Manager
	if m.State != ManagerPromoting {
		t.Fatalf("after the stack's detection: %q, want promoting (no fencing)", m.State)
	}
	if got, want := managerText(m), "patroni promoting a standby (pg-1 lost the lead) since 20s"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	d.tl.Add(firedrill.Event{At: 25 * s, Span: s, Kind: firedrill.EventPromote, Target: "pg-2"})
	if got, want := managerText(d.tr.Snapshot(27*s).Manager), "patroni watching pg-2 (promoted at 25s)"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
}
