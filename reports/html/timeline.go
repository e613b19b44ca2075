package html

import (
	"fmt"
	"strings"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/html/internal/svg"
	"github.com/firedrill/firedrill/reports/internal/human"
	"github.com/firedrill/firedrill/reports/internal/words"
	"github.com/firedrill/firedrill/reports/score"
)

// The timeline's layout, in SVG user units (pixels at 100 %).
const (
	tlWidth     = 1100.0
	tlLeft      = 170.0 // room for the lanes' labels
	tlRight     = 16.0
	tlPlotWidth = tlWidth - tlLeft - tlRight
	tlTop       = 8.0
	laneHeight  = 20.0
	barHeight   = 12.0
	writesH     = 100.0
	readsH      = 44.0
	latencyH    = 80.0
	lagH        = 70.0
	panelGap    = 14.0
	axisH       = 30.0
	labelChars  = 27
)

// timeline draws one drill over its whole duration (docs/reports.md,
// "HTML"): a lane per fault (its span from injection to revert, its RTO
// marker), the failover manager's steps, backups, restores with their
// phases, recovery plans with their steps, redundancy restored, then the
// series' panels (writes per bucket, reads, write latency, replication
// lag) and the axis. Each fault's objective band — T to T + the rto
// target — runs behind every lane and panel, so that the RTO marker is
// seen inside or past it at a glance.
func timeline(r firedrill.Result) svg.Chart {
	tl := &timelineBuilder{r: r, end: domainEnd(r), y: tlTop}
	tl.x = svg.Linear{Domain: tl.end, From: tlLeft, Length: tlPlotWidth}
	tl.faults()
	tl.failover()
	tl.backups()
	tl.restores()
	tl.plans()
	tl.otherEvents()
	plotTop := tlTop
	tl.series()
	plotBottom := tl.y
	tl.axis(plotTop, plotBottom)
	tl.objectives(plotTop, plotBottom)
	tl.endOfObservation(plotTop, plotBottom)

	c := svg.Chart{Width: svg.Num(tlWidth), Height: svg.Num(tl.y), Label: "timeline of " + r.Scenario}
	c.Add(tl.back...)
	c.Add(tl.grid...)
	c.Add(tl.mid...)
	c.Add(tl.front...)
	return c
}

// timelineBuilder lays the timeline out top to bottom; y is the next
// free row. Shapes go to back (objective bands), grid, mid (lanes and
// panels) or front (RTO markers), drawn in that order.
type timelineBuilder struct {
	r                      firedrill.Result
	end                    float64 // the domain, in ms from the drill's start
	x                      svg.Linear
	y                      float64
	back, grid, mid, front []svg.Shape
}

// domainEnd is the timeline's span: the drill's duration, stretched to
// whatever the result dates after it (a revert at cleanup, a restore or
// a plan step that ended after the probe stopped).
func domainEnd(r firedrill.Result) float64 {
	end := r.DurationMS
	see := func(ms float64) { end = max(end, ms) }
	for _, e := range r.Events {
		see(e.AtMS + e.SpanMS)
	}
	for _, f := range r.Faults {
		see(f.AtMS + f.SpanMS)
		if f.RevertedMS != nil {
			see(*f.RevertedMS)
		}
		if f.RTOMS != nil {
			see(f.AtMS + *f.RTOMS)
		}
	}
	if s := r.Series; s != nil {
		see(float64(len(s.Buckets)) * s.BucketMS)
		for _, p := range s.Lag {
			see(p.AtMS)
		}
	}
	if d := r.DR; d != nil {
		for _, b := range d.Backups {
			see(b.AtMS + b.SpanMS)
		}
		for _, rs := range d.Restores {
			see(rs.AtMS + rs.SpanMS)
		}
		for _, p := range d.Plans {
			for _, s := range p.Steps {
				see(s.AtMS + s.SpanMS)
			}
		}
	}
	if end <= 0 {
		end = 1000 // nothing dated: an empty second, not a division by zero
	}
	return end
}

// rtoTarget is the rto objective's limit in ms; false when the objective
// is only reported or absent: there is no band to draw.
func rtoTarget(r firedrill.Result) (float64, bool) {
	for _, o := range r.Objectives {
		if o.Name == score.ObjectiveRTO && o.Limit != nil {
			return *o.Limit, true
		}
	}
	return 0, false
}

// lane starts a row of events with its label and returns its middle.
func (tl *timelineBuilder) lane(label, title string) float64 {
	mid := tl.y + laneHeight/2
	s := svg.Text("lbl", 6, mid+4, "start", svg.Clip(label, labelChars))
	s.Title = title
	tl.mid = append(tl.mid, s)
	tl.y += laneHeight
	return mid
}

// span is a bar from ms to ms+span in the lane whose middle is mid, at
// least 2 px wide so that an instant's action shows.
func (tl *timelineBuilder) span(class string, mid, fromMS, spanMS float64, title string) svg.Shape {
	x0, x1 := tl.x.At(fromMS), tl.x.At(fromMS+spanMS)
	return svg.Rect(class, x0, mid-barHeight/2, max(x1-x0, 2), barHeight, title)
}

// faults draws a lane per injection: its span from T to its revert (open
// to the end when it never was), the revert's tick, and its recovery.
func (tl *timelineBuilder) faults() {
	for _, f := range tl.r.Faults {
		what := strings.TrimSpace(f.ID + " " + f.Action + " " + f.Target)
		mid := tl.lane(what, faultTitle(f))
		switch {
		case f.Recovery == firedrill.RecoverySkipped:
			tl.mid = append(tl.mid, svg.Circle("unmeasured", tl.x.At(f.ScheduledMS), mid, 4, what+" skipped at "+human.Millis(f.ScheduledMS)+": "+human.OrDash(f.Error)),
				svg.Text("small", tl.x.At(f.ScheduledMS)+7, mid+4, "start", "skipped"))
			continue
		case !f.Injected:
			tl.mid = append(tl.mid, svg.Diamond("error", tl.x.At(f.ScheduledMS), mid, 5, what+" not injected: "+human.OrDash(f.Error)),
				svg.Text("warn", tl.x.At(f.ScheduledMS)+8, mid+4, "start", "not injected"))
			continue
		}
		switch {
		case f.RevertedMS != nil:
			tl.mid = append(tl.mid, tl.span("fault", mid, f.AtMS, *f.RevertedMS-f.AtMS, faultTitle(f)))
			tl.mid = append(tl.mid, svg.Line("axis", tl.x.At(*f.RevertedMS), mid-barHeight/2-2, tl.x.At(*f.RevertedMS), mid+barHeight/2+2,
				f.ID+" reverted at "+human.Millis(*f.RevertedMS)+revertEvidence(tl.r, f)))
		default:
			// Never reverted (a kill): in effect to the end, drawn
			// lighter and thinner than a fault that was undone.
			open := tl.span("fault-open", mid, f.AtMS, tl.end-f.AtMS, faultTitle(f))
			open.Y, open.H = svg.Num(mid-barHeight/4), svg.Num(barHeight/2)
			tl.mid = append(tl.mid, open)
		}
		tl.recovery(f, mid)
	}
}

// faultTitle is an injection's hover detail.
func faultTitle(f firedrill.FaultResult) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(f.ID + " " + f.Action + " " + f.Target))
	if len(f.Nodes) > 0 {
		b.WriteString(" → " + strings.Join(f.Nodes, ", "))
	}
	if f.Injected {
		b.WriteString(" at " + human.Millis(f.AtMS))
	}
	switch {
	case f.RevertError != "":
		b.WriteString("; revert failed: " + f.RevertError)
	case f.RevertedMS != nil:
		b.WriteString("; reverted at " + human.Millis(*f.RevertedMS))
	case f.Injected:
		b.WriteString("; never reverted")
	}
	if f.Evidence != "" {
		b.WriteString("; evidence: " + f.Evidence)
	}
	if f.Error != "" {
		b.WriteString("; " + f.Error)
	}
	return b.String()
}

// revertEvidence is what showed the first revert of f held (the one
// scored), as a suffix.
func revertEvidence(r firedrill.Result, f firedrill.FaultResult) string {
	for _, e := range r.Events {
		if e.Injection == f.ID && (e.Kind == firedrill.EventFaultReverted || e.Kind == firedrill.EventFaultRevertFailed) {
			if e.Evidence != "" {
				return ": " + e.Evidence
			}
			return ""
		}
	}
	return ""
}

// recovery marks how f's outage ended (docs/measurement.md, "RTO"): the
// measured RTO as a line across the whole chart at T+RTO, green inside
// the target and red past it; never recovered as a red bar to the end;
// unconfirmed as a dashed line where the clean run began. An overlapped
// or no-data injection gets words, never a marker at 0.
func (tl *timelineBuilder) recovery(f firedrill.FaultResult, mid float64) {
	target, hasTarget := rtoTarget(tl.r)
	labelX := func(ms float64) float64 { return min(tl.x.At(ms)+5, tlWidth-tlRight-90) }
	switch f.Recovery {
	case firedrill.RecoveryRecovered:
		if f.RTOMS == nil {
			return
		}
		at := f.AtMS + *f.RTOMS
		class, how := "rto-met", ""
		if hasTarget {
			how = " (target " + human.Millis(target) + ": inside the objective band)"
			if *f.RTOMS > target {
				class, how = "rto-missed", " (target "+human.Millis(target)+": past the objective band)"
			}
		}
		title := f.ID + " recovered: RTO " + human.Millis(*f.RTOMS) + how + ", recovery write acked at " + human.Millis(at)
		tl.front = append(tl.front, svg.Shape{El: "rto", Class: class, X: svg.Num(tl.x.At(at)), Y: svg.Num(mid), Text: "RTO " + human.Millis(*f.RTOMS), Title: title})
	case firedrill.RecoveryNever:
		tl.front = append(tl.front, svg.Rect("never", tl.x.At(f.AtMS), mid+barHeight/2-3, tl.x.At(tl.end)-tl.x.At(f.AtMS), 3,
			f.ID+" never recovered: writes were still failing when observation ended"),
			svg.Text("warn", labelX(f.AtMS), mid-barHeight/2-1, "start", "never recovered"))
	case firedrill.RecoveryUnconfirmed:
		title := f.ID + " RTO unconfirmed: the run ended before the stability window closed"
		if f.PendingMS != nil {
			title = f.ID + " RTO unconfirmed: ok from " + human.Millis(*f.PendingMS) + ", the run ended first"
			tl.front = append(tl.front, svg.Shape{El: "rto", Class: "rto-unsure", X: svg.Num(tl.x.At(*f.PendingMS)), Y: svg.Num(mid), Text: "unconfirmed", Title: title})
			return
		}
		tl.front = append(tl.front, svg.Text("small", labelX(f.AtMS), mid+4, "start", "RTO unconfirmed"))
	case firedrill.RecoveryOverlapped:
		tl.front = append(tl.front, svg.Text("small", labelX(f.AtMS), mid-barHeight/2-1, "start", "overlapped: no RTO of its own"))
	case firedrill.RecoveryNoData:
		tl.front = append(tl.front, svg.Text("small", labelX(f.AtMS), mid-barHeight/2-1, "start", "RTO no data"))
	}
}

// objectives draws, behind everything, each injection's objective band:
// from its T to T + the rto target. An overlapped injection has none: its
// outage is judged on its cause (docs/measurement.md, "Overlap"). The RTO
// markers, which recovery queued with their lane's middle, are given the
// chart's height here.
func (tl *timelineBuilder) objectives(top, bottom float64) {
	if target, ok := rtoTarget(tl.r); ok {
		for _, f := range tl.r.Faults {
			if !f.Injected || f.Recovery == firedrill.RecoveryOverlapped || f.Recovery == firedrill.RecoverySkipped {
				continue
			}
			x0, x1 := tl.x.At(f.AtMS), tl.x.At(f.AtMS+target)
			tl.back = append(tl.back, svg.Rect("band", x0, top, max(x1-x0, 1), bottom-top,
				fmt.Sprintf("%s RTO objective: recovered by %s (T %s + target %s)", f.ID, human.Millis(f.AtMS+target), human.Millis(f.AtMS), human.Millis(target))))
		}
	}
	for i, s := range tl.front {
		if s.El != "rto" {
			continue
		}
		mid := s.Y
		tl.front[i] = svg.Group(s.Title,
			svg.Shape{El: "line", Class: s.Class, X1: s.X, Y1: svg.Num(top), X2: s.X, Y2: svg.Num(bottom)},
			svg.Shape{El: "text", Class: "lbl", X: s.X, Y: mid, Anchor: "end", Text: s.Text + " "},
		)
	}
}

// failover draws the failover manager's lane: detect, fence and promote
// (with its span), an HA stack's demotions, errors, withheld failovers and
// blind periods.
func (tl *timelineBuilder) failover() {
	var evs []firedrill.Event
	for _, e := range tl.r.Events {
		if _, ok := failoverClasses[e.Kind]; ok {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		return
	}
	mid := tl.lane("failover manager", "detect ◆, fence ◆, promote ■, demote ◇, errors, withheld failovers, blind periods")
	for _, e := range evs {
		switch e.Kind {
		case firedrill.EventPromote, firedrill.EventFailoverBlind: // actions that take time
			tl.mid = append(tl.mid, tl.span(failoverClasses[e.Kind], mid, e.AtMS, e.SpanMS, eventTitle(e)))
		default:
			tl.mid = append(tl.mid, svg.Diamond(failoverClasses[e.Kind], tl.x.At(e.AtMS), mid, 6, eventTitle(e)))
		}
	}
}

// failoverClasses are the classes of the failover manager's events.
var failoverClasses = map[firedrill.EventKind]string{
	firedrill.EventDetect: "detect", firedrill.EventFence: "fence", firedrill.EventPromote: "promote",
	firedrill.EventFailoverError: "error", firedrill.EventFailoverWithheld: "withheld", firedrill.EventFailoverBlind: "blind",
	firedrill.EventDemote: "demote", // an HA stack's (dr/stackwatch)
}

// eventTitle is an event's hover detail: when, what, for which
// injection, on which node, its detail and evidence.
func eventTitle(e firedrill.Event) string {
	parts := []string{human.Millis(e.AtMS) + " " + string(e.Kind)}
	if e.SpanMS > 0 {
		parts[0] += " (" + human.Millis(e.SpanMS) + ")"
	}
	if e.Injection != "" {
		parts = append(parts, "injection "+e.Injection)
	}
	if len(e.Nodes) > 0 {
		parts = append(parts, strings.Join(e.Nodes, ", "))
	} else if e.Target != "" {
		parts = append(parts, e.Target)
	}
	if e.Detail != "" {
		parts = append(parts, e.Detail)
	}
	if e.Evidence != "" {
		parts = append(parts, "evidence: "+e.Evidence)
	}
	return strings.Join(parts, " · ")
}

// backups draws one lane of the DR engine's backups: each a span from its
// job's start; a failed one outlined in red.
func (tl *timelineBuilder) backups() {
	if tl.r.DR == nil || len(tl.r.DR.Backups) == 0 {
		return
	}
	mid := tl.lane("backups", fmt.Sprintf("%d backups, %d failed", len(tl.r.DR.Backups), tl.r.DR.BackupsFailed))
	for _, b := range tl.r.DR.Backups {
		title := b.Kind + " backup " + human.OrDash(b.ID) + " at " + human.Millis(b.AtMS) + ", took " + human.Millis(b.SpanMS)
		if b.Error != "" {
			tl.mid = append(tl.mid, tl.span("backup-failed", mid, b.AtMS, b.SpanMS, title+": failed: "+b.Error))
			continue
		}
		if b.SizeBytes > 0 {
			title += ", " + human.Bytes(b.SizeBytes)
		}
		if b.SnapshotMS != nil {
			title += ", snapshot at " + human.Millis(*b.SnapshotMS)
		}
		tl.mid = append(tl.mid, tl.span("backup", mid, b.AtMS, b.SpanMS, title))
	}
	for _, e := range tl.r.Events {
		if e.Kind == firedrill.EventBackupRejected {
			tl.mid = append(tl.mid, svg.Diamond("error", tl.x.At(e.AtMS), mid, 5, eventTitle(e)))
		}
	}
}

// restores draws a lane per restore, its phases side by side; a failed
// restore is outlined in red.
func (tl *timelineBuilder) restores() {
	if tl.r.DR == nil {
		return
	}
	for _, rs := range tl.r.DR.Restores {
		label := "restore " + rs.Kind + " → " + rs.Node
		mid := tl.lane(label, restoreTitle(rs))
		drawn := false
		for _, p := range words.RestorePhaseOrder {
			ph, ok := rs.Phases[p.Key]
			if !ok {
				continue
			}
			drawn = true
			tl.mid = append(tl.mid, tl.span("ph-"+p.Key, mid, ph.AtMS, ph.SpanMS,
				fmt.Sprintf("%s: %s %s, %s–%s", label, p.Label, human.Millis(ph.SpanMS), human.Millis(ph.AtMS), human.Millis(ph.AtMS+ph.SpanMS))))
		}
		if !drawn {
			tl.mid = append(tl.mid, tl.span("ph-restore", mid, rs.AtMS, rs.SpanMS, restoreTitle(rs)))
		}
		if rs.Error != "" {
			tl.mid = append(tl.mid, tl.span("restore-failed", mid, rs.AtMS, rs.SpanMS, restoreTitle(rs)))
		}
		if rs.RecoveryPointMS != nil {
			tl.mid = append(tl.mid, svg.Line("axis", tl.x.At(*rs.RecoveryPointMS), mid-barHeight/2-2, tl.x.At(*rs.RecoveryPointMS), mid+barHeight/2+2,
				label+": recovery point "+human.Millis(*rs.RecoveryPointMS)))
		}
	}
}

// restoreTitle is a restore's hover detail.
func restoreTitle(rs firedrill.RestoreResult) string {
	s := rs.Kind + " restore into " + rs.Node
	if rs.BackupID != "" {
		s += " from backup " + rs.BackupID
	}
	if rs.Target != "" && rs.Target != "latest" {
		s += " to " + rs.Target
	}
	s += " at " + human.Millis(rs.AtMS) + ", took " + human.Millis(rs.SpanMS)
	if rs.Error != "" {
		s += "; failed: " + rs.Error
	}
	if v := rs.Verification; v != nil {
		if v.Verified {
			s += "; verified"
		} else {
			s += "; NOT verified"
		}
		if v.Detail != "" {
			s += ": " + v.Detail
		}
	}
	return s
}

// plans draws a lane per recovery plan: its classification and each
// step, coloured by outcome.
func (tl *timelineBuilder) plans() {
	if tl.r.DR == nil {
		return
	}
	for _, p := range tl.r.DR.Plans {
		label := "plan " + p.Type
		if p.Injection != "" {
			label += " (" + p.Injection + ")"
		}
		state := "done"
		if !p.Done {
			state = "stopped"
		}
		mid := tl.lane(label, fmt.Sprintf("%s failure classified at %s (seen from %s): %s; plan %s", p.Type, human.Millis(p.AtMS), human.Millis(p.SinceMS), p.Why, state))
		tl.mid = append(tl.mid, svg.Diamond("notice", tl.x.At(p.AtMS), mid, 5, "classified "+p.Type+" at "+human.Millis(p.AtMS)+": "+p.Why))
		last := p.AtMS
		for i, s := range p.Steps {
			class := "step-" + s.Outcome
			if s.Outcome != "ok" && s.Outcome != "skipped" && s.Outcome != "failed" {
				class = "step-skipped"
			}
			title := fmt.Sprintf("%d. %s %s in %s at %s", i+1, s.Name, s.Outcome, human.Millis(s.SpanMS), human.Millis(s.AtMS))
			if s.Detail != "" {
				title += ": " + s.Detail
			}
			if s.Evidence != "" {
				title += "; evidence: " + s.Evidence
			}
			tl.mid = append(tl.mid, tl.span(class, mid, s.AtMS, s.SpanMS, title))
			last = max(last, s.AtMS+s.SpanMS)
		}
		if !p.Done {
			tl.mid = append(tl.mid, svg.Text("warn", min(tl.x.At(last)+4, tlWidth-tlRight-50), mid+4, "start", "stopped"))
		}
	}
}

// otherEvents draws a lane for redundancy restored, and one for what else
// happened (an abort, notifications), when there is any.
func (tl *timelineBuilder) otherEvents() {
	var redundancy, other []firedrill.Event
	for _, e := range tl.r.Events {
		switch e.Kind {
		case firedrill.EventRedundancyRestored:
			redundancy = append(redundancy, e)
		case firedrill.EventAbort, firedrill.EventNotifySent, firedrill.EventNotifyFailed:
			other = append(other, e)
		}
	}
	if len(redundancy) > 0 {
		mid := tl.lane("redundancy restored", "every standby streams from the primary again")
		for _, e := range redundancy {
			tl.mid = append(tl.mid, svg.Diamond("redundancy", tl.x.At(e.AtMS), mid, 6, eventTitle(e)))
		}
	}
	if len(other) > 0 {
		mid := tl.lane("drill", "aborts and notifications")
		for _, e := range other {
			class := "notice"
			if e.Kind != firedrill.EventNotifySent {
				class = "error"
			}
			tl.mid = append(tl.mid, svg.Diamond(class, tl.x.At(e.AtMS), mid, 5, eventTitle(e)))
		}
	}
}

// axis draws the time axis under the chart, in seconds, with a grid line
// through every lane and panel at each tick.
func (tl *timelineBuilder) axis(top, bottom float64) {
	step := svg.NiceStep(tl.end, 12)
	y := bottom + 4
	tl.mid = append(tl.mid, svg.Line("axis", tlLeft, y, tlLeft+tlPlotWidth, y, ""))
	for ms := 0.0; ms <= tl.end+step/1000; ms += step {
		x := tl.x.At(ms)
		tl.grid = append(tl.grid, svg.Line("grid", x, top, x, bottom, ""))
		tl.mid = append(tl.mid, svg.Line("axis", x, y, x, y+4, ""), svg.Text("small", x, y+16, "middle", svg.SecondsLabel(ms)))
	}
	tl.mid = append(tl.mid, svg.Text("small", 6, y+16, "start", "seconds since start"))
	tl.y = bottom + axisH
}

// endOfObservation marks the drill's end (drill.end: the probe stopped
// sending) when the chart goes on past it.
func (tl *timelineBuilder) endOfObservation(top, bottom float64) {
	if tl.r.DurationMS <= 0 || tl.r.DurationMS >= tl.end {
		return
	}
	x := tl.x.At(tl.r.DurationMS)
	tl.front = append(tl.front, svg.Line("end", x, top, x, bottom, "end of observation at "+human.Millis(tl.r.DurationMS)+": the probe stopped sending"))
}
