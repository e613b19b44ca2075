package live

import (
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr"
	"github.com/firedrill/firedrill/scenarios"
)

// Phase is where a drill is (docs/reports.md, "Live progress"). Every
// phase but the last three is read off the timeline's events; settling,
// read-back and teardown leave no event there (the runner and the drill
// say when they begin: Tracker.Stage).
type Phase string

// The phases, in the order a drill goes through them (fault in effect,
// recovering and recovered alternate while faults come and go).
const (
	// PhaseStarting: the environment is being built; no drill.start yet.
	PhaseStarting Phase = "starting environment"
	// PhaseBaseline: the workload runs and no fault has been injected yet.
	PhaseBaseline Phase = "baseline"
	// PhaseFault: a reversible fault is in effect (injected, not
	// reverted; a fault whose revert failed stays in effect).
	PhaseFault Phase = "fault in effect"
	// PhaseRecovering: no fault is in effect, but the drill has not seen
	// the system recover from the last one: a failover or a recovery plan
	// is under way, no write sent since the last injection or revert was
	// certain (its call returned) has been acknowledged yet, or writes
	// failed in the last second. An irreversible fault (kill, restart) goes straight here.
	PhaseRecovering Phase = "recovering"
	// PhaseRecovered: faults came and went and the system serves writes
	// again: the drill waits for the next fault or its end.
	PhaseRecovered Phase = "recovered"
	// PhaseSettling: the timeline is over (drill.end): faults still in
	// effect are reverted, then the DR engine keeps running for --settle.
	PhaseSettling Phase = "settling"
	// PhaseReadBack: the writes (and uploads) are read back.
	PhaseReadBack Phase = "read-back"
	// PhaseTeardown: the environment is removed.
	PhaseTeardown Phase = "teardown"
)

// Stages the drill announces because the timeline does not show them:
// the runner's (Runner.OnStage), and the teardown, which the drill does.
const (
	StageSettle   = firedrill.StageSettle
	StageReadBack = firedrill.StageReadBack
	StageTeardown = "teardown"
)

// Op kinds as the ledger writes them (ledger.go: "write", "read" or
// firedrill.OpKindUpload); a write of an older ledger has no kind.
const (
	kindWrite = "write"
	kindRead  = "read"
)

// rateWindow is the window of the per-second rates; retention how long a
// finished operation is kept for the phase (see Tracker.firstAck).
const (
	rateWindow = time.Second
	retention  = 10 * time.Second
)

// Snapshot is the state of a drill at one instant.
type Snapshot struct {
	Phase Phase
	// PhaseSince is when the phase began, on the timeline (for starting,
	// on the console's clock).
	PhaseSince time.Duration
	// Elapsed is the timeline's offset now; Total the scenario's
	// timeline.duration. Settle is --settle, for "settling 1s / 3s".
	Elapsed, Total, Settle time.Duration
	// Writes always; Reads and Uploads only when the scenario runs them
	// (nil otherwise).
	Writes         Traffic
	Reads, Uploads *Traffic
	Active         []ActiveFault
	// Last is the latest fault injected, reversible or not, nil before
	// the first.
	Last *ActiveFault
	// Next is the next scheduled fault not injected yet, nil when none is
	// left.
	Next    *NextFault
	Manager Manager
	DR      DR
	// Abort is the detail of the abort condition that tripped, "" if none.
	Abort string
}

// Counts are operations by outcome.
type Counts struct {
	OK, Failed, Indeterminate, Stale int
}

// Traffic is one workload's operations: totals, and the last second.
type Traffic struct {
	// Sent is how many were sent (finished or in flight); SentKnown is
	// false when the workload does not say.
	Sent      int
	SentKnown bool
	Total     Counts
	// PerSecond is what finished in the last second; RateKnown is false
	// until a second of the drill has passed (no rate can be computed
	// then, and 0 would be a lie).
	PerSecond Counts
	RateKnown bool
}

// ActiveFault is a fault in effect (or, as Snapshot.Last, the latest
// injected).
type ActiveFault struct {
	ID, Action, Target string
	// Since is when it took effect; Until when its `for` ends (0: at the
	// end of the drill, or not reversible).
	Since, Until time.Duration
	// RevertFailed: its revert failed, so it is still in effect.
	RevertFailed bool
}

// NextFault is the next scheduled injection.
type NextFault struct {
	ID, Action, Target string
	At                 time.Duration
	// In is how long until it is due; 0 or less: due now (its targets are
	// being resolved).
	In time.Duration
}

// Source is what a Tracker reads: the drill's own records.
type Source struct {
	Timeline *firedrill.Timeline
	// Ops is the ledger (a *firedrill.Ledger), read incrementally.
	Ops      firedrill.OpStream
	Schedule *firedrill.Schedule
	Scenario *scenarios.Scenario
	Settle   time.Duration
	// Sent, when set, says how many operations of a kind ("write",
	// "read", "upload") the workload has sent, in flight included: the
	// ledger holds finished ones only.
	Sent func(kind string) (n int, ok bool)
	// Checks, when set, is the failover manager's health checking as it
	// goes (dr.CheckReporter): its failed checks leave no event until the
	// primary is declared failed, its blindness none until it ends.
	Checks func() dr.Checks
}

// Tracker computes snapshots of one drill. It reads the ledger
// incrementally (a soak's ledger is large; reading it whole four times a
// second would not be). Not safe for concurrent use: the Console calls it
// under its lock.
type Tracker struct {
	src        Source
	reversible map[string]bool
	seen       int
	totals     map[string]*Counts
	// recent are the operations that finished within retention of the
	// latest snapshot, in finish order.
	recent []firedrill.Op
	ack    ackSince
	stages map[string]time.Duration
}

// ackSince remembers the first write acknowledged after a fault event.
type ackSince struct {
	since time.Duration
	set   bool
	at    time.Duration
	found bool
}

// NewTracker tracks the drill src describes.
func NewTracker(src Source) *Tracker {
	t := &Tracker{src: src, reversible: map[string]bool{}, totals: map[string]*Counts{}, stages: map[string]time.Duration{}}
	for _, a := range scenarios.Actions() {
		t.reversible[a.Name] = a.Reversible
	}
	return t
}

// Stage records that the drill entered a stage at the timeline's offset at.
func (t *Tracker) Stage(stage string, at time.Duration) {
	if _, ok := t.stages[stage]; !ok {
		t.stages[stage] = at
	}
}

// Snapshot is the drill's state at the timeline's offset now. The ledger
// is read first, so that no operation is counted as finished after now.
func (t *Tracker) Snapshot(now time.Duration) Snapshot {
	if t.src.Ops != nil {
		ops := t.src.Ops.OpsSince(t.seen)
		t.seen += len(ops)
		t.ingest(ops)
	}
	var events []firedrill.Event
	if t.src.Timeline != nil {
		events = t.src.Timeline.Events()
	}
	var injections []firedrill.Injection
	if t.src.Schedule != nil {
		injections = t.src.Schedule.Injections()
	}
	return t.compute(now, events, injections)
}

func (t *Tracker) ingest(ops []firedrill.Op) {
	for _, op := range ops {
		kind := op.Kind
		if kind == "" {
			kind = kindWrite
		}
		c := t.totals[kind]
		if c == nil {
			c = &Counts{}
			t.totals[kind] = c
		}
		c.add(op.Outcome)
	}
	t.recent = append(t.recent, ops...)
}

func (c *Counts) add(o firedrill.Outcome) {
	switch o {
	case firedrill.OutcomeOK:
		c.OK++
	case firedrill.OutcomeFailed:
		c.Failed++
	case firedrill.OutcomeIndeterminate:
		c.Indeterminate++
	case firedrill.OutcomeStale:
		c.Stale++
	}
}

// compute derives the snapshot from the events and the schedule; the
// ledger has been ingested.
func (t *Tracker) compute(now time.Duration, events []firedrill.Event, injections []firedrill.Injection) Snapshot {
	s := Snapshot{Elapsed: now, Settle: t.src.Settle}
	if scn := t.src.Scenario; scn != nil {
		s.Total = scn.Timeline.Duration.Duration
	}
	started, ended := false, false
	var drillEnd time.Duration
	for _, e := range events {
		switch e.Kind {
		case firedrill.EventDrillStart:
			started = true
		case firedrill.EventDrillEnd:
			ended, drillEnd = true, e.At
		case firedrill.EventAbort:
			s.Abort = e.Detail
		}
	}
	s.Active, s.Last = t.faults(events, injections)
	s.Next = nextFault(events, injections, now)
	s.Manager = t.manager(events)
	s.DR = recoveryState(events)
	t.traffic(&s, now, started)

	switch {
	case !started:
		s.Phase = PhaseStarting
	case t.hasStage(StageTeardown):
		s.Phase, s.PhaseSince = PhaseTeardown, t.stages[StageTeardown]
	case t.hasStage(StageReadBack):
		s.Phase, s.PhaseSince = PhaseReadBack, t.stages[StageReadBack]
	case ended:
		s.Phase, s.PhaseSince = PhaseSettling, drillEnd
		if at, ok := t.stages[StageSettle]; ok {
			s.PhaseSince = at
		}
	default:
		s.Phase, s.PhaseSince = t.timelinePhase(&s, events)
	}
	return s
}

func (t *Tracker) hasStage(stage string) bool {
	_, ok := t.stages[stage]
	return ok
}

// timelinePhase is the phase while the timeline runs: baseline, fault in
// effect, recovering or recovered (see the constants).
func (t *Tracker) timelinePhase(s *Snapshot, events []firedrill.Event) (Phase, time.Duration) {
	busy := s.Manager.busy() || s.DR.Plan != ""
	if s.Last == nil && !busy {
		return PhaseBaseline, 0
	}
	if s.Last == nil { // a failover or a plan with no fault injected
		return PhaseRecovering, max(s.Manager.Since, s.DR.PlanSince)
	}
	if len(s.Active) > 0 {
		since := s.Active[0].Since
		for _, a := range s.Active {
			since = min(since, a.Since)
		}
		return PhaseFault, since
	}
	// The last fault event: the injection of the last fault, or the
	// revert of the last one in effect, from the instant its call returned
	// (At+Span: the change is certain then, timeline.go), so that a write
	// the old primary acknowledged while the kill was under way does not
	// count as served again.
	lastChange := s.Last.Since
	for _, e := range events {
		if (e.Kind == firedrill.EventFaultInjected || e.Kind == firedrill.EventFaultReverted) && e.At+e.Span > lastChange {
			lastChange = e.At + e.Span
		}
	}
	served, ok := t.recoveredAt(lastChange)
	if busy || s.Writes.PerSecond.Failed > 0 || !ok {
		return PhaseRecovering, lastChange
	}
	return PhaseRecovered, served
}

// acknowledgedSince says whether a write sent at or after at has been
// acknowledged, among the operations kept: the clients are served again.
func (t *Tracker) acknowledgedSince(at time.Duration) bool {
	_, ok := firstAck(t.recent, at)
	return ok
}

// recoveredAt is when the first write sent at or after at was
// acknowledged. at only moves forward (it is the last fault event), and a
// fault event is stamped at most seconds after its offset (an injection's
// or a revert's call returns, then the event is added): the operations
// kept for retention are enough to find that write, and once found it is
// remembered for that at, after the write has left retention.
func (t *Tracker) recoveredAt(at time.Duration) (time.Duration, bool) {
	if !t.ack.set || t.ack.since != at {
		t.ack = ackSince{since: at, set: true}
	}
	if !t.ack.found {
		t.ack.at, t.ack.found = firstAck(t.recent, at)
	}
	return t.ack.at, t.ack.found
}

// firstAck is when the first write of ops sent at or after at was
// acknowledged.
func firstAck(ops []firedrill.Op, at time.Duration) (first time.Duration, found bool) {
	for _, op := range ops {
		if isWrite(op) && op.Outcome == firedrill.OutcomeOK && op.Sent >= at && (!found || op.Done < first) {
			first, found = op.Done, true
		}
	}
	return first, found
}

func isWrite(op firedrill.Op) bool { return op.Kind == "" || op.Kind == kindWrite }

// traffic fills the workloads' counts and rates, and trims the window.
func (t *Tracker) traffic(s *Snapshot, now time.Duration, started bool) {
	from := now - rateWindow
	keep := t.recent[:0]
	var window []firedrill.Op
	for _, op := range t.recent {
		if op.Done > from && op.Done <= now {
			window = append(window, op)
		}
		if op.Done > now-retention {
			keep = append(keep, op)
		}
	}
	t.recent = keep
	rateKnown := started && now >= rateWindow
	build := func(kinds ...string) Traffic {
		tr := Traffic{RateKnown: rateKnown}
		for _, k := range kinds {
			if c := t.totals[k]; c != nil {
				tr.Total.OK += c.OK
				tr.Total.Failed += c.Failed
				tr.Total.Indeterminate += c.Indeterminate
				tr.Total.Stale += c.Stale
			}
		}
		if rateKnown {
			for _, op := range window {
				if kindOf(op) == kinds[0] {
					tr.PerSecond.add(op.Outcome)
				}
			}
		}
		if t.src.Sent != nil {
			tr.Sent, tr.SentKnown = t.src.Sent(kinds[0])
		}
		return tr
	}
	s.Writes = build(kindWrite)
	if scn := t.src.Scenario; scn != nil {
		if scn.Workload.ReadsPerSecond > 0 {
			r := build(kindRead)
			s.Reads = &r
		}
		if scn.Workload.UploadsPerSecond > 0 {
			u := build(firedrill.OpKindUpload)
			s.Uploads = &u
		}
	}
}

func kindOf(op firedrill.Op) string {
	if op.Kind == "" {
		return kindWrite
	}
	return op.Kind
}

// faults are the reversible faults in effect, in injection order, and the
// latest fault injected.
func (t *Tracker) faults(events []firedrill.Event, injections []firedrill.Injection) (active []ActiveFault, last *ActiveFault) {
	byID := map[string]firedrill.Injection{}
	for _, in := range injections {
		byID[in.ID] = in
	}
	var order []string
	inEffect := map[string]*ActiveFault{}
	for _, e := range events {
		switch e.Kind {
		case firedrill.EventFaultInjected:
			in := byID[e.Injection]
			f := ActiveFault{ID: e.Injection, Action: in.Action, Target: in.Target, Since: e.At}
			if len(e.Nodes) > 0 {
				f.Target = joinNodes(e.Nodes)
			}
			if in.For > 0 {
				f.Until = e.At + in.For
			}
			l := f
			last = &l
			if t.reversible[in.Action] {
				inEffect[e.Injection] = &f
				order = append(order, e.Injection)
			}
		case firedrill.EventFaultReverted:
			delete(inEffect, e.Injection)
		case firedrill.EventFaultRevertFailed:
			if f := inEffect[e.Injection]; f != nil {
				f.RevertFailed = true
			}
		}
	}
	for _, id := range order {
		if f := inEffect[id]; f != nil {
			active = append(active, *f)
			delete(inEffect, id) // an id listed twice is shown once
		}
	}
	return active, last
}

func joinNodes(nodes []string) string {
	s := nodes[0]
	for _, n := range nodes[1:] {
		s += ", " + n
	}
	return s
}

// nextFault is the first scheduled injection the timeline has no event of
// yet (injected, failed, skipped or being resolved).
func nextFault(events []firedrill.Event, injections []firedrill.Injection, now time.Duration) *NextFault {
	done := map[string]bool{}
	for _, e := range events {
		switch e.Kind {
		case firedrill.EventDrillEnd:
			return nil // nothing is injected after the timeline
		case firedrill.EventFaultResolved, firedrill.EventFaultInjected, firedrill.EventFaultFailed, firedrill.EventFaultSkipped:
			done[e.Injection] = true
		}
	}
	for _, in := range injections {
		if !done[in.ID] {
			return &NextFault{ID: in.ID, Action: in.Action, Target: in.Target, At: in.At, In: in.At - now}
		}
	}
	return nil
}
