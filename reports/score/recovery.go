package score

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
)

// slot is the stretch of writes in which one outage is measured
// (docs/measurement.md, "RTO"): writes sent from from on, up to until —
// excluded when until is the next injection's T (a write sent then may be
// the next fault's), included when it is the end of observation.
type slot struct {
	from, until time.Duration
	last        bool // until is the end of observation
}

// in reports whether a write sent at sent belongs to the slot.
func (s slot) in(sent time.Duration) bool {
	if sent < s.from {
		return false
	}
	if s.last {
		return sent <= s.until
	}
	return sent < s.until
}

// recoveryPoint finds the write that ends an outage measured in s. writes
// must be ordered by Sent; only those sent in s count.
//
// The recovery write is the earliest ok write o such that every write
// sent in [o.Sent, o.Sent+window] (both ends included, ties with o.Sent
// too) is ok, and the window closed within the slot: o.Sent+window <=
// s.until (the probe is open-loop, so it kept sending through the window).
//
// It returns the recovery write, or nil. When nil, pending is the first
// write from which every write of the slot was ok, whose window the slot
// ended too early to close; noData says no write was sent in the slot.
// Neither means the outage was still going on at the slot's end.
func recoveryPoint(writes []firedrill.Op, s slot, window time.Duration) (rec, pending *firedrill.Op, noData bool) {
	i0 := sort.Search(len(writes), func(i int) bool { return writes[i].Sent >= s.from })
	i1 := i0
	for i1 < len(writes) && s.in(writes[i1].Sent) {
		i1++
	}
	after := writes[i0:i1]
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
		if windowEnd <= s.until {
			return o, nil, false
		}
		// Every later write of the slot is ok, and later candidates have
		// later windows: none can close.
		return nil, o, false
	}
	return nil, nil, false
}

// group is one outage and the injections it is measured for.
type group struct {
	members []*faultScore // in time order
	rec     *firedrill.Op
	pending *firedrill.Op
	noData  bool
}

// scoreRecovery measures the RTO of every injected fault (ordered by T),
// grouping those whose outages cannot be told apart (docs/measurement.md,
// "RTO" and "Overlap"), and sets Recovery, RTOMS, PendingMS, Overlap and
// the first_write phase.
func scoreRecovery(injected []*faultScore, writes []firedrill.Op, window, end time.Duration,
	events []firedrill.Event, charged []*faultScore) {
	for _, g := range outages(injected, writes, window, end) {
		g.settle(end, window, events, charged)
	}
}

// outages groups the injected faults (ordered by T) into outages and finds
// each one's recovery among ops (ordered by Sent), by the rules of
// docs/measurement.md, "RTO" and "Overlap": the write RTO's on the writes,
// the read RTO's on the reads.
func outages(injected []*faultScore, ops []firedrill.Op, window, end time.Duration) []*group {
	var groups []*group
	for i := 0; i < len(injected); {
		g := &group{members: []*faultScore{injected[i]}}
		j := i + 1
		for {
			s := slot{from: 0, until: end, last: j == len(injected)}
			for _, m := range g.members {
				s.from = max(s.from, m.eff)
			}
			if !s.last {
				s.until = injected[j].at
			}
			g.rec, g.pending, g.noData = recoveryPoint(ops, s, window)
			if g.rec == nil && g.pending != nil && !s.last {
				// The next injection came within the stability window:
				// the recovery stands if the window holds across it.
				full, _, _ := recoveryPoint(ops, slot{from: g.pending.Sent, until: end, last: true}, window)
				if full == g.pending {
					g.rec, g.pending = full, nil
				}
			}
			if g.rec != nil || s.last {
				break
			}
			g.members = append(g.members, injected[j])
			j++
		}
		groups = append(groups, g)
		i = j
	}
	return groups
}

// cause is the member the group's outage is given to: the one member
// charged with failover or recovery-plan events during the outage (told,
// with by naming what it was charged with), else the earliest.
func (g *group) cause(end time.Duration, events []firedrill.Event, charged []*faultScore) (cause *faultScore, told bool, by string) {
	if len(g.members) == 1 {
		return g.members[0], false, ""
	}
	outageEnd := end
	if g.rec != nil {
		outageEnd = g.rec.Done
	}
	var causes []*faultScore
	failover, plan := false, false
	for k, f := range charged {
		if f == nil || !slices.Contains(g.members, f) {
			continue
		}
		at, kind := events[k].At, events[k].Kind
		// Redundancy back is watched in every drill with standbys: it
		// is charged, but it is no one's failover or plan.
		if at < g.members[0].at || at > outageEnd || !(isFailover(kind) || isDRRecovery(kind)) || kind == firedrill.EventRedundancyRestored {
			continue
		}
		failover, plan = failover || isFailover(kind), plan || isDRRecovery(kind)
		if !slices.Contains(causes, f) {
			causes = append(causes, f)
		}
	}
	if len(causes) != 1 {
		return g.members[0], false, ""
	}
	switch {
	case failover && plan:
		by = "the failover and the recovery plan were"
	case failover:
		by = "the failover was"
	default:
		by = "the recovery plan was"
	}
	return causes[0], true, by
}

// settle gives the group's outage to its cause and overlap notes to the
// others.
func (g *group) settle(end, window time.Duration, events []firedrill.Event, charged []*faultScore) {
	cause, told, by := g.cause(end, events, charged)
	if len(g.members) > 1 {
		for _, m := range g.members {
			for _, o := range g.members {
				if o != m {
					m.res.OverlapsWith = append(m.res.OverlapsWith, o.res.ID)
				}
			}
			switch {
			case m == cause && told:
				m.res.Overlap = fmt.Sprintf("%s injected during this outage; %s %s's, so the outage is judged on %s",
					strings.Join(m.res.OverlapsWith, ", "), by, m.res.ID, m.res.ID)
			case m == cause:
				m.res.Overlap = fmt.Sprintf("%s injected during this outage; their effects cannot be told apart, so the RTO is the combined outage's, from %s",
					strings.Join(m.res.OverlapsWith, ", "), m.res.ID)
			case m.at < cause.at:
				m.res.Recovery = firedrill.RecoveryOverlapped
				m.res.Overlap = fmt.Sprintf("its outage was still going on when %s was injected and took the primary down; its effect cannot be told apart",
					cause.res.ID)
			default:
				m.res.Recovery = firedrill.RecoveryOverlapped
				m.res.Overlap = fmt.Sprintf("injected during %s's outage; its effect cannot be told apart", cause.res.ID)
			}
		}
	}
	switch {
	case g.rec != nil:
		cause.rto = g.rec.Done - cause.at
		ms := firedrill.Millis(cause.rto)
		cause.res.RTOMS = &ms
		cause.res.Recovery = firedrill.RecoveryRecovered
		cause.res.Phases[firedrill.PhaseFirstWrite] = ms
	case g.pending != nil:
		cause.pending = g.pending
		ms := firedrill.Millis(g.pending.Sent)
		cause.res.PendingMS = &ms
		cause.res.Recovery = firedrill.RecoveryUnconfirmed
	case g.noData:
		cause.res.Recovery = firedrill.RecoveryNoData
	default:
		cause.res.Recovery = firedrill.RecoveryNever
	}
}

func isFailover(k firedrill.EventKind) bool {
	switch k {
	case firedrill.EventDetect, firedrill.EventFence, firedrill.EventPromote, firedrill.EventFailoverError:
		return true
	}
	return false
}

// isDRRecovery says whether an event is the recovery engine's work on a
// failure (a plan, its restores, redundancy back): charged to an
// injection like the failover manager's (docs/measurement.md, "Charging").
func isDRRecovery(k firedrill.EventKind) bool {
	switch k {
	case firedrill.EventRecoveryClassified, firedrill.EventRecoveryStep, firedrill.EventRecoveryStepFailed, firedrill.EventRecoveryDone,
		firedrill.EventRestoreDownload, firedrill.EventRestoreRestore, firedrill.EventRestoreReplay, firedrill.EventRestoreFirstWrite,
		firedrill.EventRestoreDone, firedrill.EventRestoreFailed, firedrill.EventRedundancyRestored:
		return true
	}
	return false
}

// setPhases records, for every injection, the first detect, fence and
// promote charged to it, in ms from its T.
func setPhases(events []firedrill.Event, charged []*faultScore) {
	names := map[firedrill.EventKind]string{
		firedrill.EventDetect:  firedrill.PhaseDetect,
		firedrill.EventFence:   firedrill.PhaseFence,
		firedrill.EventPromote: firedrill.PhasePromote,
		// The recovery engine's phases count when they end: a restore's
		// download is done at At+Span (docs/measurement.md, "Backups and
		// restores").
		firedrill.EventRecoveryClassified: firedrill.PhaseClassify,
		firedrill.EventRestoreDownload:    firedrill.PhaseDownload,
		firedrill.EventRestoreRestore:     firedrill.PhaseRestore,
		firedrill.EventRestoreReplay:      firedrill.PhaseReplay,
		firedrill.EventRedundancyRestored: firedrill.PhaseFullRedundancy,
	}
	for k, f := range charged {
		if f == nil {
			continue
		}
		name, ok := names[events[k].Kind]
		at := events[k].At
		if isDRRecovery(events[k].Kind) {
			at += events[k].Span
		}
		if _, done := f.res.Phases[name]; ok && !done && at >= f.at {
			f.res.Phases[name] = firedrill.Millis(at - f.at)
		}
	}
}
