package score

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/internal/human"
	"github.com/firedrill/firedrill/scenarios"
)

// Input is everything a drill recorded.
type Input struct {
	Scenario *scenarios.Scenario
	RunID    string
	// Start is the wall-clock label of offset 0; it is copied, never used
	// to measure.
	Start time.Time
	// Duration is how long the measured part ran: the offset at which the
	// workload stopped sending. The drill.end event, when there is one,
	// wins: only it is stamped at the instant the probe stopped sending
	// (docs/measurement.md, "Observation"). Zero means unknown.
	Duration time.Duration
	// Injections are the drill's schedule; nil means the scenario's
	// timeline faults (firedrill.NewSchedule).
	Injections []firedrill.Injection
	// Events are the Timeline's events. Fault events carry the id of their
	// injection. An event whose At is zero but whose AtMS is not (an event
	// read back from JSON) is placed at AtMS, and likewise for Span.
	Events []firedrill.Event
	// Ops is the ledger. Only write operations (Kind "write", or empty) are
	// scored.
	Ops []firedrill.Op
	// ReadBack is the set of ids found, after recovery, in the database the
	// app uses. nil means the read-back could not be made; ReadBackErr says
	// why.
	ReadBack    map[string]bool
	ReadBackErr error
	// ReadFrom is the node the read-back came from.
	ReadFrom string
	// FailoverEnabled is copied into the Result.
	FailoverEnabled bool
	// ReadKeyAge and ReadKeyless are the read stream's key age and the
	// reads it could not send for want of a key that old
	// (docs/measurement.md, "Reads"); copied into Result.Reads.
	ReadKeyAge  time.Duration
	ReadKeyless int
	// Abort is the abort condition that stopped the drill early (the
	// Recording's), nil when none tripped; copied into the Result.
	Abort *firedrill.AbortResult
	// Uploads is the read-back of the uploads; nil when none was made
	// (docs/measurement.md, "Uploads").
	Uploads *UploadsReadBack
}

// MaxLostIDs caps Result.Writes.LostIDs (and FailedButPresentIDs); the
// counts stay exact.
const MaxLostIDs = 1000

// Objective names, in the order Score reports them.
const (
	ObjectiveRTO        = "rto"
	ObjectiveRPO        = "rpo"
	ObjectiveLostWrites = "lost_writes"
	ObjectiveSplitBrain = "split_brain"
)

// targetReport is the Target of an objective that has no limit.
const targetReport = "report"

// Score applies the measurement rules of docs/measurement.md to what a
// drill recorded. It is pure: the same Input gives the same Result. All
// times are offsets on the drill's monotonic Timeline; only write
// operations count. Each rule below is the one the document states, with
// its worked example there.
//
// Observation. The drill is observed from offset 0 to the end of
// observation: the drill.end event (the instant the probe stopped
// sending), else Input.Duration, else the last write's send time. Writes
// sent after it are counted but take no part in the RTO; writes sent
// before it and finished after it (drained) count with their outcome, but
// no stability window can close after it. DurationMS is this end.
//
// Injections. Result.Faults holds one entry per injection of the schedule
// (Input.Injections), in schedule order. An injection is injected at T, the
// At of its first fault.injected event (the instant the call applying the
// fault began, after target resolution); the effect is certain by
// E = T + Span. resolve_ms is the Span of its fault.resolved event (null
// without one), reverted_ms the At of its fault.reverted event (null if
// never reverted). An injection without a fault.injected event was not
// injected: Error says why, AtMS is the scheduled offset, and the drill is
// inconclusive; so is a drill in which a revert failed. An injection with
// a fault.skipped event and no fault.injected one was deliberately not
// made (a monkey fault over max_at_once or with nothing to hit, a fault
// due after an abort): recovery skipped, Error the event's detail, and it
// makes nothing inconclusive.
//
// Charging of failover events. A failover.detect or failover.error goes to
// the injection it names; otherwise to the latest injection at or before
// it whose nodes include its Target (the old primary), else to the latest
// injection at or before it. A failover.fence or failover.promote goes to
// the injection of the latest detect at or before it, else to the latest
// injection at or before it. Result.Events carry the charged injection.
// Phases of an injection, in ms from T: the first detect, fence and
// promote charged to it, and first_write = its RTO.
//
// RTO. The recovery write of a time slot is the earliest ok write o, sent
// at or after the slot's start, such that every write sent in
// [o.Sent, o.Sent+W] (both ends, and ties with o.Sent, included) is ok, W
// being the stability window, and the window closed within the slot:
// o.Sent+W <= the slot's end. Only writes sent in the slot count: from its
// start up to, excluding, the next injection's T, or up to and including
// the end of observation for the last one. Injections, in time order,
// are measured one slot each, the slot starting at E: an injection's
// outage must end, confirmed, before the next one is injected. When its
// clean run is cut short by the next injection, the window is checked
// across it (all observed writes) and confirms the recovery if it holds.
// Otherwise — the outage still going on, or no write at all, when the
// next injection came — the two are one outage: the next injection joins
// the group, whose slot starts at the latest E of its members and ends
// where the next injection after the group comes. A group's outage ends at
// its recovery write. With no recovery write in the last slot, the group
// did not recover: unconfirmed (inconclusive) when its writes were all ok
// from some ok write o to the end of observation but o.Sent+W passed it
// (PendingMS is o.Sent), no-data when no write was sent in it, and never
// (a fail) otherwise.
//
// Overlap. In a group of several injections, the cause is the one member
// charged with failover events within the group's outage, if exactly one
// is: it gets the group's recovery and RTO = recovery ack − its T; every
// other member is overlapped ("injected during f0's outage; its effect
// cannot be told apart"), with no RTO of its own. Without such a member,
// or with several, every member is flagged: the earliest gets the
// combined outage, measured from its T, the others are overlapped.
//
// Writes. Attempted, Acked (ok), Failed and Indeterminate count outcomes.
// An acknowledged write whose id is not in ReadBack is lost; one that is
// found is verified. Failed and indeterminate writes are never lost; a
// failed write that is found is counted in FailedButPresent and warned
// about (Warnings), without changing the verdict. With a nil ReadBack
// these counts are null. Lists of ids are ordered by seq and capped at
// MaxLostIDs.
//
// Read-back node. The read-back must come from the node that acknowledged
// the last ok write (by ack time): otherwise, or when either node is
// unknown, it is treated as no read-back for loss — Lost, the RPOs and the
// per-injection losses are null, rpo and lost_writes no-data, the drill
// inconclusive — though verified and failed-but-present writes are still
// counted.
//
// Charging of lost writes and RPO. A lost write goes to the injection of
// the first failover.promote at or after its ack (the promotion that lost
// it); without one, to the first injection whose E is at or after its ack
// and whose nodes include the node that acknowledged it (Op.Node), else to
// the first injection whose E is at or after its ack, else to the last
// injection at or before its ack. Its loss window is E − ack of that
// injection, clamped at 0: a write acknowledged before the effect was
// certain is charged up to E, never less. An injection's RPO is its
// largest window (0 when none is charged to it), the drill's RPO the
// largest of all. It is null without a read-back, or when writes were
// lost but no fault was injected.
//
// Split brain. Order the ok writes that name their node by ack. A node A
// that acknowledges a write z after another node B acknowledged a write
// y, having acknowledged a write x before y, in certain order
// (x.Done < y.Sent and y.Done < z.Sent), is a split brain unless A was
// promoted in between (a failover.promote of A with y.Done <= At <=
// z.Done). So is a node that acknowledges a write sent after another
// node's promotion had returned (At+Span < z.Sent), unless it was itself
// promoted after that one and by z's ack. Measured when some write was
// acknowledged at or after the first injection.
//
// Schedule lag: Sent − Due over the write operations, p50 and p99 by
// nearest rank, and the maximum; null without writes. The health-check
// phase is the Span of the first failover.start event; null without one.
//
// Reads (docs/measurement.md, "Reads"), when the scenario asks for them or
// the ledger has some (Kind "read"): counted by outcome (ok, stale,
// failed, indeterminate), who served them per phase (before the first
// injection, then from each injection's T to the next one's), and each
// injection's read outage by the RTO and Overlap rules above applied to
// the reads, an ok read being the only success (a stale one breaks the
// window). Reads that never recovered fail the drill; an unconfirmed read
// recovery, or one without reads, is reported only.
//
// Uploads (docs/measurement.md, "Uploads"), when the scenario asks for
// them or the ledger has some (Kind "upload"): counted by outcome; an
// acknowledged upload the read-back (Input.Uploads) lists with the sha256
// of its body is verified, one missing or with another sha256 is lost and
// counts as a lost write: in lost_writes, and charged by the rule above
// but for its promotion step (a failover loses no file on the app's
// disk). A read-back of uploads that was not made or failed, with an
// upload acknowledged, makes the drill inconclusive and rpo and
// lost_writes no-data unless missed; so does no upload acknowledged.
//
// Objectives, always in this order: rto, rpo, lost_writes, split_brain.
// Each is missed when its measurement breaks its limit, no-data when the
// measurement could not be made (limit or not; missed wins over no-data),
// met when within its limit (limits included), and reported when it has
// no limit.
//   - rto ("<= 15s" or "report"): judged on the injections that are not
//     overlapped; measured is the worst RTO. Missed when any never
//     recovered, whatever the limit, or an RTO is over the limit.
//     No-data when no fault was injected, or one is unconfirmed or has no
//     data.
//   - rpo ("<= 1s" or "report"): RPOMS; with a limit of 0s, any lost
//     write misses it. No-data when RPOMS is nil, no write was
//     acknowledged, or the read-back node is wrong.
//   - lost_writes ("<= N" or "report"): "3 of 1204 acked". No-data without
//     a usable read-back or without an acknowledged write.
//   - split_brain ("none", always checked): missed on split brain, no-data
//     when no write was acknowledged after the first injection.
//
// Abort. A drill stopped by an abort condition (a drill.abort event;
// Input.Abort describes it) breached a safety threshold the scenario set:
// it fails, the condition named first among the reasons, when some fault
// had taken effect at or before the abort (a fault.injected event). When
// none had, nothing the drill did can be blamed for the breach (a fault
// that did not take effect, or none at all): inconclusive.
//
// Verdict: fail if any objective was missed or the drill was aborted with
// a fault in effect; otherwise inconclusive if any objective is no-data,
// no write was acknowledged, an injection was not injected (skipped ones
// aside), a revert failed, or the drill was aborted with no fault in
// effect; otherwise pass. Reasons explains a fail or an inconclusive in
// short sentences, the abort and missed objectives first; Warnings hold
// what breaks a promise without deciding the verdict.
func Score(in Input) firedrill.Result {
	sc := in.Scenario
	if sc == nil {
		sc = &scenarios.Scenario{}
	}
	events := normalizeEvents(in.Events)
	window := sc.Workload.StabilityWindow.Duration
	writes := WriteOps(in.Ops)
	end := observationEnd(events, in.Duration, writes)

	injections := in.Injections
	if injections == nil {
		injections = firedrill.NewSchedule(sc).Injections()
	}
	faults := newFaults(injections, events)
	injected := injectedByTime(faults)
	charged := chargeEvents(events, injected)
	for k, f := range charged {
		if f != nil && events[k].Injection == "" {
			events[k].Injection = f.res.ID
		}
	}
	setPhases(events, charged)
	scoreRecovery(injected, writes, window, end, events, charged)
	readStats, readsNever := scoreReads(in, sc, injected, window, end, events, charged)

	stats, lost := countWrites(writes, in.ReadBack)
	problem := readBackProblem(in, writes)
	usable := in.ReadBack != nil && problem == ""
	if !usable {
		// A read-back from the wrong node tells nothing about loss: what
		// it misses may be safe on the right one.
		stats.Lost, stats.LostIDs, lost = nil, nil, nil
	}
	res := firedrill.Result{
		Scenario:           sc.Name,
		RunID:              in.RunID,
		StartedAt:          in.Start,
		DurationMS:         firedrill.Millis(end),
		Writes:             stats,
		WriteRate:          sc.Workload.WritesPerSecond,
		StabilityMS:        firedrill.Millis(window),
		Events:             events,
		FailoverEnabled:    in.FailoverEnabled,
		ReadFrom:           in.ReadFrom,
		ScheduleLag:        scheduleLag(writes),
		HealthCheckPhaseMS: healthCheckPhase(events),
		Faults:             make([]firedrill.FaultResult, 0, len(faults)),
	}

	up := scoreUploads(in, sc)
	if usable {
		lost = append(lost, up.lost...) // lost uploads are charged as lost writes are
	}
	rpo := chargeLost(lost, injected, events, charged, usable)
	if usable && rpo.measurable {
		ms := firedrill.Millis(rpo.value)
		res.RPOMS = &ms
	}
	for _, f := range faults {
		res.Faults = append(res.Faults, f.res)
	}
	var firstInjection *time.Duration
	if len(injected) > 0 {
		firstInjection = &injected[0].at
	}
	split := splitBrain(writes, events, firstInjection)
	res.SplitBrain = split.split

	sb := &scoreBuilder{in: in, sc: sc, end: end, window: window, readBackProblem: problem, uploads: up}
	sb.objRTO(injected)
	sb.objRPO(rpo, stats)
	sb.objLostWrites(stats)
	sb.objSplitBrain(split, len(injected) > 0, stats)
	res.Objectives = sb.objectives
	res.Reads = readStats
	res.Uploads = up.res
	sb.missed = append(sb.missed, readsNever...)

	// Inconclusive causes that are not objectives.
	if stats.Acked == 0 {
		sb.inconclusive = append(sb.inconclusive, "no acknowledged writes: nothing was measured")
	}
	for _, f := range faults {
		if !f.res.Injected && f.res.Recovery != firedrill.RecoverySkipped {
			sb.inconclusive = append(sb.inconclusive, fmt.Sprintf("%s was not injected: %s", f.label, f.res.Error))
		}
		if f.res.RevertError != "" {
			sb.inconclusive = append(sb.inconclusive, fmt.Sprintf("the revert of %s failed: %s", f.label, f.res.RevertError))
		}
	}
	sb.inconclusive = append(sb.inconclusive, up.reasons...)
	res.Abort = in.Abort
	sb.abort(events, injected)
	res.Warnings = warnings(stats)

	switch {
	case len(sb.missed) > 0:
		res.Verdict = firedrill.VerdictFail
	case len(sb.inconclusive) > 0:
		res.Verdict = firedrill.VerdictInconclusive
	default:
		res.Verdict = firedrill.VerdictPass
	}
	res.Reasons = append(sb.missed, sb.inconclusive...)
	return res
}

// normalizeEvents copies the events ordered by time (stable), filling At
// and Span from AtMS and SpanMS (events read back from JSON) or the other
// way round (events built in code) when one is missing.
func normalizeEvents(in []firedrill.Event) []firedrill.Event {
	out := make([]firedrill.Event, len(in))
	for i, e := range in {
		switch {
		case e.At == 0 && e.AtMS != 0:
			e.At = FromMS(e.AtMS)
		case e.AtMS == 0 && e.At != 0:
			e.AtMS = firedrill.Millis(e.At)
		}
		switch {
		case e.Span == 0 && e.SpanMS != 0:
			e.Span = FromMS(e.SpanMS)
		case e.SpanMS == 0 && e.Span != 0:
			e.SpanMS = firedrill.Millis(e.Span)
		}
		e.Nodes = append([]string(nil), e.Nodes...)
		out[i] = e
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// FromMS is a Result's milliseconds as a duration.
func FromMS(ms float64) time.Duration {
	return time.Duration(math.Round(ms * float64(time.Millisecond)))
}

// writeOps returns the write operations ordered by send time (then seq).
func WriteOps(ops []firedrill.Op) []firedrill.Op {
	out := make([]firedrill.Op, 0, len(ops))
	for _, o := range ops {
		if o.Kind == "write" || o.Kind == "" {
			out = append(out, o)
		}
	}
	sortBySent(out)
	return out
}

// sortBySent orders ops by send time, then seq (stable): the order the
// RTO rules walk them in.
func sortBySent(ops []firedrill.Op) {
	sort.SliceStable(ops, func(i, j int) bool {
		if ops[i].Sent != ops[j].Sent {
			return ops[i].Sent < ops[j].Sent
		}
		return ops[i].Seq < ops[j].Seq
	})
}

// observationEnd is the end of observation: the last drill.end event, else
// the measured duration, else the last write's send time (writes must be
// ordered by Sent).
func observationEnd(events []firedrill.Event, duration time.Duration, writes []firedrill.Op) time.Duration {
	end, found := time.Duration(0), false
	for _, e := range events {
		if e.Kind == firedrill.EventDrillEnd {
			end, found = e.At, true
		}
	}
	switch {
	case found:
		return end
	case duration > 0:
		return duration
	case len(writes) > 0:
		return writes[len(writes)-1].Sent
	}
	return 0
}

// faultScore is a FaultResult with what the rules need.
type faultScore struct {
	res   firedrill.FaultResult
	label string        // "f0 (kill postgres.primary)"
	at    time.Duration // T: the effect instant, when injected
	eff   time.Duration // E = T + Span: the effect is certain
	rto   time.Duration // when res.RTOMS is set
	// pending is the first write of the clean run that the end of
	// observation cut short, when Recovery is unconfirmed.
	pending *firedrill.Op
	// rpo is the largest loss window charged, with its write.
	rpo   time.Duration
	rpoOp *firedrill.Op
	lost  int
}

// newFaults reads what happened to every injection from its events.
func newFaults(injections []firedrill.Injection, events []firedrill.Event) []*faultScore {
	faults := make([]*faultScore, len(injections))
	for i, in := range injections {
		fs := &faultScore{label: in.Label(), res: firedrill.FaultResult{
			ID: in.ID, Source: in.Source, Index: in.Index, Action: in.Action, Target: in.Target,
			ScheduledMS: firedrill.Millis(in.At), AtMS: firedrill.Millis(in.At), Phases: map[string]float64{},
			Recovery: firedrill.RecoveryNotInjected,
		}}
		var failed, skipped *firedrill.Event
		for k := range events {
			e := &events[k]
			if e.Injection != in.ID {
				continue
			}
			switch {
			case e.Kind == firedrill.EventFaultInjected && !fs.res.Injected:
				fs.res.Injected = true
				fs.at, fs.eff = e.At, e.At+e.Span
				fs.res.AtMS, fs.res.SpanMS = e.AtMS, e.SpanMS
				fs.res.Nodes = e.Nodes
				fs.res.Evidence = e.Evidence
			case e.Kind == firedrill.EventFaultFailed && failed == nil:
				failed = e
			case e.Kind == firedrill.EventFaultSkipped && skipped == nil:
				skipped = e
			case e.Kind == firedrill.EventFaultResolved && fs.res.ResolveMS == nil:
				ms := e.SpanMS
				fs.res.ResolveMS = &ms
			case e.Kind == firedrill.EventFaultReverted && fs.res.RevertedMS == nil:
				ms := e.AtMS
				fs.res.RevertedMS = &ms
			case e.Kind == firedrill.EventFaultRevertFailed && fs.res.RevertError == "":
				fs.res.RevertError = human.OrDash(e.Detail)
			}
		}
		if !fs.res.Injected && failed == nil && skipped != nil {
			fs.res.Recovery, fs.res.Error = firedrill.RecoverySkipped, human.OrDash(skipped.Detail)
		}
		if !fs.res.Injected && fs.res.Recovery != firedrill.RecoverySkipped {
			switch {
			case failed != nil && failed.Detail != "":
				fs.res.Error = failed.Detail
			case failed != nil:
				fs.res.Error = "injection failed"
			default:
				fs.res.Error = "no fault.injected event was recorded"
			}
			if failed != nil {
				fs.res.Nodes = failed.Nodes
			}
		}
		if fs.res.Nodes == nil {
			fs.res.Nodes = []string{} // result.json writes [], not null
		}
		faults[i] = fs
	}
	return faults
}

// injectedByTime returns the injected faults ordered by T (stable).
func injectedByTime(faults []*faultScore) []*faultScore {
	var out []*faultScore
	for _, f := range faults {
		if f.res.Injected {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// healthCheckPhase is the Span of the first failover.start event, in ms.
func healthCheckPhase(events []firedrill.Event) *float64 {
	for _, e := range events {
		if e.Kind == firedrill.EventManagerStart {
			ms := e.SpanMS
			return &ms
		}
	}
	return nil
}
