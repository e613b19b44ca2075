package markdown

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports"
	"github.com/firedrill/firedrill/reports/aggregate"
	"github.com/firedrill/firedrill/reports/internal/human"
	"github.com/firedrill/firedrill/reports/internal/words"
)

func init() {
	reports.Register(reports.Format{Name: "markdown", File: "summary.md",
		Doc: "GitHub-flavoured Markdown for pull requests and $GITHUB_STEP_SUMMARY",
		New: func(o reports.Options) reports.Renderer {
			return reports.RendererFunc(func(w io.Writer, results []firedrill.Result) error {
				return Write(w, results, o.Title)
			})
		}})
}

// Write writes results as Markdown. One result is one drill's report;
// several start with a combined table per scenario (reports/aggregate),
// then each drill's report in a collapsible <details> section. title heads
// a combined report ("firedrill" when empty).
func Write(w io.Writer, results []firedrill.Result, title string) error {
	m := &doc{}
	switch len(results) {
	case 0:
		m.line("_No drill result._")
	case 1:
		m.drill(results[0], "##")
	default:
		m.combined(results, title)
	}
	if _, err := io.WriteString(w, m.b.String()); err != nil {
		return fmt.Errorf("markdown: write: %w", err)
	}
	return nil
}

// doc accumulates the Markdown.
type doc struct{ b strings.Builder }

func (m *doc) line(parts ...string) {
	for _, p := range parts {
		m.b.WriteString(p)
	}
	m.b.WriteByte('\n')
}

// row writes a table row; cells are already escaped.
func (m *doc) row(cells ...string) { m.line("| " + strings.Join(cells, " | ") + " |") }

// table writes a table's header and its separator.
func (m *doc) table(headers ...string) {
	m.row(headers...)
	seps := make([]string, len(headers))
	for i := range seps {
		seps[i] = "---"
	}
	m.row(seps...)
}

// verdictMark is the verdict's emoji and word: "✅ pass".
func verdictMark(v firedrill.Verdict) string {
	_, tone := words.VerdictWord(v)
	return words.Emoji(tone) + " " + string(v)
}

// statusMark is an objective's emoji and status: inconclusive (no data)
// is never shown as a pass nor as a failure.
func statusMark(s firedrill.ObjectiveStatus) string {
	_, tone := words.StatusMark(s)
	return words.Emoji(tone) + " " + strings.ReplaceAll(string(s), "-", " ")
}

// combined writes the table of every scenario's runs, then each drill in
// a <details> section.
func (m *doc) combined(results []firedrill.Result, title string) {
	if title == "" {
		title = "firedrill"
	}
	m.line("## ", Escape(title))
	m.line()
	verdicts := map[firedrill.Verdict]int{}
	for _, r := range results {
		verdicts[r.Verdict]++
	}
	m.line(verdictCounts(verdicts), fmt.Sprintf(" · %d drills", len(results)))
	m.line()
	summaries := aggregate.Summarise(results)
	first := []string{"scenario"}
	if len(aggregate.Managers(summaries)) > 1 {
		first = append(first, "manager") // docs/reports.md, "Game days: repeats, suites and history"
	}
	m.table(append(first, "runs", "verdicts", "RTO p50", "RTO p90", "RTO max", "RPO max", "lost writes max")...)
	for _, s := range summaries {
		names := []string{Escape(s.Scenario), Escape(s.Manager)}[:len(first)]
		m.row(append(names, fmt.Sprint(len(s.Runs)), verdictCounts(s.Verdicts),
			stat(s.RTO, s.RTO.P50, human.Millis), stat(s.RTO, s.RTO.P90, human.Millis), stat(s.RTO, s.RTO.Max, human.Millis),
			stat(s.RPO, s.RPO.Max, human.Millis), stat(s.Lost, s.Lost.Max, count))...)
	}
	m.line()
	m.line("Percentiles by nearest rank over the runs that measured the figure; runs that could not are counted apart (docs/measurement.md, \"Percentiles\").")
	for _, r := range results {
		m.line()
		summary := verdictMark(r.Verdict) + " " + r.Scenario
		if r.RunID != "" {
			summary += " · run " + r.RunID
		}
		m.line("<details><summary>", htmlEscape(summary), "</summary>")
		m.line()
		m.drill(r, "###")
		m.line()
		m.line("</details>")
	}
}

func count(n float64) string { return fmt.Sprint(int64(n)) }

// stat writes one figure of a Stat: never for an RTO that never ended,
// with the runs that did not measure it counted apart.
func stat(s aggregate.Stat, v *aggregate.Value, format func(float64) string) string {
	if v == nil {
		return "not measured"
	}
	out := format(v.MS)
	if v.Never {
		out = "never"
	}
	if s.Unmeasured > 0 {
		out += fmt.Sprintf(" (%d not measured)", s.Unmeasured)
	}
	return out
}

// verdictCounts is "1 ✅ pass · 2 ❌ fail", in a fixed order.
func verdictCounts(n map[firedrill.Verdict]int) string {
	var parts []string
	for _, v := range []firedrill.Verdict{firedrill.VerdictPass, firedrill.VerdictFail, firedrill.VerdictInconclusive} {
		if n[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[v], verdictMark(v)))
		}
	}
	return strings.Join(parts, " · ")
}

// drill writes one drill's report under headings of level h ("##").
func (m *doc) drill(r firedrill.Result, h string) {
	name := Escape(human.OrDash(r.Scenario))
	m.line(h, " ", verdictMark(r.Verdict), ": ", name)
	m.line()
	code := r.Verdict.ExitCode()
	facts := []string{fmt.Sprintf("**%s**, exit %d: %s", r.Verdict, code, words.ExitMeaning(code))}
	if r.RunID != "" {
		facts = append(facts, "run "+Escape(r.RunID))
	}
	if !r.StartedAt.IsZero() {
		facts = append(facts, r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	facts = append(facts, human.Millis(r.DurationMS))
	if !r.FailoverEnabled {
		facts = append(facts, "failover off")
	}
	m.line(strings.Join(facts, " · "))
	if len(r.Reasons) > 0 {
		m.line()
		for _, reason := range r.Reasons {
			m.line("- ", Escape(reason))
		}
	}
	m.objectives(r, h+"#")
	m.faults(r, h+"#")
	m.writes(r, h+"#")
	m.dr(r.DR, h+"#")
	if len(r.Warnings) > 0 {
		m.line()
		m.line(h, "# Warnings")
		m.line()
		for _, w := range r.Warnings {
			m.line("- ⚠️ ", Escape(w))
		}
	}
}

func (m *doc) objectives(r firedrill.Result, h string) {
	m.line()
	m.line(h, " Objectives")
	m.line()
	if len(r.Objectives) == 0 {
		m.line("_No objective was scored._")
		return
	}
	m.table("status", "objective", "target", "measured")
	for _, o := range r.Objectives {
		m.row(statusMark(o.Status), Escape(o.Name), Escape(o.Target), Escape(o.Measured))
	}
}

func (m *doc) faults(r firedrill.Result, h string) {
	if len(r.Faults) == 0 {
		return
	}
	m.line()
	m.line(h, " Faults")
	m.line()
	m.table("id", "action", "target", "RTO", "phases", "lost writes")
	var notes []string
	for _, f := range r.Faults {
		target := f.Target
		if w := words.FaultWhat(f); strings.HasPrefix(w, f.Action+" ") {
			target = strings.TrimPrefix(w, f.Action+" ")
		}
		m.row(Escape(f.ID), Escape(f.Action), Escape(target), Escape(words.FaultRecovery(f)),
			Escape(human.OrDash(strings.Join(words.FaultPhases(f), " → "))), Escape(words.FaultLost(f)))
		if f.Overlap != "" {
			notes = append(notes, f.ID+": "+f.Overlap)
		}
		if f.RevertError != "" {
			notes = append(notes, f.ID+": the revert failed: "+f.RevertError)
		}
	}
	if len(notes) > 0 {
		m.line()
		for _, n := range notes {
			m.line("- ", Escape(n))
		}
	}
}

func (m *doc) writes(r firedrill.Result, h string) {
	ws := r.Writes
	m.line()
	m.line(h, " Writes")
	m.line()
	m.table("acked", "failed", "indeterminate", "lost", "failed but present")
	m.row(fmt.Sprint(ws.Acked), fmt.Sprint(ws.Failed), fmt.Sprint(ws.Indeterminate), words.Count(ws.Lost), words.Count(ws.FailedButPresent))
	m.line()
	facts := []string{fmt.Sprintf("%d attempted", ws.Attempted)}
	if ws.Lost != nil {
		facts = append(facts, fmt.Sprintf("%d verified", ws.Verified))
	}
	if r.ReadFrom != "" {
		facts = append(facts, "read back from "+Escape(r.ReadFrom))
	}
	if r.RPOMS != nil {
		facts = append(facts, "RPO "+human.Millis(*r.RPOMS))
	} else {
		facts = append(facts, "RPO not measured")
	}
	if u := r.Uploads; u != nil {
		facts = append(facts, fmt.Sprintf("uploads: %d sent, %d ok, lost %s", u.Sent, u.OK, words.Count(u.Lost)))
	}
	if rd := r.Reads; rd != nil {
		facts = append(facts, fmt.Sprintf("reads: %d sent, %d ok, %d stale, %d failed", rd.Sent, rd.OK, rd.Stale, rd.Failed))
	}
	m.line(strings.Join(facts, " · "))
}

// dr writes the backups, per kind, and each restore with its phases and
// its verification (docs/measurement.md, "Backups and restores").
func (m *doc) dr(d *firedrill.DRResult, h string) {
	if d == nil || len(d.Backups) == 0 && len(d.Restores) == 0 && d.BackupsFailed == 0 {
		return
	}
	m.line()
	m.line(h, " Backups and restores")
	if len(d.Backups) > 0 || d.BackupsFailed > 0 {
		m.line()
		m.table("kind", "taken", "failed", "newest", "longest")
		for _, kind := range backupKinds(d.Backups) {
			taken, failed, newest, longest := 0, 0, "-", 0.0
			for _, b := range d.Backups {
				switch {
				case b.Kind != kind:
				case b.Error != "":
					failed++
				default:
					taken++
					newest = human.Bytes(b.SizeBytes) + " at " + human.Millis(b.AtMS)
					longest = max(longest, b.SpanMS)
				}
			}
			longestText := "-"
			if taken > 0 {
				longestText = human.Millis(longest)
			}
			m.row(Escape(kind), fmt.Sprint(taken), fmt.Sprint(failed), newest, longestText)
		}
		m.line()
		seen := map[string]bool{} // the first failure of each kind says why
		for _, b := range d.Backups {
			if b.Error != "" && !seen[b.Kind] {
				seen[b.Kind] = true
				m.line("- ", Escape(b.Kind+" backup at "+human.Millis(b.AtMS)+" failed: "+b.Error))
			}
		}
		if d.BackupsFailed > 0 {
			m.line(fmt.Sprintf("- scheduled backups that did not complete: %d (their events say why)", d.BackupsFailed))
		}
	}
	if len(d.Restores) == 0 {
		return
	}
	m.line()
	m.table("restore", "into", "backup", "took", "phases", "verification")
	for _, r := range d.Restores {
		backup := human.OrDash(r.BackupID)
		if r.Target != "" && r.Target != "latest" {
			backup += " to " + r.Target
		}
		m.row(Escape(r.Kind), Escape(r.Node), Escape(backup), human.Millis(r.SpanMS),
			Escape(human.OrDash(strings.Join(words.RestorePhases(r), " → "))), Escape(restoreVerdict(r)))
	}
}

// backupKinds are the kinds of the backups, in the order they first
// appear.
func backupKinds(backups []firedrill.BackupResult) []string {
	var kinds []string
	for _, b := range backups {
		if !slices.Contains(kinds, b.Kind) {
			kinds = append(kinds, b.Kind)
		}
	}
	return kinds
}

// restoreVerdict says whether a restore failed, was verified against the
// ledger, and what amcheck said.
func restoreVerdict(r firedrill.RestoreResult) string {
	var parts []string
	if r.Error != "" {
		parts = append(parts, "❌ failed: "+r.Error)
	}
	switch v := r.Verification; {
	case v == nil:
		if r.Error == "" {
			parts = append(parts, "not verified against the ledger")
		}
	case v.Verified:
		parts = append(parts, "✅ verified: "+human.OrDash(v.Detail))
	default:
		parts = append(parts, "❌ NOT verified: "+human.OrDash(v.Detail))
	}
	if r.Amcheck != "" {
		mark := "⚠️"
		if r.AmcheckOK {
			mark = "✅"
		}
		parts = append(parts, mark+" amcheck: "+r.Amcheck)
	}
	for _, rej := range r.Rejected {
		parts = append(parts, "rejected (failed verification, not restored): "+rej)
	}
	return strings.Join(parts, "; ")
}
