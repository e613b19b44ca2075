//go:build integration

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

// The built-in network-partition: the primary is cut off from the app
// only (the harness and the replica still reach it). The manager, judging
// from the app's side, fails over; the old primary is fenced before the
// promotion, so no two primaries acknowledge writes over the same period.
func TestIntegrationNetworkPartitionFailsOver(t *testing.T) {
	d := runFiredrill(t, "run", "network-partition")
	res := readResult(t, d.out)
	defer assertNothingLeft(t, res.RunID)
	if d.code != 0 || res.Verdict != firedrill.VerdictPass {
		t.Fatalf("exit %d verdict %s, want 0 pass (reasons %v)", d.code, res.Verdict, res.Reasons)
	}
	if len(res.Faults) != 1 || !res.Faults[0].Injected || res.Faults[0].RTOMS == nil {
		t.Fatalf("faults %+v, want one injected, recovered partition", res.Faults)
	}
	f := res.Faults[0]
	if !strings.Contains(f.Evidence, "pg-primary cut off") {
		t.Errorf("evidence %q does not show the cut", f.Evidence)
	}
	detects, fences, promotes := eventsOf(res, firedrill.EventDetect), eventsOf(res, firedrill.EventFence), eventsOf(res, firedrill.EventPromote)
	if len(detects) != 1 || len(fences) != 1 || len(promotes) != 1 {
		t.Fatalf("detect %v fence %v promote %v: want one failover", detects, fences, promotes)
	}
	if !strings.Contains(detects[0].Detail, "from app") || detects[0].Target != "pg-primary" || promotes[0].Target != "pg-replica1" {
		t.Errorf("detect %+v, promote %+v: want pg-primary judged from app, pg-replica1 promoted", detects[0], promotes[0])
	}
	if !(fences[0].At <= promotes[0].At) || fences[0].Target != "pg-primary" {
		t.Errorf("fence %+v, promote %+v: the old primary must be fenced before the promotion", fences[0], promotes[0])
	}
	if res.SplitBrain || res.Writes.Lost == nil || *res.Writes.Lost != 0 || res.ReadFrom != "pg-replica1" {
		t.Errorf("split brain %v, lost %v, read from %q: want none, 0, pg-replica1", res.SplitBrain, res.Writes.Lost, res.ReadFrom)
	}
	// No two primaries acknowledge over the same period, and the old one's
	// last ack comes before the fence.
	if lastOld := assertOnePrimaryAtATime(t, readLedger(t, d.out), "pg-primary", "pg-replica1"); !(lastOld <= fences[0].At) {
		t.Errorf("last ack of pg-primary at %s, after the fence at %s", lastOld, fences[0].At)
	}
	t.Logf("RTO %.0f ms, phases %v", *f.RTOMS, f.Phases)
}

// The app alone is cut off from everything for a few seconds: nothing is
// reachable from it, so the manager does not fail over and says why; the
// writes come back once the cut heals, and nothing is lost.
func TestIntegrationAppCutOffCausesNoFailover(t *testing.T) {
	d := runFiredrill(t, "run", "testdata/drills/app-cut-off.yaml")
	res := readResult(t, d.out)
	defer assertNothingLeft(t, res.RunID)
	if d.code != 0 || res.Verdict != firedrill.VerdictPass {
		t.Fatalf("exit %d verdict %s, want 0 pass (reasons %v)", d.code, res.Verdict, res.Reasons)
	}
	for _, k := range []firedrill.EventKind{firedrill.EventDetect, firedrill.EventFence, firedrill.EventPromote, firedrill.EventFailoverError} {
		if evs := eventsOf(res, k); len(evs) != 0 {
			t.Errorf("%s events %+v: the manager acted on a cut-off app", k, evs)
		}
	}
	withheld := eventsOf(res, firedrill.EventFailoverWithheld)
	if len(withheld) != 1 || !strings.Contains(withheld[0].Detail, "no standby is reachable") {
		t.Errorf("withheld %+v, want one saying nothing is reachable from app", withheld)
	}
	if b := eventsOf(res, firedrill.EventFailoverBlind); len(b) != 0 {
		t.Errorf("blind %+v: the watcher must survive a cut of its namespace", b)
	}
	f := res.Faults[0]
	if f.RTOMS == nil || f.RevertedMS == nil {
		t.Fatalf("fault %+v, want recovered and reverted", f)
	}
	// Writes cannot succeed while the app is cut off: the outage lasts at
	// least until the cut heals.
	if *f.RTOMS < *f.RevertedMS-f.AtMS {
		t.Errorf("RTO %.0f ms, shorter than the cut (%.0f ms)", *f.RTOMS, *f.RevertedMS-f.AtMS)
	}
	if res.ReadFrom != "pg-primary" || res.Writes.Lost == nil || *res.Writes.Lost != 0 {
		t.Errorf("read from %q, lost %v: want pg-primary, 0", res.ReadFrom, res.Writes.Lost)
	}
	t.Logf("RTO %.0f ms for a cut of %.0f ms", *f.RTOMS, *f.RevertedMS-f.AtMS)
}

// assertOnePrimaryAtATime checks, from the ledger, that no two primaries
// acknowledged writes over the same period: every ack of the old primary
// ends before any write acknowledged by the new one was sent, and no other
// node acknowledged anything. It returns the old primary's last ack.
func assertOnePrimaryAtATime(t *testing.T, ops []firedrill.Op, old, new string) time.Duration {
	t.Helper()
	var lastOld, firstNewSent time.Duration = -1, -1
	for _, op := range ops {
		if op.Kind != "write" && op.Kind != "" || op.Outcome != firedrill.OutcomeOK {
			continue
		}
		switch op.Node {
		case old:
			lastOld = max(lastOld, op.Done)
		case new:
			if firstNewSent < 0 || op.Sent < firstNewSent {
				firstNewSent = op.Sent
			}
		default:
			t.Errorf("write %s acknowledged by %q", op.ID, op.Node)
		}
	}
	if lastOld < 0 || firstNewSent < 0 || !(lastOld < firstNewSent) {
		t.Errorf("last ack of %s at %s, first write acked by %s sent at %s: the periods overlap", old, lastOld, new, firstNewSent)
	}
	return lastOld
}
