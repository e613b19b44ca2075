package reports

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
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
	// workload stopped. Zero means unknown; the drill.end event, if any, is
	// used instead.
	Duration time.Duration
	// Injections are the drill's schedule; nil means the scenario's
	// timeline faults (firedrill.NewSchedule).
	Injections []firedrill.Injection
	// Events are the Timeline's events. Fault events carry the id of their
	// injection. An event whose At is zero but whose AtMS is not (an event
	// read back from JSON) is placed at AtMS.
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
}

// MaxLostIDs caps Result.Writes.LostIDs; Result.Writes.Lost stays exact.
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

// Score applies the measurement rules (README.md, "How it measures") to what a drill
// recorded. It is pure: the same Input gives the same Result. All times are
// offsets on the drill's monotonic Timeline; only write operations count.
//
// Faults. Result.Faults holds one entry per scenario fault, in scenario
// order. A fault is injected at T, the offset of its first fault.injected
// event. A fault without one (whether or not a fault.failed event says why)
// was not injected: Injected is false, Error says why, AtMS is the
// scheduled offset, and the drill is inconclusive.
//
// RTO of an injected fault. Take the writes sent at or after T, ordered by
// send time. The recovery write is the earliest ok write o such that every
// write sent in [o.Sent, o.Sent+W] (both ends included) is ok, W being the
// scenario's stability window, and the window was fully observed: some
// write was sent at or after o.Sent+W, or the measured run lasted until at
// least o.Sent+W. RTO = o's ack time − T. Without such a write the fault
// never recovered: RTOMS is nil (RTO = ∞), Recovered false. Without any
// write sent at or after T there is no data (NoData): neither a pass nor a
// recovery.
//
// Phases, in ms from T: detect, fence and promote are the first
// failover.detect, failover.fence and failover.promote events at or after T
// and before the next fault's injection; first_write is the recovery
// write's ack time − T. A phase that did not happen is absent.
//
// Writes. Attempted, Acked (ok), Failed and Indeterminate count outcomes.
// An acknowledged write whose id is not in ReadBack is lost; one that is
// found is verified. Failed and indeterminate writes are never lost. With a
// nil ReadBack, Lost is nil and LostIDs empty. LostIDs are ordered by seq
// and capped at MaxLostIDs; Lost stays exact.
//
// RPO. Each lost write is charged to the first fault injected at or after
// its ack time (one acked after every injection is charged to the last
// fault before it, with a window clamped at 0); its window is that
// injection time − its ack time. RPOMS is the largest window: with one
// fault, injection time − ack time of the oldest lost write. RPOMS is 0
// when nothing is lost, and nil when ReadBack is nil or when writes were
// lost but no fault was injected.
//
// Split brain. Among the ok writes acknowledged at or after the first
// injection, grouped by Op.Node, each node spans [first ack, last ack]. If
// the spans of two nodes overlap (ends included), SplitBrain is true; a
// clean failover moves from one node to the next without overlap.
//
// Objectives, always in this order: rto, rpo, lost_writes, split_brain.
// Each is missed when its measurement breaks its limit, no-data when the
// measurement could not be made (limit or not; missed wins over no-data),
// met when within its limit, and reported when it has no limit.
//   - rto ("<= 15s" or "report"): measured is the worst fault's RTO, or
//     "never recovered" if any fault did not recover (missed when a limit
//     is set). No-data when no fault was injected, or a fault had no data.
//   - rpo ("<= 1s" or "report"): RPOMS. No-data when RPOMS is nil or no
//     write was acknowledged.
//   - lost_writes ("<= N" or "report"): "3 of 1204 acked". No-data without
//     a read-back or without an acknowledged write.
//   - split_brain ("none", always checked): missed on split brain, no-data
//     when no write was acknowledged after the first injection.
//
// Verdict: fail if any objective was missed; otherwise inconclusive if any
// objective is no-data, no write was acknowledged, a scenario fault was
// not injected, or the drill was aborted (a drill.abort event); otherwise
// pass. Reasons explains a fail or an inconclusive in short sentences,
// missed objectives first.
func Score(in Input) firedrill.Result {
	sc := in.Scenario
	if sc == nil {
		sc = &scenarios.Scenario{}
	}
	events := normalizeEvents(in.Events)
	byTime := append([]firedrill.Event(nil), events...)
	sort.SliceStable(byTime, func(i, j int) bool { return byTime[i].At < byTime[j].At })

	end := in.Duration
	if end <= 0 {
		for _, e := range byTime {
			if e.Kind == firedrill.EventDrillEnd {
				end = e.At
			}
		}
	}
	window := sc.Workload.StabilityWindow.Duration
	writes := writeOps(in.Ops)

	injections := in.Injections
	if injections == nil {
		injections = firedrill.NewSchedule(sc).Injections()
	}
	faults := scoreFaults(injections, byTime, writes, window, end)
	injected := injectedByTime(faults)

	stats, lost := countWrites(writes, in.ReadBack)
	res := firedrill.Result{
		Scenario:        sc.Name,
		RunID:           in.RunID,
		StartedAt:       in.Start,
		DurationMS:      firedrill.Millis(end),
		Writes:          stats,
		WriteRate:       sc.Workload.WritesPerSecond,
		StabilityMS:     firedrill.Millis(window),
		Events:          events,
		FailoverEnabled: in.FailoverEnabled,
		ReadFrom:        in.ReadFrom,
		Faults:          make([]firedrill.FaultResult, 0, len(faults)),
	}
	for _, f := range faults {
		res.Faults = append(res.Faults, f.res)
	}

	rpo := worstRPO(lost, injected)
	if in.ReadBack != nil && rpo.measurable {
		ms := firedrill.Millis(rpo.value)
		res.RPOMS = &ms
	}
	var firstInjection *time.Duration
	if len(injected) > 0 {
		firstInjection = &injected[0].at
	}
	split := splitBrain(writes, firstInjection)
	res.SplitBrain = split.split

	sb := &scoreBuilder{in: in, sc: sc, end: end, window: window}
	sb.objRTO(faults)
	sb.objRPO(rpo, stats)
	sb.objLostWrites(stats)
	sb.objSplitBrain(split, len(injected) > 0, stats)
	res.Objectives = sb.objectives

	// Inconclusive causes that are not objectives.
	if stats.Acked == 0 {
		sb.inconclusive = append(sb.inconclusive, "no acknowledged writes: nothing was measured")
	}
	for _, f := range faults {
		if !f.res.Injected {
			sb.inconclusive = append(sb.inconclusive, fmt.Sprintf("%s was not injected: %s", f.label, f.res.Error))
		}
	}
	for _, e := range byTime {
		if e.Kind == firedrill.EventAbort {
			r := "the drill was aborted at " + human(e.At)
			if e.Detail != "" {
				r += ": " + e.Detail
			}
			sb.inconclusive = append(sb.inconclusive, r)
		}
	}

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

// normalizeEvents copies the events, filling At from AtMS (events read back
// from JSON) or AtMS from At (events built in code) when one is missing.
func normalizeEvents(in []firedrill.Event) []firedrill.Event {
	out := make([]firedrill.Event, len(in))
	for i, e := range in {
		switch {
		case e.At == 0 && e.AtMS != 0:
			e.At = time.Duration(math.Round(e.AtMS * float64(time.Millisecond)))
		case e.AtMS == 0 && e.At != 0:
			e.AtMS = firedrill.Millis(e.At)
		}
		out[i] = e
	}
	return out
}

// writeOps returns the write operations ordered by send time (then seq).
func writeOps(ops []firedrill.Op) []firedrill.Op {
	out := make([]firedrill.Op, 0, len(ops))
	for _, o := range ops {
		if o.Kind == "write" || o.Kind == "" {
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Sent != out[j].Sent {
			return out[i].Sent < out[j].Sent
		}
		return out[i].Seq < out[j].Seq
	})
	return out
}

// faultScore is a FaultResult with what the objectives and reasons need.
type faultScore struct {
	res   firedrill.FaultResult
	label string        // `fault 0 (kill postgres.primary)`
	at    time.Duration // injection offset, when injected
	rto   time.Duration // when recovered
	// pending is the first write after which the system stayed healthy
	// until the run ended, too early to close the stability window.
	pending *firedrill.Op
}

func scoreFaults(injections []firedrill.Injection, byTime []firedrill.Event, writes []firedrill.Op, window, end time.Duration) []*faultScore {
	faults := make([]*faultScore, len(injections))
	for i, in := range injections {
		fs := &faultScore{label: in.Label(), res: firedrill.FaultResult{
			ID: in.ID, Source: in.Source, Index: in.Index, Action: in.Action, Target: in.Target,
			ScheduledMS: firedrill.Millis(in.At), AtMS: firedrill.Millis(in.At), Phases: map[string]float64{},
			Recovery: firedrill.RecoveryNotInjected,
		}}
		var failed *firedrill.Event
		for k := range byTime {
			e := &byTime[k]
			if e.Injection != in.ID {
				continue
			}
			if e.Kind == firedrill.EventFaultInjected && !fs.res.Injected {
				fs.res.Injected = true
				fs.at = e.At
				fs.res.AtMS = firedrill.Millis(e.At)
				fs.res.SpanMS = firedrill.Millis(e.Span)
				fs.res.Nodes = e.Nodes
				fs.res.Evidence = e.Evidence
			}
			if e.Kind == firedrill.EventFaultFailed && failed == nil {
				failed = e
			}
		}
		if !fs.res.Injected {
			switch {
			case failed != nil && failed.Detail != "":
				fs.res.Error = failed.Detail
			case failed != nil:
				fs.res.Error = "injection failed"
			default:
				fs.res.Error = "no fault.injected event was recorded"
			}
		}
		faults[i] = fs
	}

	injected := injectedByTime(faults)
	for k, fs := range injected {
		next := time.Duration(math.MaxInt64)
		for _, later := range injected[k+1:] {
			if later.at > fs.at {
				next = later.at
				break
			}
		}
		for _, ph := range []struct {
			kind firedrill.EventKind
			name string
		}{
			{firedrill.EventDetect, firedrill.PhaseDetect},
			{firedrill.EventFence, firedrill.PhaseFence},
			{firedrill.EventPromote, firedrill.PhasePromote},
		} {
			for _, e := range byTime {
				if e.Kind == ph.kind && e.At >= fs.at && e.At < next {
					fs.res.Phases[ph.name] = firedrill.Millis(e.At - fs.at)
					break
				}
			}
		}

		rec, pending, noData := recoveryPoint(writes, fs.at, window, end)
		fs.pending = pending
		switch {
		case noData:
			fs.res.Recovery = firedrill.RecoveryNoData
		case rec != nil:
			fs.rto = rec.Done - fs.at
			ms := firedrill.Millis(fs.rto)
			fs.res.RTOMS = &ms
			fs.res.Recovery = firedrill.RecoveryRecovered
			fs.res.Phases[firedrill.PhaseFirstWrite] = ms
		default:
			fs.res.Recovery = firedrill.RecoveryNever
		}
	}
	return faults
}

// injectedByTime returns the injected faults ordered by injection time.
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

// recoveryPoint finds the write that ends the outage of a fault injected at
// t. writes must be ordered by Sent. Only writes sent at or after t count.
//
// The recovery write is the earliest ok write o such that every write sent
// in [o.Sent, o.Sent+window] (both ends included, ties with o.Sent too) is
// ok, and the window was fully observed: some write was sent at or after
// o.Sent+window, or the measured run lasted until at least o.Sent+window
// (end; the probe is open-loop, so it kept sending through the window).
//
// It returns the recovery write, or nil. When nil, pending is the first
// write whose window was clean but closed after the run ended (the system
// looked healthy, too late to tell), and noData says no write was sent at
// or after t at all.
func recoveryPoint(writes []firedrill.Op, t, window, end time.Duration) (rec, pending *firedrill.Op, noData bool) {
	i0 := sort.Search(len(writes), func(i int) bool { return writes[i].Sent >= t })
	after := writes[i0:]
	if len(after) == 0 {
		return nil, nil, true
	}
	// nextBad[i] is the index of the first write at or after i that is not
	// ok, or len(after).
	nextBad := make([]int, len(after)+1)
	nextBad[len(after)] = len(after)
	for i := len(after) - 1; i >= 0; i-- {
		if after[i].Outcome != firedrill.OutcomeOK {
			nextBad[i] = i
		} else {
			nextBad[i] = nextBad[i+1]
		}
	}
	lastSent := after[len(after)-1].Sent
	groupStart := 0 // first write sent at the same instant as after[i]
	for i := range after {
		if i > 0 && after[i].Sent != after[i-1].Sent {
			groupStart = i
		}
		o := &after[i]
		if o.Outcome != firedrill.OutcomeOK {
			continue
		}
		windowEnd := o.Sent + window
		if b := nextBad[groupStart]; b < len(after) && after[b].Sent <= windowEnd {
			continue
		}
		if lastSent >= windowEnd || end >= windowEnd {
			return o, nil, false
		}
		// Later candidates have later windows: none can be observed.
		return nil, o, false
	}
	return nil, nil, false
}

// countWrites counts write outcomes and finds the lost writes.
//
// A write is lost when it was acknowledged (ok) and its id is not in
// readBack; it is verified when it was acknowledged and found. Failed and
// indeterminate writes are never lost, found or not. With a nil readBack
// (no read-back could be made) Lost is nil and nothing is verified.
// LostIDs are ordered by seq and capped at MaxLostIDs; the returned slice
// holds every lost write, ordered by seq.
func countWrites(writes []firedrill.Op, readBack map[string]bool) (firedrill.WriteStats, []firedrill.Op) {
	var st firedrill.WriteStats
	var lost []firedrill.Op
	for _, o := range writes {
		st.Attempted++
		switch o.Outcome {
		case firedrill.OutcomeOK:
			st.Acked++
			if readBack != nil {
				if readBack[o.ID] {
					st.Verified++
				} else {
					lost = append(lost, o)
				}
			}
		case firedrill.OutcomeIndeterminate:
			st.Indeterminate++
		default:
			st.Failed++
		}
	}
	if readBack == nil {
		return st, nil
	}
	sort.SliceStable(lost, func(i, j int) bool {
		if lost[i].Seq != lost[j].Seq {
			return lost[i].Seq < lost[j].Seq
		}
		return lost[i].ID < lost[j].ID
	})
	n := len(lost)
	st.Lost = &n
	for i, o := range lost {
		if i == MaxLostIDs {
			break
		}
		st.LostIDs = append(st.LostIDs, o.ID)
	}
	return st, lost
}

// rpoResult is the RPO and the write that set it.
type rpoResult struct {
	value      time.Duration
	measurable bool
	write      *firedrill.Op // the lost write that set value, if any
	fault      *faultScore   // the fault it was lost to
}

// worstRPO computes the RPO from the lost writes and the injected faults
// (ordered by time).
//
// Each lost write is charged to the first fault injected at or after its
// ack time T_ack; its loss window is that injection time − T_ack. A write
// acknowledged after every injection is charged to the last fault before
// it, with a window clamped at 0. RPO is the largest window: with one
// fault, injection − ack time of the oldest lost write. RPO is 0 when
// nothing is lost; it cannot be measured when writes were lost but no
// fault was injected.
func worstRPO(lost []firedrill.Op, injected []*faultScore) rpoResult {
	if len(lost) == 0 {
		return rpoResult{measurable: true}
	}
	if len(injected) == 0 {
		return rpoResult{}
	}
	r := rpoResult{measurable: true, value: -1}
	for i := range lost {
		o := &lost[i]
		k := sort.Search(len(injected), func(k int) bool { return injected[k].at >= o.Done })
		var f *faultScore
		var w time.Duration
		if k < len(injected) {
			f, w = injected[k], injected[k].at-o.Done
		} else {
			f = injected[len(injected)-1]
		}
		if w > r.value || (w == r.value && o.Done < r.write.Done) {
			r.value, r.write, r.fault = w, o, f
		}
	}
	return r
}

// splitResult says whether two primaries acknowledged writes at once.
type splitResult struct {
	measured bool // some write was acknowledged after the first injection
	split    bool
	detail   string
}

type nodeSpan struct {
	node        string
	first, last time.Duration
}

// splitBrain looks for two nodes acknowledging writes at the same time
// after the first fault's injection.
//
// Among the ok writes acknowledged at or after the first injection, grouped
// by the node that acknowledged them (Op.Node; writes without a node are
// ignored), each node spans [its first ack, its last ack]. If the spans of
// two different nodes overlap (ends included), the drill had a split brain.
// A clean failover moves from one node to the next without overlap.
func splitBrain(writes []firedrill.Op, firstInjection *time.Duration) splitResult {
	if firstInjection == nil {
		return splitResult{detail: "no fault was injected"}
	}
	spans := map[string]*nodeSpan{}
	for _, o := range writes {
		if o.Outcome != firedrill.OutcomeOK || o.Done < *firstInjection || o.Node == "" {
			continue
		}
		s := spans[o.Node]
		if s == nil {
			spans[o.Node] = &nodeSpan{node: o.Node, first: o.Done, last: o.Done}
			continue
		}
		s.first = min(s.first, o.Done)
		s.last = max(s.last, o.Done)
	}
	if len(spans) == 0 {
		return splitResult{detail: "no write was acknowledged after the first fault"}
	}
	list := make([]*nodeSpan, 0, len(spans))
	for _, s := range spans {
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].first != list[j].first {
			return list[i].first < list[j].first
		}
		return list[i].node < list[j].node
	})
	reach := list[0] // the span reaching furthest so far
	for _, s := range list[1:] {
		if s.first <= reach.last {
			return splitResult{measured: true, split: true, detail: fmt.Sprintf(
				"%s (acks %s–%s) and %s (acks %s–%s) both acknowledged writes",
				reach.node, human(reach.first), human(reach.last), s.node, human(s.first), human(s.last))}
		}
		if s.last > reach.last {
			reach = s
		}
	}
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = s.node
	}
	if len(names) == 1 {
		return splitResult{measured: true, detail: "after the first fault every ack came from " + names[0]}
	}
	return splitResult{measured: true, detail: "after the first fault acks moved " + strings.Join(names, " → ")}
}

// scoreBuilder accumulates objectives and the reasons for the verdict.
type scoreBuilder struct {
	in     Input
	sc     *scenarios.Scenario
	end    time.Duration
	window time.Duration

	objectives   []firedrill.ObjectiveResult
	missed       []string // reasons for a fail
	inconclusive []string // reasons for an inconclusive
}

// add records an objective; reasons (if any) explain a missed or no-data
// status, one sentence each.
func (b *scoreBuilder) add(o firedrill.ObjectiveResult, reasons ...string) {
	o.Met = o.Status == firedrill.StatusMet || o.Status == firedrill.StatusReported
	b.objectives = append(b.objectives, o)
	for _, r := range reasons {
		if r == "" {
			continue
		}
		switch o.Status {
		case firedrill.StatusMissed:
			b.missed = append(b.missed, o.Name+": "+r)
		case firedrill.StatusNoData:
			b.inconclusive = append(b.inconclusive, o.Name+": "+r)
		}
	}
}

func limitTarget(d *scenarios.Duration) string {
	if d == nil {
		return targetReport
	}
	return "<= " + human(d.Duration)
}

func (b *scoreBuilder) runLength() string {
	if b.end <= 0 {
		return "the run"
	}
	return "the " + human(b.end) + " run"
}

func (b *scoreBuilder) objRTO(faults []*faultScore) {
	limit := b.sc.Objectives.RTO
	o := firedrill.ObjectiveResult{Name: ObjectiveRTO, Target: limitTarget(limit)}
	var injected, noData, never []*faultScore
	var worst *faultScore
	for _, f := range faults {
		if !f.res.Injected {
			continue
		}
		injected = append(injected, f)
		switch {
		case f.res.Recovery == firedrill.RecoveryNoData:
			noData = append(noData, f)
		case f.res.Recovery != firedrill.RecoveryRecovered:
			never = append(never, f)
		case worst == nil || f.rto > worst.rto:
			worst = f
		}
	}
	if len(injected) == 0 {
		o.Measured, o.Status, o.Detail = "no data", firedrill.StatusNoData, "no fault was injected"
		b.add(o, "no fault was injected: there was nothing to recover from")
		return
	}

	var details []string
	for _, f := range injected {
		switch {
		case f.res.Recovery == firedrill.RecoveryNoData:
			details = append(details, f.label+": no data")
		case f.res.Recovery != firedrill.RecoveryRecovered:
			details = append(details, f.label+": never recovered")
		default:
			details = append(details, f.label+": "+human(f.rto))
		}
	}
	o.Detail = strings.Join(details, "; ")

	switch {
	case len(never) > 0:
		o.Measured = "never recovered"
	case worst != nil:
		o.Measured = human(worst.rto)
	default:
		o.Measured = "no data"
	}

	var reasons []string
	switch {
	case limit != nil && (len(never) > 0 || (worst != nil && worst.rto > limit.Duration)):
		o.Status = firedrill.StatusMissed
		for _, f := range injected {
			switch {
			case f.res.Recovery == firedrill.RecoveryNoData:
			case f.res.Recovery != firedrill.RecoveryRecovered:
				r := fmt.Sprintf("%s never recovered within %s", f.label, b.runLength())
				if f.pending != nil {
					r += fmt.Sprintf(" (writes succeeded from %s, but the run ended before the %s stability window closed)",
						human(f.pending.Sent), human(b.window))
				}
				reasons = append(reasons, r)
			case f.rto > limit.Duration:
				reasons = append(reasons, fmt.Sprintf("%s took %s to recover, objective %s", f.label, human(f.rto), o.Target))
			}
		}
	case len(noData) > 0:
		o.Status = firedrill.StatusNoData
		for _, f := range noData {
			reasons = append(reasons, fmt.Sprintf("no write was sent after %s was injected", f.label))
		}
	case limit == nil:
		o.Status = firedrill.StatusReported
	default:
		o.Status = firedrill.StatusMet
	}
	b.add(o, reasons...)
}

func (b *scoreBuilder) readBackFailure() string {
	if b.in.ReadBackErr != nil {
		return "the read-back of acknowledged writes failed: " + b.in.ReadBackErr.Error()
	}
	return "the read-back of acknowledged writes was not made"
}

func (b *scoreBuilder) objRPO(rpo rpoResult, st firedrill.WriteStats) {
	limit := b.sc.Objectives.RPO
	o := firedrill.ObjectiveResult{Name: ObjectiveRPO, Target: limitTarget(limit), Measured: "no data"}
	switch {
	case b.in.ReadBack == nil:
		// Reported once, for both rpo and lost_writes, by objLostWrites.
		o.Status, o.Detail = firedrill.StatusNoData, b.readBackFailure()
		b.add(o)
		return
	case st.Acked == 0:
		// Reported once, as "no acknowledged writes", by Score.
		o.Status, o.Detail = firedrill.StatusNoData, "no acknowledged writes"
		b.add(o)
		return
	case !rpo.measurable:
		o.Status, o.Detail = firedrill.StatusNoData, "acknowledged writes were lost but no fault was injected"
		b.add(o, o.Detail)
		return
	}
	o.Measured = human(rpo.value)
	if rpo.write != nil {
		o.Detail = fmt.Sprintf("write %s, acknowledged at %s, %s before %s was injected, is lost",
			rpo.write.ID, human(rpo.write.Done), human(rpo.value), rpo.fault.label)
	} else {
		o.Detail = "no acknowledged write was lost"
	}
	switch {
	case limit == nil:
		o.Status = firedrill.StatusReported
		b.add(o)
	case rpo.value > limit.Duration:
		o.Status = firedrill.StatusMissed
		b.add(o, fmt.Sprintf("acknowledged writes from %s before %s were lost, objective %s",
			human(rpo.value), rpo.fault.label, o.Target))
	default:
		o.Status = firedrill.StatusMet
		b.add(o)
	}
}

func (b *scoreBuilder) objLostWrites(st firedrill.WriteStats) {
	limit := b.sc.Objectives.LostWrites
	o := firedrill.ObjectiveResult{Name: ObjectiveLostWrites, Target: targetReport, Measured: "no data"}
	if limit != nil {
		o.Target = fmt.Sprintf("<= %d", *limit)
	}
	switch {
	case st.Lost == nil:
		o.Measured = "not measured"
		o.Status, o.Detail = firedrill.StatusNoData, b.readBackFailure()
		b.add(o)
		b.inconclusive = append(b.inconclusive, ObjectiveRPO+", "+ObjectiveLostWrites+": "+o.Detail)
		return
	case st.Acked == 0:
		o.Status, o.Detail = firedrill.StatusNoData, "no acknowledged writes to verify"
		b.add(o)
		return
	}
	lost := *st.Lost
	o.Measured = fmt.Sprintf("%d of %d acked", lost, st.Acked)
	o.Detail = fmt.Sprintf("%d acknowledged writes read back, %d missing", st.Verified, lost)
	switch {
	case limit == nil:
		o.Status = firedrill.StatusReported
		b.add(o)
	case lost > *limit:
		o.Status = firedrill.StatusMissed
		b.add(o, fmt.Sprintf("%d of %d acknowledged writes were lost, objective %s", lost, st.Acked, o.Target))
	default:
		o.Status = firedrill.StatusMet
		b.add(o)
	}
}

func (b *scoreBuilder) objSplitBrain(s splitResult, anyInjected bool, st firedrill.WriteStats) {
	o := firedrill.ObjectiveResult{Name: ObjectiveSplitBrain, Target: "none", Detail: s.detail}
	switch {
	case !s.measured:
		o.Measured, o.Status = "no data", firedrill.StatusNoData
		reason := ""
		if anyInjected && st.Acked > 0 { // otherwise another reason says it
			reason = s.detail
		}
		b.add(o, reason)
	case s.split:
		o.Measured, o.Status = "split brain", firedrill.StatusMissed
		b.add(o, s.detail)
	default:
		o.Measured, o.Status = "none", firedrill.StatusMet
		b.add(o)
	}
}
