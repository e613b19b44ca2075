package score

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

// readOpKind is the Kind of the read workload's ops (probe.ReadOpKind).
const readOpKind = "read"

// readOps returns the read operations ordered by send time (then seq).
func readOps(ops []firedrill.Op) []firedrill.Op {
	var out []firedrill.Op
	for _, o := range ops {
		if o.Kind == readOpKind {
			out = append(out, o)
		}
	}
	sortBySent(out)
	return out
}

// scoreReads scores the read workload (docs/measurement.md, "Reads"): it
// counts the reads, says who served them in each phase, measures each
// injection's read outage by the rules of the write RTO (outages and
// group.cause, on the reads) and sets FaultResult.Reads. It returns nil
// stats when no reads ran (the scenario asked for none and the ledger has
// none), and the reasons that fail the drill: reads that never recovered.
func scoreReads(in Input, sc *scenarios.Scenario, injected []*faultScore, window, end time.Duration,
	events []firedrill.Event, charged []*faultScore) (*firedrill.ReadStats, []string) {
	reads := readOps(in.Ops)
	if sc.Workload.ReadsPerSecond <= 0 && len(reads) == 0 {
		return nil, nil
	}
	st := &firedrill.ReadStats{
		Keyless:     in.ReadKeyless,
		RatePerS:    sc.Workload.ReadsPerSecond,
		KeyAgeMS:    firedrill.Millis(in.ReadKeyAge),
		ScheduleLag: scheduleLag(reads),
		Phases:      readPhases(reads, injected, end),
	}
	for _, o := range reads {
		st.Sent++
		switch o.Outcome {
		case firedrill.OutcomeOK:
			st.OK++
		case firedrill.OutcomeStale:
			st.Stale++
			if o.Role == firedrill.ServedByPrimary {
				st.StaleOnPrimary++
			}
		case firedrill.OutcomeFailed:
			st.Failed++
		default:
			st.Indeterminate++
		}
	}

	var never []string
	for _, g := range outages(injected, reads, window, end) {
		cause, _, _ := g.cause(end, events, charged)
		fr := &firedrill.FaultReads{}
		switch {
		case g.rec != nil:
			rto := firedrill.Millis(g.rec.Done - cause.at)
			back := firedrill.Millis(g.rec.Done)
			fr.Recovery, fr.RTOMS, fr.BackMS = firedrill.RecoveryRecovered, &rto, &back
		case g.pending != nil:
			ms := firedrill.Millis(g.pending.Sent)
			fr.Recovery, fr.PendingMS = firedrill.RecoveryUnconfirmed, &ms
		case g.noData:
			fr.Recovery = firedrill.RecoveryNoData
		default:
			fr.Recovery = firedrill.RecoveryNever
			never = append(never, fmt.Sprintf("reads never recovered after %s: still failing or stale when observation ended", cause.label))
		}
		if stop := firstUnanswered(reads, cause.at, g.rec, end); stop != nil {
			ms := firedrill.Millis(stop.Sent)
			fr.StoppedMS = &ms
		}
		for _, m := range g.members {
			if m == cause {
				if len(g.members) > 1 {
					fr.Overlap = fmt.Sprintf("%s injected during this read outage; it is measured from %s",
						strings.Join(otherIDs(g.members, m), ", "), m.res.ID)
				}
				m.res.Reads = fr
				continue
			}
			m.res.Reads = &firedrill.FaultReads{Recovery: firedrill.RecoveryOverlapped,
				Overlap: fmt.Sprintf("in %s's read outage; its effect on reads cannot be told apart", cause.res.ID)}
		}
	}
	return st, never
}

// firstUnanswered is the first read sent at or after t, and before the
// recovery read rec (up to the end of observation without one), that was
// not ok: when reads stopped succeeding. nil when there is none.
func firstUnanswered(reads []firedrill.Op, t time.Duration, rec *firedrill.Op, end time.Duration) *firedrill.Op {
	for i := range reads {
		o := &reads[i]
		if o.Sent < t {
			continue
		}
		if rec != nil && o.Sent >= rec.Sent || rec == nil && o.Sent > end {
			return nil
		}
		if o.Outcome != firedrill.OutcomeOK {
			return o
		}
	}
	return nil
}

func otherIDs(members []*faultScore, m *faultScore) []string {
	var ids []string
	for _, o := range members {
		if o != m {
			ids = append(ids, o.res.ID)
		}
	}
	return ids
}

// readPhases says who served the reads sent before the first injection,
// then from each injection's T to the next one's (excluded), the last up
// to the end of observation (included); reads sent after it are in no
// phase. reads must be ordered by Sent, injected by T.
func readPhases(reads []firedrill.Op, injected []*faultScore, end time.Duration) []firedrill.ReadPhase {
	type bound struct {
		id   string
		from time.Duration
	}
	bounds := []bound{{}}
	for _, f := range injected {
		bounds = append(bounds, bound{id: f.res.ID, from: f.at})
	}
	phases := make([]firedrill.ReadPhase, len(bounds))
	for i, b := range bounds {
		until := end
		if i+1 < len(bounds) {
			until = bounds[i+1].from
		}
		phases[i] = firedrill.ReadPhase{Injection: b.id, FromMS: firedrill.Millis(b.from), ToMS: firedrill.Millis(until),
			Servers: []firedrill.ReadServer{}}
	}
	for _, o := range reads {
		if o.Sent > end {
			break
		}
		i := sort.Search(len(bounds), func(i int) bool { return bounds[i].from > o.Sent }) - 1
		p := &phases[max(i, 0)]
		if o.Outcome != firedrill.OutcomeOK && o.Outcome != firedrill.OutcomeStale {
			p.Unanswered++
			continue
		}
		k := -1
		for j, s := range p.Servers {
			if s.Node == o.Node && s.Role == o.Role {
				k = j
			}
		}
		if k < 0 {
			p.Servers = append(p.Servers, firedrill.ReadServer{Node: o.Node, Role: o.Role, FirstMS: firedrill.Millis(o.Sent)})
			k = len(p.Servers) - 1
		}
		s := &p.Servers[k]
		if o.Outcome == firedrill.OutcomeOK {
			s.OK++
		} else {
			s.Stale++
		}
		s.LastMS = firedrill.Millis(o.Sent)
	}
	return phases
}
