package reports

import (
	"fmt"
	"strings"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/internal/human"
)

// uploads writes the summary's uploads block when uploads were sent: the
// counts, what the read-back found (or why it could not be made), the
// lost ids and the uploads' schedule lag (docs/measurement.md, "Uploads").
func (t *term) uploads(r firedrill.Result) {
	u := r.Uploads
	if u == nil || u.Sent == 0 {
		return
	}
	const indent = "        "
	sent := fmt.Sprintf("%d sent", u.Sent)
	if u.RatePerS > 0 {
		sent += fmt.Sprintf(" at %s/s", trimFloat(u.RatePerS))
	}
	parts := []string{sent, fmt.Sprintf("%d acked", u.OK), fmt.Sprintf("%d failed", u.Failed),
		fmt.Sprintf("%d indeterminate", u.Indeterminate)}
	if u.Lost == nil {
		parts = append(parts, "lost not measured")
	} else {
		lost := fmt.Sprintf("%d lost", *u.Lost)
		if u.WrongContent > 0 {
			lost += fmt.Sprintf(" (%d with other content)", u.WrongContent)
		}
		parts = append(parts, lost, fmt.Sprintf("%d verified", u.Verified), fmt.Sprintf("%d listed", u.Listed))
	}
	t.joined("uploads ", parts)
	if u.ReadBackError != "" {
		t.wrappedPainted(ansiYellow, indent+"read-back: ", indent+"  ", u.ReadBackError)
	}
	if u.Lost != nil && *u.Lost > 0 && len(u.LostIDs) > 0 {
		ids := u.LostIDs[:min(len(u.LostIDs), maxTermLostIDs)]
		label := fmt.Sprintf("lost ids (%d): ", *u.Lost)
		if *u.Lost > len(ids) {
			label = fmt.Sprintf("lost ids (first %d of %d): ", len(ids), *u.Lost)
		}
		t.wrapped(indent+label, indent+"  ", strings.Join(ids, " "))
	}
	if l := u.ScheduleLag; l != nil {
		t.joined(indent, []string{"schedule lag p50 " + human.Millis(l.P50MS), "p99 " + human.Millis(l.P99MS), "max " + human.Millis(l.MaxMS)})
	}
}
