package live

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firedrill/firedrill/reports/internal/human"
)

// RenderOptions say how to draw a snapshot.
type RenderOptions struct {
	// Width is the terminal's width in columns; 0: unknown (nothing is
	// cut). A line wider than Width-1 is cut with "…": never wrapped, so
	// the block's height is what was drawn (and the last column is left
	// free, where some terminals wrap at once).
	Width int
	// Color uses ANSI colours (the block only; never under NO_COLOR).
	Color bool
}

// Line is the plain progress line of s, for CI logs: today's status line
// (docs/reports.md, "Live progress") with the phase, the last second's
// rates, the faults in effect, the manager's state and the next fault.
func Line(s Snapshot, o RenderOptions) string {
	// The offset leads, as on every progress line; while the timeline
	// runs, its total follows it.
	at := fmt.Sprintf("  %6.1fs", s.Elapsed.Seconds())
	if s.sending() {
		at += " / " + span(s.Total)
	}
	parts := []string{header(s, false, false)}
	parts = append(parts, trafficParts(s, false, false)...)
	parts = append(parts, faultParts(s)...)
	parts = append(parts, drParts(s)...)
	return fit(at+"  "+strings.Join(parts, " · "), o.Width)
}

// Block is the status block of s for a terminal: two to four lines, the
// phase and time, the traffic, the faults (then the next one), the
// failover manager and the DR engine.
func Block(s Snapshot, o RenderOptions) []string {
	lines := []string{header(s, o.Color, true)}
	if s.Phase != PhaseStarting {
		lines = append(lines, strings.Join(trafficParts(s, o.Color, true), " · "))
		if f := faultParts(s); len(f) > 0 {
			lines = append(lines, strings.Join(f, " · "))
		}
		if d := drParts(s); len(d) > 0 {
			lines = append(lines, strings.Join(d, " · "))
		}
	}
	for i, l := range lines {
		lines[i] = fit(l, o.Width)
	}
	return lines
}

// offset writes an offset on the timeline, to the tenth of a second as the
// other progress lines do; span a duration to the second, for the clocks
// that tick.
func offset(d time.Duration) string { return human.Duration(d.Round(100 * time.Millisecond)) }
func span(d time.Duration) string   { return human.Duration(d.Truncate(time.Second)) }

// ANSI colours of the block.
const (
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	green  = "\x1b[32m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

func paint(on bool, color, s string) string {
	if !on {
		return s
	}
	return color + s + reset
}

func phaseColor(p Phase) string {
	switch p {
	case PhaseFault:
		return red
	case PhaseRecovering:
		return yellow
	case PhaseBaseline, PhaseRecovered:
		return green
	}
	return bold
}

// sending says whether the workload runs: rates are shown only then.
func (s Snapshot) sending() bool {
	switch s.Phase {
	case PhaseBaseline, PhaseFault, PhaseRecovering, PhaseRecovered:
		return true
	}
	return false
}

// header is the phase and its clock; withTotal puts elapsed / total
// before a phase of the timeline.
func header(s Snapshot, color, withTotal bool) string {
	phase := paint(color, phaseColor(s.Phase), string(s.Phase))
	in := span(s.Elapsed - s.PhaseSince)
	var h string
	switch s.Phase {
	case PhaseStarting:
		h = phase + " " + in
	case PhaseSettling:
		h = fmt.Sprintf("%s %s / %s (timeline of %s done)", phase, in, span(s.Settle), span(s.Total))
	case PhaseReadBack, PhaseTeardown:
		h = phase + " " + in
	case PhaseBaseline:
		h = phase
	default:
		h = fmt.Sprintf("%s since %s", phase, offset(s.PhaseSince))
	}
	if withTotal && s.sending() {
		h = fmt.Sprintf("%s / %s  %s", span(s.Elapsed), span(s.Total), h)
	}
	if s.Abort != "" {
		h += " · " + paint(color, red, "ABORTED: "+s.Abort)
	}
	return h
}

// trafficParts are the workloads' parts: plain, each as today's status
// line writes it, then what finished in the last second; compact (the
// block), the rates first, where a narrow terminal keeps them, then the
// totals, "indet" for indeterminate.
func trafficParts(s Snapshot, color, compact bool) []string {
	one := func(name string, t Traffic, stale bool) string {
		indet := "indeterminate"
		if compact {
			indet = "indet"
		}
		total := counts(t.Total, stale, color, "", indet)
		if t.SentKnown {
			total = fmt.Sprintf("%d sent, %s", t.Sent, total)
		}
		switch {
		case !s.sending():
			return name + " " + total
		case !t.RateKnown && compact:
			return name + " -/s (first second), " + total
		case !t.RateKnown:
			return name + " " + total + " (per second: after the first second)"
		case compact:
			return name + " " + counts(t.PerSecond, stale, color, "/s", indet) + " · " + total
		}
		return name + " " + total + " (last second: " + counts(t.PerSecond, stale, color, "", indet) + ")"
	}
	parts := []string{one("writes", s.Writes, false)}
	if s.Reads != nil {
		parts = append(parts, one("reads", *s.Reads, true))
	}
	if s.Uploads != nil {
		parts = append(parts, one("uploads", *s.Uploads, false))
	}
	return parts
}

// counts writes operations by outcome, failed ones in red; unit follows
// each count ("/s" for a rate).
func counts(c Counts, stale, color bool, unit, indet string) string {
	out := fmt.Sprintf("%d ok%s, ", c.OK, unit)
	if stale {
		out += fmt.Sprintf("%d stale%s, ", c.Stale, unit)
	}
	failed := paint(color && c.Failed > 0, red, fmt.Sprintf("%d failed%s", c.Failed, unit))
	return out + fmt.Sprintf("%s, %d %s%s", failed, c.Indeterminate, indet, unit)
}

// faultParts are the faults in effect (or the latest, when none is) and
// the next one.
func faultParts(s Snapshot) []string {
	var parts []string
	for _, f := range s.Active {
		p := fmt.Sprintf("fault %s %s %s since %s", f.ID, f.Action, f.Target, offset(f.Since))
		if f.Until > 0 {
			p += " until " + offset(f.Until)
		}
		if f.RevertFailed {
			p += " (revert FAILED)"
		}
		parts = append(parts, p)
	}
	if len(s.Active) == 0 && s.Last != nil && s.sending() {
		parts = append(parts, fmt.Sprintf("no fault in effect (last: %s %s %s at %s)", s.Last.ID, s.Last.Action, s.Last.Target, offset(s.Last.Since)))
	}
	if n := s.Next; n != nil {
		when := "due now"
		if n.In > 0 {
			when = "in " + span(n.In+time.Second-1) // rounded up: never "in 0s" before it is due
		}
		parts = append(parts, fmt.Sprintf("next %s %s %s %s", n.ID, n.Action, n.Target, when))
	}
	return parts
}

// drParts are the failover manager's state and the DR engine's plan.
func drParts(s Snapshot) []string {
	var parts []string
	if p := managerText(s.Manager); p != "" {
		parts = append(parts, p)
	}
	d := s.DR
	switch {
	case d.Plan != "":
		p := fmt.Sprintf("recovery: %s plan since %s", d.Plan, offset(d.PlanSince))
		if step := d.Step(); step != "" {
			p += fmt.Sprintf(", step %d/%d %s", d.Done+1, len(d.Steps), step)
		} else {
			p += fmt.Sprintf(", %d steps done", d.Done)
		}
		if d.Restore != "" {
			p += ", restore: " + d.Restore + " finished"
		}
		parts = append(parts, p)
	case d.LastPlan != "":
		parts = append(parts, "recovery: "+d.LastPlan)
	}
	if d.Backups+d.BackupsFailed > 0 {
		p := fmt.Sprintf("backups %d", d.Backups)
		if d.BackupsFailed > 0 {
			p += fmt.Sprintf(" (%d failed)", d.BackupsFailed)
		}
		parts = append(parts, p)
	}
	return parts
}

func managerText(m Manager) string {
	var p string
	switch m.State {
	case ManagerDisabled:
		return "failover manager disabled"
	case ManagerStarting:
		p = "failover manager starting"
	case ManagerWatching:
		p = "failover manager watching " + m.Primary
		if m.Promotions > 0 {
			p += fmt.Sprintf(" (promoted at %s)", offset(m.Since))
		}
		if m.Failing > 0 {
			p += fmt.Sprintf(": %d of %d checks failed", m.Failing, m.FailingOf)
		}
	case ManagerStoodDown:
		p = "failover manager stood down for the recovery plan since " + offset(m.Since)
	case ManagerPromoting:
		p = fmt.Sprintf("failover manager promoting a standby (%s fenced) since %s", m.Primary, offset(m.Since))
		if m.Stack != "" {
			p = fmt.Sprintf("failover manager promoting a standby (%s lost the lead) since %s", m.Primary, offset(m.Since))
		}
	case ManagerWithheld:
		p = fmt.Sprintf("failover manager withheld a failover of %s since %s", m.Primary, offset(m.Since))
	case ManagerFailed:
		p = fmt.Sprintf("failover manager: a failover of %s failed at %s (it retries)", m.Primary, offset(m.Since))
	default:
		p = fmt.Sprintf("failover manager %s %s since %s", m.State, m.Primary, offset(m.Since))
	}
	if m.Stack != "" {
		p = strings.Replace(p, "failover manager", m.Stack, 1)
	}
	if m.BlindNow {
		p += fmt.Sprintf(" (blind since %s: no health verdict)", offset(m.BlindSince))
	} else if m.BlindSpan > 0 {
		p += fmt.Sprintf(" (blind %s for %s)", offset(m.BlindAt), offset(m.BlindSpan))
	}
	return p
}

// fit cuts s to width-1 visible columns with "…", skipping ANSI escape
// sequences (which take no column) and closing a colour it cut. Every rune
// is taken as one column: the lines are ASCII but for "·" and "…".
func fit(s string, width int) string {
	if width <= 1 {
		return s
	}
	limit := width - 1
	if visible(s) <= limit {
		return s
	}
	var b strings.Builder
	cols := 0
	for i := 0; i < len(s); {
		if n := escapeLen(s[i:]); n > 0 {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		if cols == limit-1 {
			break
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		b.WriteString(s[i : i+n])
		i += n
		cols++
	}
	b.WriteString("…")
	if strings.Contains(s, "\x1b[") {
		b.WriteString(reset)
	}
	return b.String()
}

// visible counts the columns of s.
func visible(s string) int {
	cols := 0
	for i := 0; i < len(s); {
		if n := escapeLen(s[i:]); n > 0 {
			i += n
			continue
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
		cols++
	}
	return cols
}

// escapeLen is the length of the CSI sequence s starts with, 0 if none.
func escapeLen(s string) int {
	if !strings.HasPrefix(s, "\x1b[") {
		return 0
	}
	for i := 2; i < len(s); i++ {
		if c := s[i]; c >= 0x40 && c <= 0x7e {
			return i + 1
		}
	}
	return len(s)
}
