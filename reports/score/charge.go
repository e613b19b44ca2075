package score

import (
	"slices"
	"sort"
	"time"

	"github.com/firedrill/firedrill"
)

// chargeEvents says, for every event (ordered by time), which injected
// fault a failover event is charged to (docs/measurement.md, "Charging"),
// nil for other events and for failover events before any injection.
//
// A detect or failover error goes to the injection it names, else to the
// latest injection at or before it whose nodes include its Target (the
// old primary: the injection that took the primary down), else to the
// latest injection at or before it. A fence or promote goes to the
// injection of the latest detect at or before it (they are the same
// failover), else to the latest injection at or before it. injected must
// be ordered by T.
func chargeEvents(events []firedrill.Event, injected []*faultScore) []*faultScore {
	byID := map[string]*faultScore{}
	for _, f := range injected {
		byID[f.res.ID] = f
	}
	// latest is the latest injection at or before t that satisfies ok.
	latest := func(t time.Duration, ok func(*faultScore) bool) *faultScore {
		for k := len(injected) - 1; k >= 0; k-- {
			if f := injected[k]; f.at <= t && ok(f) {
				return f
			}
		}
		return nil
	}
	anyFault := func(*faultScore) bool { return true }

	out := make([]*faultScore, len(events))
	var lastDetect, lastPlan *faultScore
	for k, e := range events {
		if isDRRecovery(e.Kind) {
			// A plan's events go to the injection it named when it
			// classified the failure, else to the latest before them.
			f := byID[e.Injection]
			if f == nil && e.Kind != firedrill.EventRecoveryClassified {
				f = lastPlan
			}
			if f == nil {
				f = latest(e.At, anyFault)
			}
			if e.Kind == firedrill.EventRecoveryClassified {
				lastPlan = f
			}
			out[k] = f
			continue
		}
		if !isFailover(e.Kind) {
			continue
		}
		f := byID[e.Injection]
		switch e.Kind {
		case firedrill.EventDetect, firedrill.EventFailoverError:
			if f == nil {
				f = latest(e.At, func(f *faultScore) bool { return slices.Contains(f.res.Nodes, e.Target) })
			}
			if f == nil {
				f = latest(e.At, anyFault)
			}
			if e.Kind == firedrill.EventDetect {
				lastDetect = f
			}
		default: // fence, promote
			if f == nil {
				f = lastDetect
			}
			if f == nil {
				f = latest(e.At, anyFault)
			}
		}
		out[k] = f
	}
	return out
}

// rpoResult is the RPO and the write that set it.
type rpoResult struct {
	value      time.Duration
	measurable bool
	write      *firedrill.Op // the lost write that set value, if any
	fault      *faultScore   // the injection it was charged to
}

// chargeLost charges every lost write to an injection and computes the
// RPOs (docs/measurement.md, "Lost writes and RPO" and "Charging"). events are ordered by
// time, charged is chargeEvents' answer, injected is ordered by T.
//
// A lost write goes to the injection of the first promotion at or after
// its ack (the promotion that lost it); without one, to the first
// injection whose effect E = T+Span is at or after its ack and whose nodes
// include the node that acknowledged it, else to the first injection
// whose E is at or after its ack, else to the last injection at or before
// its ack. Its window is E − ack, clamped at 0. Every injection's RPO is
// its largest window, 0 when nothing is charged to it (set only when a
// read-back was made, readBack); the result is the largest of all.
// Writes lost with no injection at all make the RPO unmeasurable.
func chargeLost(lost []firedrill.Op, injected []*faultScore, events []firedrill.Event, charged []*faultScore, readBack bool) rpoResult {
	if readBack {
		for _, f := range injected {
			f.res.Lost, f.res.RPOMS = new(int), new(float64)
		}
	}
	if len(lost) == 0 {
		return rpoResult{measurable: true}
	}
	if len(injected) == 0 {
		return rpoResult{}
	}
	type promotion struct {
		at    time.Duration
		fault *faultScore
	}
	var promotions []promotion
	for k, e := range events {
		if e.Kind == firedrill.EventPromote && charged[k] != nil {
			promotions = append(promotions, promotion{e.At, charged[k]})
		}
	}
	byEffect := slices.Clone(injected)
	sort.SliceStable(byEffect, func(i, j int) bool { return byEffect[i].eff < byEffect[j].eff })

	r := rpoResult{measurable: true, value: -1}
	for i := range lost {
		o := &lost[i]
		var f *faultScore
		// A promotion loses writes, never an upload: the file is on the
		// app's disk, which no failover touches (docs/measurement.md,
		// "Uploads").
		if k := sort.Search(len(promotions), func(k int) bool { return promotions[k].at >= o.Done }); k < len(promotions) && o.Kind != firedrill.OpKindUpload {
			f = promotions[k].fault
		}
		k0 := sort.Search(len(byEffect), func(k int) bool { return byEffect[k].eff >= o.Done })
		for _, g := range byEffect[k0:] {
			if f == nil && slices.Contains(g.res.Nodes, o.Node) {
				f = g
			}
		}
		if f == nil && k0 < len(byEffect) {
			f = byEffect[k0]
		}
		if f == nil { // every effect came before the ack
			for k := len(injected) - 1; k >= 0; k-- {
				if injected[k].at <= o.Done {
					f = injected[k]
					break
				}
			}
		}
		w := max(0, f.eff-o.Done)
		f.lost++
		*f.res.Lost = f.lost
		if w > f.rpo || f.rpoOp == nil {
			f.rpo, f.rpoOp = w, o
			*f.res.RPOMS = firedrill.Millis(w)
		}
		if w > r.value || (w == r.value && o.Done < r.write.Done) {
			r.value, r.write, r.fault = w, o, f
		}
	}
	return r
}
