//go:build integration

package main

import (
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
)

// A drill with uploads and no fault: every upload the app acknowledged is
// read back from its uploads volume with the content sent, none is lost,
// and the lost_writes objective says so. With nothing injected the rto
// objective has nothing to judge, so the drill is inconclusive for that
// reason alone (docs/measurement.md, "Inconclusive or fail").
func TestIntegrationUploadsReadBack(t *testing.T) {
	d := runFiredrill(t, "run", "testdata/drills/short-uploads.yaml")
	res := readResult(t, d.out)
	t.Cleanup(func() { assertNothingLeft(t, res.RunID) })
	if d.code != firedrill.ExitInconclusive || len(res.Reasons) != 1 || !strings.Contains(res.Reasons[0], "no fault was injected") {
		t.Fatalf("exit %d, reasons %q; want 3 for the missing fault alone", d.code, res.Reasons)
	}
	u := res.Uploads
	if u == nil || u.Sent < 50 || u.OK != u.Sent || u.Lost == nil || *u.Lost != 0 || u.Verified != u.OK || u.Listed != u.OK || u.ReadBackError != "" {
		t.Fatalf("uploads %+v; want about 60 sent, every one acknowledged, listed and verified", u)
	}
	var uploads int
	for _, op := range readLedger(t, d.out) {
		if op.Kind == firedrill.OpKindUpload {
			uploads++
			if op.Outcome != firedrill.OutcomeOK || op.Node != "app" {
				t.Errorf("upload %s: %s by %q", op.ID, op.Outcome, op.Node)
			}
		}
	}
	if uploads != u.Sent {
		t.Errorf("the ledger has %d uploads, the result %d", uploads, u.Sent)
	}
	for _, o := range res.Objectives {
		if o.Name == "lost_writes" && (o.Status != firedrill.StatusMet || !strings.Contains(o.Detail, "acknowledged uploads read back from the app, 0 lost")) {
			t.Errorf("lost_writes %s %q; want met, with the uploads", o.Status, o.Detail)
		}
	}
	if !strings.Contains(d.stdout.String(), "uploads ") || !strings.Contains(d.stdout.String(), "0 lost") {
		t.Errorf("summary lacks the uploads block:\n%s", d.stdout.String())
	}
	t.Logf("uploads %+v, writes %d acked", *u, res.Writes.Acked)
}
