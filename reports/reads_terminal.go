package reports

import (
	"fmt"
	"strings"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/internal/human"
)

// reads writes the summary's reads block when reads ran: the counts, the
// key age, the reads' schedule lag and who served them before the first
// injection (each injection's block says who served them after it).
func (t *term) reads(r firedrill.Result) {
	rs := r.Reads
	if rs == nil {
		return
	}
	const indent = "        "
	sent := fmt.Sprintf("%d sent", rs.Sent)
	if rs.RatePerS > 0 {
		sent += fmt.Sprintf(" at %s/s", trimFloat(rs.RatePerS))
	}
	parts := []string{sent, fmt.Sprintf("%d ok", rs.OK), fmt.Sprintf("%d stale", rs.Stale),
		fmt.Sprintf("%d failed", rs.Failed), fmt.Sprintf("%d indeterminate", rs.Indeterminate)}
	if rs.StaleOnPrimary > 0 {
		parts = append(parts, fmt.Sprintf("%d stale on a primary", rs.StaleOnPrimary))
	}
	if rs.Keyless > 0 {
		parts = append(parts, fmt.Sprintf("%d keyless", rs.Keyless))
	}
	parts = append(parts, "keys acked "+human.Millis(rs.KeyAgeMS)+" before")
	t.joined("reads   ", parts)
	if l := rs.ScheduleLag; l != nil {
		t.joined(indent, []string{"schedule lag p50 " + human.Millis(l.P50MS), "p99 " + human.Millis(l.P99MS), "max " + human.Millis(l.MaxMS)})
	}
	for _, p := range rs.Phases {
		if p.Injection == "" {
			t.readPhase(indent, "before the faults served by ", p)
		}
	}
}

// readPhase writes who served a phase's reads: each node with its role,
// its ok and stale reads and when it served them, then the unanswered.
func (t *term) readPhase(indent, label string, p firedrill.ReadPhase) {
	var parts []string
	for i, s := range p.Servers {
		who := human.OrDash(s.Node)
		if s.Role != "" {
			who += " (" + s.Role + ")"
		}
		n := fmt.Sprintf("%d ok", s.OK)
		if s.Stale > 0 {
			n += fmt.Sprintf(", %d stale", s.Stale)
		}
		when := human.Millis(s.FirstMS) + "–" + human.Millis(s.LastMS)
		if s.FirstMS == s.LastMS {
			when = "at " + human.Millis(s.FirstMS)
		}
		part := who + " " + n + " " + when
		if i == 0 {
			part = label + part
		}
		parts = append(parts, part)
	}
	if p.Unanswered > 0 {
		parts = append(parts, fmt.Sprintf("%d unanswered", p.Unanswered))
	}
	if len(parts) == 0 {
		parts = []string{"no reads sent"}
		if label != "" {
			parts[0] = strings.TrimSuffix(label, " served by ") + ": no reads sent"
		}
	}
	t.joined(indent, parts)
}

// faultReads writes an injection's read outage and who served the reads
// from its T on, when reads ran.
func (t *term) faultReads(r firedrill.Result, f firedrill.FaultResult) {
	fr := f.Reads
	if fr == nil {
		return
	}
	var when []string
	if fr.StoppedMS != nil {
		when = append(when, "stopped at "+human.Millis(*fr.StoppedMS))
	}
	if fr.BackMS != nil {
		when = append(when, "back at "+human.Millis(*fr.BackMS))
	}
	note := ""
	if len(when) > 0 {
		note = " (" + strings.Join(when, ", ") + ")"
	}
	t.recovery(faultIndent, recoveryWords{prefix: "reads ", op: "read", overlapped: "reads: no RTO of their own"},
		fr.Recovery, fr.RTOMS, fr.PendingMS, note)
	if fr.Overlap != "" {
		t.wrapped(faultIndent+"reads overlap: ", faultIndent+"  ", fr.Overlap)
	}
	if r.Reads == nil {
		return
	}
	for _, p := range r.Reads.Phases {
		if p.Injection == f.ID {
			t.readPhase(faultIndent, "reads served by ", p)
		}
	}
}
