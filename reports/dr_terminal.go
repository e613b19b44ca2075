package reports

import (
	"fmt"
	"strings"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/internal/human"
	"github.com/firedrill/firedrill/reports/internal/words"
)

// dr writes the DR engine's block of the summary: the backups taken per
// kind, each restore with its phases and verification, each recovery plan
// with its steps (docs/measurement.md, "Backups and restores").
func (t *term) dr(d *firedrill.DRResult) {
	if d == nil {
		return
	}
	t.backups(d)
	for _, e := range d.Exposure {
		t.wrapped("        ", "          ", fmt.Sprintf("exposure: the newest %s backup was at worst %s old (at %s): a restore then would have lost that much",
			e.Kind, human.Millis(e.MaxAgeMS), human.Millis(e.AtMS)))
	}
	if a := d.Archive; a != nil {
		parts := []string{fmt.Sprintf("%d readings", a.Readings)}
		if a.MaxExposureMS != nil {
			parts = append(parts, "lag max "+human.Millis(*a.MaxExposureMS)+" at "+human.Millis(*a.MaxAtMS), "mean "+human.Millis(*a.MeanExposureMS))
		} else {
			parts = append(parts, t.paint(ansiYellow, "lag not measured"))
		}
		parts = append(parts, fmt.Sprintf("%d files archived", a.Archived))
		if a.ArchiveFailures > 0 {
			parts = append(parts, t.paint(ansiYellow, fmt.Sprintf("%d failed attempts", a.ArchiveFailures)))
		}
		if a.FailedReadings > 0 {
			parts = append(parts, fmt.Sprintf("%d readings failed", a.FailedReadings))
		}
		if a.Unknown > 0 {
			parts = append(parts, fmt.Sprintf("%d before anything was archived", a.Unknown))
		}
		t.joined("WAL     ", parts)
	}
	for _, r := range d.Restores {
		t.restore(r)
	}
	for _, p := range d.Plans {
		t.plan(p)
	}
}

func (t *term) backups(d *firedrill.DRResult) {
	type kindStats struct {
		ok, failed int
		last       *firedrill.BackupResult
		maxSpan    float64
	}
	var order []string
	stats := map[string]*kindStats{}
	for i := range d.Backups {
		b := &d.Backups[i]
		s, ok := stats[b.Kind]
		if !ok {
			s = &kindStats{}
			stats[b.Kind] = s
			order = append(order, b.Kind)
		}
		if b.Error != "" {
			s.failed++
			continue
		}
		s.ok++
		s.last = b
		s.maxSpan = max(s.maxSpan, b.SpanMS)
	}
	for _, k := range order {
		s := stats[k]
		parts := []string{fmt.Sprintf("%d %s taken", s.ok, k)}
		if s.last != nil {
			parts = append(parts, "newest "+human.Bytes(s.last.SizeBytes)+" at "+human.Millis(s.last.AtMS), "longest "+human.Millis(s.maxSpan))
		}
		if s.failed > 0 {
			parts = append(parts, t.paint(ansiYellow, fmt.Sprintf("%d failed", s.failed)))
		}
		t.joined("backups ", parts)
	}
	// The first failure of each kind says why.
	seen := map[string]bool{}
	for _, b := range d.Backups {
		if b.Error != "" && !seen[b.Kind] {
			seen[b.Kind] = true
			t.wrappedPainted(ansiYellow, "        "+b.Kind+" backup at "+human.Millis(b.AtMS)+" failed: ", "          ", b.Error)
		}
	}
}

func (t *term) restore(r firedrill.RestoreResult) {
	t.line("")
	what := r.Kind + " restore into " + r.Node
	if r.BackupID != "" {
		what += " from backup " + r.BackupID
	}
	if r.Target != "" && r.Target != "latest" {
		what += " to " + r.Target
	}
	t.wrapped("restore ", "        ", what+" at "+human.Millis(r.AtMS)+", took "+human.Millis(r.SpanMS))
	var phases []string
	for _, p := range words.RestorePhaseOrder {
		if ph, ok := r.Phases[p.Key]; ok {
			phases = append(phases, p.Label+" "+human.Millis(ph.SpanMS))
		}
	}
	if len(phases) > 0 {
		t.joined("        ", phases)
	}
	for _, rej := range r.Rejected {
		t.wrappedPainted(ansiYellow, "        rejected (failed verification, not restored): ", "          ", rej)
	}
	if r.RecoveryPointMS != nil {
		t.line("        recovery point " + human.Millis(*r.RecoveryPointMS) + " into the drill")
	}
	if r.Amcheck != "" {
		color := ansiYellow
		if r.AmcheckOK {
			color = ""
		}
		t.wrappedPainted(color, "        amcheck: ", "          ", r.Amcheck)
	}
	if v := r.Verification; v != nil {
		if v.Verified {
			t.wrapped("        verified: ", "          ", v.Detail)
		} else {
			t.wrappedPainted(ansiRed, "        NOT verified: ", "          ", v.Detail)
		}
	}
	if r.Error != "" {
		t.wrappedPainted(ansiRed, "        failed: ", "          ", r.Error)
	}
}

func (t *term) plan(p firedrill.PlanResult) {
	t.line("")
	state := "done"
	if !p.Done {
		state = t.paint(ansiRed, "stopped")
	}
	t.wrapped("plan    ", "        ", fmt.Sprintf("%s failure classified at %s (seen from %s): %s; plan %s", p.Type, human.Millis(p.AtMS), human.Millis(p.SinceMS), p.Why, state))
	for i, s := range p.Steps {
		line := fmt.Sprintf("%d. %s %s in %s", i+1, s.Name, s.Outcome, human.Millis(s.SpanMS))
		if s.Detail != "" {
			line += ": " + s.Detail
		}
		color := ""
		if s.Outcome == "failed" {
			color = ansiRed
		}
		t.wrappedPainted(color, "        "+strings.Repeat(" ", 0), "           ", line)
	}
}
