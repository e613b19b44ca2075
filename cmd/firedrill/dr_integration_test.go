//go:build integration

package main

// The DR engine's built-in scenarios against real containers: backups on a
// schedule, restores from them, and the recovery plans that make them
// (docs/architecture.md, "The DR engine" and "Recovery plans";
// docs/measurement.md, "Backups and restores"). Every bound checked here is
// one the scenario itself defines (its backup interval, its outage),
// never a wall-clock expectation of speed.

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/firedrill/firedrill"
)

// runDR runs a DR drill that must pass, logs its DR section, faults and
// objectives (the figures a failure is read from), and checks that nothing
// of it is left behind when the test ends.
func runDR(t *testing.T, drill string) (*drillRun, firedrill.Result) {
	t.Helper()
	d := runFiredrill(t, "run", drill)
	res := readResult(t, d.out)
	t.Cleanup(func() { assertNothingLeft(t, res.RunID) })
	for name, v := range map[string]any{"dr": res.DR, "faults": res.Faults, "objectives": res.Objectives, "uploads": res.Uploads} {
		b, _ := json.Marshal(v)
		t.Logf("result.json %s: %s", name, b)
	}
	if d.code != 0 || res.Verdict != firedrill.VerdictPass {
		t.Fatalf("exit %d verdict %s, want 0 pass (reasons %v)", d.code, res.Verdict, res.Reasons)
	}
	if res.DR == nil {
		t.Fatal("result.json has no dr section")
	}
	return d, res
}

// restoresOf returns the drill's restores of one kind.
func restoresOf(res firedrill.Result, kind string) []firedrill.RestoreResult {
	var out []firedrill.RestoreResult
	for _, r := range res.DR.Restores {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// oneRestore is the drill's only restore of a kind, which must have
// succeeded; a database restore must also have been verified against the
// ledger.
func oneRestore(t *testing.T, res firedrill.Result, kind string) firedrill.RestoreResult {
	t.Helper()
	rs := restoresOf(res, kind)
	if len(rs) != 1 {
		t.Fatalf("%d %s restores, want 1: %+v", len(rs), kind, res.DR.Restores)
	}
	r := rs[0]
	if r.Error != "" || r.RecoveryPointMS == nil {
		t.Fatalf("the %s restore into %s: error %q, recovery point %v", kind, r.Node, r.Error, r.RecoveryPointMS)
	}
	if kind != "files" && (r.Verification == nil || !r.Verification.Verified) {
		t.Fatalf("the %s restore into %s is not verified: %+v", kind, r.Node, r.Verification)
	}
	return r
}

// backupOf is the backup a restore names.
func backupOf(t *testing.T, res firedrill.Result, r firedrill.RestoreResult) firedrill.BackupResult {
	t.Helper()
	for _, b := range res.DR.Backups {
		if b.ID == r.BackupID && b.Kind == r.Kind {
			if b.Error != "" || b.SnapshotMS == nil {
				t.Fatalf("the restored backup %s: error %q, snapshot %v", b.ID, b.Error, b.SnapshotMS)
			}
			return b
		}
	}
	t.Fatalf("the %s restore names backup %q, which is not among the backups %+v", r.Kind, r.BackupID, res.DR.Backups)
	return firedrill.BackupResult{}
}

// ackedOps returns the ledger's acknowledged operations of one stream:
// the uploads (firedrill.OpKindUpload) or the writes ("write").
func ackedOps(ops []firedrill.Op, uploads bool) []firedrill.Op {
	var out []firedrill.Op
	for _, op := range ops {
		if op.Outcome == firedrill.OutcomeOK && op.Kind != "read" && (op.Kind == firedrill.OpKindUpload) == uploads {
			out = append(out, op)
		}
	}
	return out
}

// lostSet is the ids a result lists as lost; the list must be complete
// (not capped) for the checks that use it to mean anything.
func lostSet(t *testing.T, what string, lost *int, ids []string) map[string]bool {
	t.Helper()
	if lost == nil {
		t.Fatalf("%s: lost is null (no read-back)", what)
	}
	if len(ids) != *lost {
		t.Fatalf("%s: %d lost, %d ids listed: the list is capped, the check cannot be made", what, *lost, len(ids))
	}
	set := map[string]bool{}
	for _, id := range ids {
		set[id] = true
	}
	return set
}

// checkLostAfterPoint: of the acknowledged ops, none acknowledged at or
// before the recovery point (ms on the drill's clock) is lost, and every
// lost one was acknowledged after it (docs/measurement.md, "Backups and
// restores", "Verification"). It returns how many were lost.
func checkLostAfterPoint(t *testing.T, what string, acked []firedrill.Op, lost map[string]bool, pointMS float64) int {
	t.Helper()
	known := map[string]bool{}
	before := 0
	for _, op := range acked {
		known[op.ID] = true
		ack := firedrill.Millis(op.Done)
		if ack <= pointMS {
			before++
			if lost[op.ID] {
				t.Errorf("%s %s acknowledged at %.1fms, at or before the recovery point %.1fms, is lost", what, op.ID, ack, pointMS)
			}
		}
	}
	for id := range lost {
		if !known[id] {
			t.Errorf("%s %s is lost but is no acknowledged op of the ledger", what, id)
		}
	}
	if before == 0 {
		t.Errorf("no %s was acknowledged before the recovery point %.1fms: the check shows nothing", what, pointMS)
	}
	t.Logf("%s: %d acknowledged, %d at or before the recovery point %.1fms, %d lost (all after it)", what, len(acked), before, pointMS, len(lost))
	return len(lost)
}

// checkPlansDone: the drill ran at least one recovery plan, each of them
// done, every step ok or (when allowSkipped) skipped.
func checkPlansDone(t *testing.T, res firedrill.Result, allowSkipped bool) {
	t.Helper()
	if len(res.DR.Plans) == 0 {
		t.Fatal("no recovery plan ran")
	}
	for _, p := range res.DR.Plans {
		if !p.Done || len(p.Steps) == 0 {
			t.Errorf("the %s plan (%s): done %v, %d steps", p.Type, p.Why, p.Done, len(p.Steps))
		}
		for _, s := range p.Steps {
			if s.Outcome != "ok" && !(allowSkipped && s.Outcome == "skipped") {
				t.Errorf("the %s plan's step %s: %s (%s)", p.Type, s.Name, s.Outcome, s.Detail)
			}
		}
	}
}

// checkLogicalRestore is the check of a drill that loses its whole
// database and restores the newest logical backup: one logical restore,
// verified; no write acknowledged at or before the restored backup's
// snapshot is lost, every lost one was acknowledged after it, and at least
// one was lost (a restore that loses nothing restored no backup). It
// returns the restore and the backup it restored.
func checkLogicalRestore(t *testing.T, d *drillRun, res firedrill.Result) (firedrill.RestoreResult, firedrill.BackupResult) {
	t.Helper()
	r := oneRestore(t, res, "logical")
	b := backupOf(t, res, r)
	// A logical backup's recovery point is its snapshot.
	if diff := *r.RecoveryPointMS - *b.SnapshotMS; diff < -1 || diff > 1 {
		t.Errorf("the restore's recovery point %.1fms is not its backup's snapshot %.1fms", *r.RecoveryPointMS, *b.SnapshotMS)
	}
	lost := lostSet(t, "writes", res.Writes.Lost, res.Writes.LostIDs)
	if n := checkLostAfterPoint(t, "write", ackedOps(readLedger(t, d.out), false), lost, *b.SnapshotMS); n == 0 {
		t.Errorf("no write was lost: the restore of backup %s (snapshot %.1fms) restored no backup", b.ID, *b.SnapshotMS)
	}
	t.Logf("restored backup %s (at %.0fms, span %.0fms, snapshot %.0fms) into %s; %s", b.ID, b.AtMS, b.SpanMS, *b.SnapshotMS, r.Node, r.Verification.Detail)
	return r, b
}

// backup-restore: primary and replica killed at once, the newest logical
// backup restored into a fresh primary, the replica re-seeded.
func TestIntegrationDRBackupRestore(t *testing.T) {
	const every = 10000.0 // the scenario's dr.backups[0].every, in ms
	d, res := runDR(t, "backup-restore")
	if n := len(res.DR.Restores); n != 1 {
		t.Fatalf("%d restores, want exactly one: %+v", n, res.DR.Restores)
	}
	_, b := checkLogicalRestore(t, d, res)
	// "The RPO lies between 0 and the backup interval plus the dump's
	// time" (the scenario's description).
	if res.RPOMS == nil || *res.RPOMS <= 0 || *res.RPOMS > every+b.SpanMS {
		t.Errorf("RPO %v ms, want in (0, %.0f]: the interval %.0fms plus the dump's %.0fms", res.RPOMS, every+b.SpanMS, every, b.SpanMS)
	}
	if len(res.Faults) != 1 {
		t.Fatalf("%d faults, want 1", len(res.Faults))
	}
	if _, ok := res.Faults[0].Phases[firedrill.PhaseFullRedundancy]; !ok {
		t.Errorf("no %s phase: %v", firedrill.PhaseFullRedundancy, res.Faults[0].Phases)
	}
	checkPlansDone(t, res, false)
}

// pitr: a DROP TABLE, and a point-in-time restore to just before it
// (dr.recovery.target before-fault: the instant of the injection).
func TestIntegrationDRPointInTime(t *testing.T) {
	d, res := runDR(t, "pitr")
	r := oneRestore(t, res, "physical")
	if r.Target == "" {
		t.Fatalf("the physical restore has no recovery target: %+v", r)
	}
	if len(res.Faults) != 1 || res.Faults[0].Action != "sql" {
		t.Fatalf("faults %+v, want the sql fault alone", res.Faults)
	}
	target := res.Faults[0].AtMS
	// The last transaction replayed committed before the target.
	if *r.RecoveryPointMS > target+1 {
		t.Errorf("recovery point %.1fms is after the target %.1fms", *r.RecoveryPointMS, target)
	}
	lost := lostSet(t, "writes", res.Writes.Lost, res.Writes.LostIDs)
	acked := ackedOps(readLedger(t, d.out), false)
	// No write acknowledged before the target is lost.
	checkLostAfterPoint(t, "write", acked, lost, target)
	// None sent after it, and acknowledged before the restore began (by
	// the database that was lost), is present.
	after := 0
	for _, op := range acked {
		if sent := firedrill.Millis(op.Sent); sent > target && firedrill.Millis(op.Done) <= r.AtMS {
			after++
			if !lost[op.ID] {
				t.Errorf("write %s sent at %.1fms, after the target %.1fms, and acknowledged before the restore, is present", op.ID, sent, target)
			}
		}
	}
	// The promotion (the replay's end) came before every write the
	// restored database acknowledged, and the first write counts from it.
	replay, ok := r.Phases["replay"]
	if !ok {
		t.Fatalf("no replay phase: %+v", r.Phases)
	}
	promoted := replay.AtMS + replay.SpanMS
	for _, op := range acked {
		if done := firedrill.Millis(op.Done); firedrill.Millis(op.Sent) >= r.AtMS && done < promoted {
			t.Errorf("write %s acknowledged at %.1fms by the restored database, before its promotion at %.1fms", op.ID, done, promoted)
		}
	}
	if fw, ok := r.Phases["first_write"]; !ok || math.Abs(fw.AtMS-promoted) > 0.01 {
		t.Errorf("first write %+v, want it counted from the promotion at %.1fms", fw, promoted)
	}
	t.Logf("target %q (fault at %.1fms), recovery point %.1fms, %d writes acknowledged after the target before the restore; promoted at %.1fms; %s",
		r.Target, target, *r.RecoveryPointMS, after, promoted, r.Verification.Detail)
	checkPlansDone(t, res, true)
}

// complete-failure: every Postgres node and the app lost; the database
// and the uploads come back from their backups.
func TestIntegrationDRCompleteFailure(t *testing.T) {
	d, res := runDR(t, "complete-failure")
	oneRestore(t, res, "logical")
	files := oneRestore(t, res, "files")
	u := res.Uploads
	if u == nil || u.OK == 0 || u.ReadBackError != "" {
		t.Fatalf("uploads %+v, want acknowledged uploads read back", u)
	}
	lost := lostSet(t, "uploads", u.Lost, u.LostIDs)
	// Uploads lost are only those acknowledged after the files backup's
	// point (docs/measurement.md, "Uploads").
	checkLostAfterPoint(t, "upload", ackedOps(readLedger(t, d.out), true), lost, *files.RecoveryPointMS)
	checkPlansDone(t, res, true)
	t.Logf("files restore of %s into %s at %.0fms, point %.0fms; uploads %d ok, %d lost; writes lost %v",
		files.BackupID, files.Node, files.AtMS, *files.RecoveryPointMS, u.OK, *u.Lost, *res.Writes.Lost)
}

// storage-outage: the storage refuses every request for 20s while logical
// backups (every 5s) and WAL archiving (archive_timeout 1s) run.
func TestIntegrationDRStorageOutage(t *testing.T) {
	// The scenario's fault's for and its archive_timeout, in ms; margin
	// is the measurement's slack (a reading's interval, the clocks).
	const outage, archiveTimeout, margin = 20000.0, 1000.0, 2000.0
	_, res := runDR(t, "storage-outage")
	if len(res.Faults) != 1 || res.Faults[0].Action != "s3-outage" || res.Faults[0].RevertedMS == nil {
		t.Fatalf("faults %+v, want the s3-outage, reverted", res.Faults)
	}
	f := res.Faults[0]
	from, to := f.AtMS, *f.RevertedMS
	failed := 0
	for _, e := range res.Events {
		if e.Kind == firedrill.EventBackupFailed && e.AtMS >= from && e.AtMS <= to {
			failed++
		}
	}
	if failed == 0 || res.DR.BackupsFailed == 0 {
		t.Errorf("%d backup.failed events between %.0fms and %.0fms (backups_failed %d), want some", failed, from, to, res.DR.BackupsFailed)
	}
	resumed := 0
	for _, b := range res.DR.Backups {
		if b.Kind == "logical" && b.Error == "" && b.AtMS >= to {
			resumed++
		}
	}
	if resumed == 0 {
		t.Errorf("no logical backup succeeded after the revert at %.0fms: %+v", to, res.DR.Backups)
	}
	a := res.DR.Archive
	if a == nil {
		t.Fatal("no archive section")
	}
	if a.ArchiveFailures == 0 || a.MaxExposureMS == nil || *a.MaxExposureMS < outage-archiveTimeout-margin {
		t.Errorf("archive %+v, want failures and a max exposure of at least %.0fms", *a, outage-archiveTimeout-margin)
	}
	// The newest logical backup is at least as old as the outage when the
	// first one after it completes.
	var logical *firedrill.BackupExposure
	for i, e := range res.DR.Exposure {
		if e.Kind == "logical" {
			logical = &res.DR.Exposure[i]
		}
	}
	if logical == nil || logical.MaxAgeMS < outage-margin {
		t.Errorf("logical exposure %+v, want at least %.0fms", logical, outage-margin)
	}
	t.Logf("%d backups failed in the outage, %d logical after it; archive max exposure %.0fms, %d failures; exposure %+v",
		failed, resumed, *a.MaxExposureMS, a.ArchiveFailures, res.DR.Exposure)
}

// seed-sla: the seed material's objectives at drill scale, against the
// loss of the whole database.
func TestIntegrationDRSeedSLA(t *testing.T) {
	_, res := runDR(t, "seed-sla")
	checkPlansDone(t, res, true)
}

// The held-out check: a scenario unlike the built-ins (three
// regions, the replica in another region than the primary, backups every
// 8s, RTO 45s, RPO 12s, the kill by two faults at the same instant) must
// pass, and must lose writes.
func TestIntegrationDRHeldOut(t *testing.T) {
	d, res := runDR(t, "testdata/drills/dr-held-out.yaml")
	if len(res.Faults) != 2 {
		t.Fatalf("%d faults, want 2", len(res.Faults))
	}
	checkLogicalRestore(t, d, res)
	checkPlansDone(t, res, false)
}
