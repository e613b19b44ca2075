package reports

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/internal/human"
	"github.com/firedrill/firedrill/reports/internal/words"
	"github.com/firedrill/firedrill/reports/score"
)

// TerminalOptions tune WriteTerminal.
type TerminalOptions struct {
	// Color adds ANSI colours (green met, red missed, yellow no data). Set
	// it only when the output is a terminal and NO_COLOR is unset.
	Color bool
}

// termWidth is the width the summary is laid out for.
const termWidth = 80

// maxTermLostIDs is how many lost ids the summary lists.
const maxTermLostIDs = 10

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// WriteTerminal writes the end-of-run summary of r for a person: a header
// (scenario, run id, duration), the writes (with the failed writes found at
// read-back and the node read from), the reads when they ran (counts, key
// age, their schedule lag, who served them before the faults), the uploads
// when they were sent (counts, read-back, lost ids), the probe's
// schedule lag and the
// failover manager's health-check phase, the abort condition that stopped
// the drill early, one block per injection (id, action, nodes, evidence,
// phases, RTO, the read RTO and who served the reads after it, loss,
// revert and its evidence, overlap note; a skipped one with why), the
// failover manager's withheld failovers and blind periods, one
// line per objective (✓ met, ✗ missed, ? no data, • reported) with the
// target and the measured value, the lost ids, a split brain warning, and
// the verdict with its exit code, reasons and warnings. It fits 80 columns: an
// evidence longer than maxEvidenceLines is cut, and the summary says that
// result.json has it in full.
func WriteTerminal(w io.Writer, r firedrill.Result, opts TerminalOptions) error {
	t := &term{color: opts.Color}

	// Header.
	head := []string{"firedrill", human.OrDash(r.Scenario)}
	if r.RunID != "" {
		head = append(head, "run "+r.RunID)
	}
	head = append(head, human.Millis(r.DurationMS))
	if !r.FailoverEnabled {
		head = append(head, "failover off")
	}
	t.line(t.paint(ansiBold, strings.Join(head, " · ")))

	// Writes.
	ws := r.Writes
	attempted := fmt.Sprintf("%d attempted", ws.Attempted)
	if r.WriteRate > 0 {
		attempted += fmt.Sprintf(" at %s/s", trimFloat(r.WriteRate))
	}
	parts := []string{attempted, fmt.Sprintf("%d acked", ws.Acked),
		fmt.Sprintf("%d failed", ws.Failed), fmt.Sprintf("%d indeterminate", ws.Indeterminate)}
	if ws.Lost == nil {
		parts = append(parts, "lost not measured")
	} else {
		parts = append(parts, fmt.Sprintf("%d lost", *ws.Lost), fmt.Sprintf("%d verified", ws.Verified))
	}
	if n := ws.FailedButPresent; n != nil && *n > 0 {
		parts = append(parts, fmt.Sprintf("%d failed but present", *n))
	}
	if r.ReadFrom != "" {
		parts = append(parts, "read from "+r.ReadFrom)
	}
	t.joined("writes  ", parts)
	t.reads(r)
	t.uploads(r)
	if l := r.ScheduleLag; l != nil {
		t.joined("probe   ", []string{"schedule lag p50 " + human.Millis(l.P50MS), "p99 " + human.Millis(l.P99MS), "max " + human.Millis(l.MaxMS)})
	}
	if r.HealthCheckPhaseMS != nil {
		t.line("manager health-check phase " + human.Millis(*r.HealthCheckPhaseMS))
	}

	if a := r.Abort; a != nil {
		t.wrappedPainted(ansiRed, "aborted at "+human.Millis(a.AtMS)+": ", "  ", a.Detail)
	}

	// Faults.
	for _, f := range r.Faults {
		t.line("")
		t.fault(r, f)
	}

	if t.evidenceCut {
		t.line("")
		t.line("… evidence cut short: result.json has it in full")
	}

	// The failover manager's withheld failovers and blind periods.
	t.managerHeld(r.Events)

	// Replication lag and RPO exposure (replication_terminal.go).
	if r.Replication != nil {
		t.line("")
		t.replication(r.Replication)
	}

	// Backups, restores and recovery plans (dr_terminal.go).
	if r.DR != nil {
		t.line("")
		t.dr(r.DR)
	}

	// Objectives.
	t.line("")
	t.line(t.paint(ansiBold, "objectives"))
	nameW, targetW := 0, 0
	for _, o := range r.Objectives {
		nameW = max(nameW, utf8.RuneCountInString(o.Name))
		targetW = max(targetW, utf8.RuneCountInString(o.Target))
	}
	for _, o := range r.Objectives {
		mark, color := statusMark(o.Status)
		dots := strings.Repeat(".", nameW-utf8.RuneCountInString(o.Name)+3)
		target := o.Target + strings.Repeat(" ", targetW-utf8.RuneCountInString(o.Target))
		t.line(fmt.Sprintf("  %s %s %s %s  %s", t.paint(color, mark), o.Name, dots, target, o.Measured))
	}

	// Lost ids and split brain.
	if ws.Lost != nil && *ws.Lost > 0 && len(ws.LostIDs) > 0 {
		ids := ws.LostIDs[:min(len(ws.LostIDs), maxTermLostIDs)]
		label := fmt.Sprintf("lost ids (%d): ", *ws.Lost)
		if *ws.Lost > len(ids) {
			label = fmt.Sprintf("lost ids (first %d of %d): ", len(ids), *ws.Lost)
		}
		t.line("")
		t.wrapped(label, strings.Repeat(" ", 2), strings.Join(ids, " "))
	}
	if r.SplitBrain {
		detail := "two nodes acknowledged writes at the same time"
		for _, o := range r.Objectives {
			if o.Name == score.ObjectiveSplitBrain && o.Detail != "" {
				detail = o.Detail
			}
		}
		t.line("")
		t.wrappedPainted(ansiRed, "⚠ split brain: ", "  ", detail)
	}

	// Verdict.
	t.line("")
	word, color := verdictWord(r.Verdict)
	counts := words.StatusCounts(r.Objectives)
	code := r.Verdict.ExitCode()
	counts = append(counts, fmt.Sprintf("exit %d", code))
	t.line(t.paint(ansiBold+color, word) + strings.Join(append([]string{""}, counts...), " · "))
	for _, reason := range r.Reasons {
		t.wrapped("  - ", "    ", reason)
	}
	for _, warning := range r.Warnings {
		t.wrappedPainted(ansiYellow, "  ! warning: ", "    ", warning)
	}
	_, err := io.WriteString(w, t.b.String())
	return err
}

// faultIndent indents the lines of an injection's block under its id.
const faultIndent = "    "

// fault writes one injection's block: id, action, target and nodes, when
// it took effect; its evidence, phases, RTO, revert and overlap note.
func (t *term) fault(r firedrill.Result, f firedrill.FaultResult) {
	const indent = faultIndent
	what := strings.TrimSpace(f.Action + " " + f.Target)
	if f.Recovery == firedrill.RecoverySkipped {
		t.line(f.ID + "  " + what + "  skipped at " + human.Millis(f.ScheduledMS))
		if f.Error != "" {
			t.wrapped(indent, indent, f.Error)
		}
		return
	}
	if !f.Injected {
		t.line(f.ID + "  " + what + "  " + t.paint(ansiYellow, "not injected"))
		if f.Error != "" {
			t.wrapped(indent, indent, f.Error)
		}
		return
	}
	if len(f.Nodes) > 0 && (len(f.Nodes) > 1 || f.Nodes[0] != f.Target) {
		what += " → " + strings.Join(f.Nodes, ", ")
	}
	at := " at " + human.Millis(f.AtMS)
	if f.ResolveMS != nil {
		at += " (resolved in " + human.Millis(*f.ResolveMS) + ")"
	}
	t.wrapped(f.ID+"  ", indent, what+at)
	t.evidence(indent+"evidence: ", f.Evidence)

	phases := words.FaultPhases(f)
	if len(phases) > 0 {
		t.joined(indent, phases)
	}

	// Failover errors charged to this injection.
	for _, e := range r.Events {
		if e.Kind == firedrill.EventFailoverError && e.Injection == f.ID {
			t.wrappedPainted(ansiYellow, indent+"failover error at "+human.Millis(e.AtMS-f.AtMS)+": ", indent+"  ", human.OrDash(e.Detail))
		}
	}

	var res []string
	if r.WriteRate > 0 {
		res = append(res, "write every "+human.Duration(time.Duration(float64(time.Second)/r.WriteRate)))
	}
	res = append(res, "stable for "+human.Millis(r.StabilityMS))
	note := " (" + strings.Join(res, ", ") + ")"
	t.recovery(indent, recoveryWords{op: "write", overlapped: "no RTO of its own"}, f.Recovery, f.RTOMS, f.PendingMS, note)
	t.faultReads(r, f)

	var more []string
	if f.Lost != nil && *f.Lost > 0 {
		more = append(more, fmt.Sprintf("lost %d", *f.Lost))
		if f.RPOMS != nil {
			more = append(more, "RPO "+human.Millis(*f.RPOMS))
		}
	}
	switch {
	case f.RevertError != "":
		more = append(more, "revert failed")
	case f.RevertedMS != nil:
		more = append(more, "reverted at "+human.Millis(*f.RevertedMS))
	}
	if len(more) > 0 {
		t.joined(indent, more)
	}
	if f.RevertError != "" {
		t.wrapped(indent+"revert: ", indent+"  ", f.RevertError)
	}
	for _, e := range r.Events {
		if e.Injection == f.ID && (e.Kind == firedrill.EventFaultReverted || e.Kind == firedrill.EventFaultRevertFailed) {
			t.evidence(indent+"revert evidence: ", e.Evidence)
			break // the first revert is the one scored
		}
	}
	if f.Overlap != "" {
		t.wrapped(indent+"overlap: ", indent+"  ", f.Overlap)
	}
}

// maxEvidenceLines is how many lines one piece of evidence may take in
// the summary.
const maxEvidenceLines = 3

// evidence writes what showed a fault's effect or its revert after prefix,
// its whitespace collapsed, word-wrapped under it in at most
// maxEvidenceLines lines. Longer evidence is cut at a word and ends in
// "…"; the summary then says once, after the faults, that result.json has
// it in full. Nothing when empty.
func (t *term) evidence(prefix, text string) {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return
	}
	next := strings.Repeat(" ", utf8.RuneCountInString(prefix)-len(strings.TrimLeft(prefix, " "))+2)
	lines := wrapWords(prefix, next, text, termWidth-1) // room for the "…"
	if len(lines) > maxEvidenceLines {
		lines = lines[:maxEvidenceLines]
		lines[len(lines)-1] += "…"
		t.evidenceCut = true
	}
	for _, l := range lines {
		if r := []rune(l); len(r) > termWidth { // one word wider than the line
			l = string(r[:termWidth-1]) + "…"
			t.evidenceCut = true
		}
		t.line(l)
	}
}

// managerHeld writes, in time order, each time the failover manager held
// back (docs/measurement.md, "Events"): a failover.withheld (the primary
// failed its checks but no standby was reachable from the vantage point
// either) and a failover.blind period (no health verdict from it). The
// scorer charges neither; they say why the manager did not act.
func (t *term) managerHeld(events []firedrill.Event) {
	first := true
	for _, e := range events {
		var label string
		switch e.Kind {
		case firedrill.EventFailoverWithheld:
			label = "manager withheld a failover at " + human.Millis(e.AtMS) + ": "
		case firedrill.EventFailoverBlind:
			label = "manager blind " + human.Millis(e.AtMS) + "–" + human.Millis(e.AtMS+e.SpanMS) + ": "
		default:
			continue
		}
		if first {
			t.line("")
			first = false
		}
		t.wrappedPainted(ansiYellow, label, "  ", human.OrDash(e.Detail))
	}
}

// toneColor is the ANSI colour of a mark's tone.
func toneColor(t words.Tone) string {
	switch t {
	case words.Good:
		return ansiGreen
	case words.Bad:
		return ansiRed
	case words.Unsure:
		return ansiYellow
	}
	return ""
}

func statusMark(s firedrill.ObjectiveStatus) (mark, color string) {
	mark, tone := words.StatusMark(s)
	return mark, toneColor(tone)
}

func verdictWord(v firedrill.Verdict) (word, color string) {
	word, tone := words.VerdictWord(v)
	return word, toneColor(tone)
}

// trimFloat writes 50 as "50" and 12.5 as "12.5".
func trimFloat(f float64) string {
	s := fmt.Sprintf("%.2f", f)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

// term accumulates the summary.
type term struct {
	b     strings.Builder
	color bool
	// evidenceCut is set once an evidence line was cut to fit.
	evidenceCut bool
}

func (t *term) line(s string) {
	t.b.WriteString(s)
	t.b.WriteByte('\n')
}

func (t *term) paint(code, s string) string {
	if !t.color || code == "" {
		return s
	}
	return code + s + ansiReset
}

// joined writes parts separated by " · " after prefix, wrapping at the
// terminal width; continuation lines are indented as wide as prefix.
func (t *term) joined(prefix string, parts []string) {
	indent := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	cur := prefix
	curLen := utf8.RuneCountInString(prefix)
	fresh := true
	for i, p := range parts {
		sep := ""
		if !fresh {
			sep = " · "
		}
		tail := 0
		if i < len(parts)-1 {
			tail = 2 // room for " ·" if the next part wraps
		}
		if !fresh && curLen+utf8.RuneCountInString(sep+p)+tail > termWidth {
			t.line(cur + " ·")
			cur, curLen, sep = indent, len(indent), ""
		}
		cur += sep + p
		curLen += utf8.RuneCountInString(sep + p)
		fresh = false
	}
	t.line(cur)
}

// wrapped writes text word-wrapped at the terminal width, the first line
// after first, the others after next.
func (t *term) wrapped(first, next, text string) {
	for _, l := range wrapWords(first, next, text, termWidth) {
		t.line(l)
	}
}

// wrappedPainted is wrapped with the first prefix painted.
func (t *term) wrappedPainted(color, first, next, text string) {
	lines := wrapWords(first, next, text, termWidth)
	if len(lines) > 0 && t.color {
		trimmed := strings.TrimLeft(first, " ")
		lead := first[:len(first)-len(trimmed)]
		lines[0] = lead + t.paint(color, strings.TrimRight(trimmed, " ")) +
			strings.Repeat(" ", len(trimmed)-len(strings.TrimRight(trimmed, " "))) + lines[0][len(first):]
	}
	for _, l := range lines {
		t.line(l)
	}
}

func wrapWords(first, next, text string, width int) []string {
	var lines []string
	cur := first
	curLen := utf8.RuneCountInString(first)
	empty := true
	for _, word := range strings.Fields(text) {
		wl := utf8.RuneCountInString(word)
		if !empty && curLen+1+wl > width {
			lines = append(lines, cur)
			cur, curLen, empty = next, utf8.RuneCountInString(next), true
		}
		if !empty {
			cur += " "
			curLen++
		}
		cur += word
		curLen += wl
		empty = false
	}
	return append(lines, cur)
}

// recoveryWords name one kind of operation's recovery in the summary:
// prefix starts every line ("reads " for reads, "" for writes), op is the
// operation, overlapped the line of an RTO given to another fault.
type recoveryWords struct{ prefix, op, overlapped string }

// recovery writes the line of an RTO by its recovery state, the same
// for writes and reads (docs/measurement.md, "RTO"); note follows a
// measured or never-ending one.
func (t *term) recovery(indent string, w recoveryWords, rec firedrill.Recovery, rtoMS, pendingMS *float64, note string) {
	switch rec {
	case firedrill.RecoveryNoData:
		t.line(indent + t.paint(ansiYellow, w.prefix+"RTO no data") + ": no " + w.op + " was sent after the injection")
	case firedrill.RecoveryRecovered:
		t.line(indent + t.paint(ansiBold, w.prefix+"RTO "+human.Millis(*rtoMS)) + note)
	case firedrill.RecoveryNever:
		t.line(indent + t.paint(ansiRed, w.prefix+"never recovered") + note)
	case firedrill.RecoveryUnconfirmed:
		from := ""
		if pendingMS != nil {
			from = ": ok from " + human.Millis(*pendingMS) + ", the run ended first"
		}
		t.line(indent + t.paint(ansiYellow, w.prefix+"RTO unconfirmed") + from)
	case firedrill.RecoveryOverlapped:
		t.line(indent + t.paint(ansiYellow, w.overlapped))
	}
}
