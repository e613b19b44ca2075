package score

import (
	"fmt"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/internal/human"
	"github.com/firedrill/firedrill/scenarios"
)

// scoreBuilder accumulates objectives and the reasons for the verdict.
type scoreBuilder struct {
	in     Input
	sc     *scenarios.Scenario
	end    time.Duration
	window time.Duration
	// readBackProblem, when set, says why the read-back cannot tell lost
	// writes (readBackProblem).
	readBackProblem string
	// uploads is the uploads' part: their lost count in lost_writes, and
	// why their read-back cannot tell any (uploads.go).
	uploads uploadScore

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

// limitMS is a time objective's limit in ms; nil when only reported.
func limitMS(d *scenarios.Duration) *float64 {
	if d == nil {
		return nil
	}
	ms := firedrill.Millis(d.Duration)
	return &ms
}

func limitTarget(d *scenarios.Duration) string {
	if d == nil {
		return targetReport
	}
	return "<= " + human.Duration(d.Duration)
}

func (b *scoreBuilder) runLength() string {
	if b.end <= 0 {
		return "the run"
	}
	return "the " + human.Duration(b.end) + " run"
}

// objRTO judges the rto objective on the injections that are not
// overlapped (their outage is judged on its cause). injected is ordered by
// T.
func (b *scoreBuilder) objRTO(injected []*faultScore) {
	limit := b.sc.Objectives.RTO
	o := firedrill.ObjectiveResult{Name: ObjectiveRTO, Target: limitTarget(limit), Limit: limitMS(limit)}
	if len(injected) == 0 {
		o.Measured, o.Status, o.Detail = "no data", firedrill.StatusNoData, "no fault was injected"
		b.add(o, "no fault was injected: there was nothing to recover from")
		return
	}
	var never, unsure, over []*faultScore
	var worst *faultScore
	var details []string
	for _, f := range injected {
		switch f.res.Recovery {
		case firedrill.RecoveryOverlapped:
			details = append(details, f.label+": overlaps "+strings.Join(f.res.OverlapsWith, ", "))
		case firedrill.RecoveryNoData:
			details = append(details, f.label+": no data")
			unsure = append(unsure, f)
		case firedrill.RecoveryUnconfirmed:
			details = append(details, f.label+": unconfirmed")
			unsure = append(unsure, f)
		case firedrill.RecoveryNever:
			details = append(details, f.label+": never recovered")
			never = append(never, f)
		default:
			details = append(details, f.label+": "+human.Duration(f.rto))
			if worst == nil || f.rto > worst.rto {
				worst = f
			}
			if limit != nil && f.rto > limit.Duration {
				over = append(over, f)
			}
		}
	}
	o.Detail = strings.Join(details, "; ")
	switch {
	case len(never) > 0:
		o.Measured = "never recovered"
	case worst != nil:
		o.Measured = human.Duration(worst.rto)
	default:
		o.Measured = "no data"
	}

	var reasons []string
	switch {
	case len(never) > 0 || len(over) > 0:
		// Never recovering fails the drill whatever the objective says.
		o.Status = firedrill.StatusMissed
		for _, f := range never {
			reasons = append(reasons, fmt.Sprintf("%s never recovered within %s", f.label, b.runLength()))
		}
		for _, f := range over {
			reasons = append(reasons, fmt.Sprintf("%s took %s to recover, objective %s", f.label, human.Duration(f.rto), o.Target))
		}
	case len(unsure) > 0:
		o.Status = firedrill.StatusNoData
		for _, f := range unsure {
			if f.pending != nil {
				reasons = append(reasons, fmt.Sprintf(
					"%s: writes succeeded from %s, but observation ended at %s before the %s stability window closed",
					f.label, human.Duration(f.pending.Sent), human.Duration(b.end), human.Duration(b.window)))
			} else {
				reasons = append(reasons, fmt.Sprintf("no write was sent after %s was injected", f.label))
			}
		}
	case limit == nil:
		o.Status = firedrill.StatusReported
	default:
		o.Status = firedrill.StatusMet
	}
	b.add(o, reasons...)
}

// readBackUnusable says why the read-back cannot tell lost writes: it was
// not made, or it read the wrong node. Empty when it can.
func (b *scoreBuilder) readBackUnusable() string {
	switch {
	case b.in.ReadBack != nil:
		return b.readBackProblem
	case b.in.ReadBackErr != nil:
		return "the read-back of acknowledged writes failed: " + b.in.ReadBackErr.Error()
	}
	return "the read-back of acknowledged writes was not made"
}

// lostWrites says "1 acknowledged write was lost" or "3 … writes were".
func lostWrites(n int) string {
	if n == 1 {
		return "1 acknowledged write was lost"
	}
	return fmt.Sprintf("%d acknowledged writes were lost", n)
}

func (b *scoreBuilder) objRPO(rpo rpoResult, st firedrill.WriteStats) {
	limit := b.sc.Objectives.RPO
	o := firedrill.ObjectiveResult{Name: ObjectiveRPO, Target: limitTarget(limit), Limit: limitMS(limit), Measured: "no data"}
	switch {
	case b.readBackUnusable() != "":
		// Reported once, for both rpo and lost_writes, by objLostWrites.
		o.Status, o.Detail = firedrill.StatusNoData, b.readBackUnusable()
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
	o.Measured = human.Duration(rpo.value)
	lost := b.uploads.lostCount()
	if st.Lost != nil {
		lost += *st.Lost
	}
	if rpo.write != nil {
		o.Detail = fmt.Sprintf("%s %s, acknowledged at %s, lost by %s: window %s", opNoun(rpo.write), rpo.write.ID, human.Duration(rpo.write.Done),
			rpo.fault.label, human.Duration(rpo.value))
	} else {
		o.Detail = "no acknowledged write was lost"
	}
	switch {
	case limit == nil:
		b.measured(o, firedrill.StatusReported)
	case rpo.value > limit.Duration:
		o.Status = firedrill.StatusMissed
		b.add(o, fmt.Sprintf("acknowledged writes from %s before %s took effect were lost, objective %s",
			human.Duration(rpo.value), rpo.fault.label, o.Target))
	case limit.Duration == 0 && lost > 0:
		// A loss window can be 0 (a write acknowledged as the fault took
		// effect), but a lost write is never an RPO of 0.
		o.Status = firedrill.StatusMissed
		b.add(o, lostWrites(lost)+b.uploads.ofThem()+", objective <= 0s allows none")
	default:
		b.measured(o, firedrill.StatusMet)
	}
}

func (b *scoreBuilder) objLostWrites(st firedrill.WriteStats) {
	limit := b.sc.Objectives.LostWrites
	o := firedrill.ObjectiveResult{Name: ObjectiveLostWrites, Target: targetReport, Measured: "no data"}
	if limit != nil {
		o.Target = fmt.Sprintf("<= %d", *limit)
		n := float64(*limit)
		o.Limit = &n
	}
	switch {
	case b.readBackUnusable() != "":
		o.Measured = "not measured"
		o.Status, o.Detail = firedrill.StatusNoData, b.readBackUnusable()
		b.add(o)
		b.inconclusive = append(b.inconclusive, ObjectiveRPO+", "+ObjectiveLostWrites+": "+o.Detail)
		return
	case st.Acked == 0:
		o.Status, o.Detail = firedrill.StatusNoData, "no acknowledged writes to verify"
		b.add(o)
		return
	}
	// Lost uploads count as lost writes (docs/measurement.md, "Uploads").
	lost, acked := *st.Lost+b.uploads.lostCount(), st.Acked+b.uploads.ackedCount()
	o.Measured = fmt.Sprintf("%d of %d acked", lost, acked)
	o.Detail = fmt.Sprintf("%d acknowledged writes read back from %s, %d missing", st.Verified, human.OrDash(b.in.ReadFrom), *st.Lost) +
		b.uploads.detail()
	switch {
	case limit == nil:
		b.measured(o, firedrill.StatusReported)
	case lost > *limit:
		o.Status = firedrill.StatusMissed
		b.add(o, fmt.Sprintf("%d of %d acknowledged writes were lost%s, objective %s", lost, acked, b.uploads.ofThem(), o.Target))
	default:
		b.measured(o, firedrill.StatusMet)
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
