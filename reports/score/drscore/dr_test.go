package drscore

import (
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

func msp(v float64) *float64 { return &v }

// writesEvery makes n ok writes, one every step from start, each
// acknowledged 5ms after it was sent.
func writesEvery(n int, start, step time.Duration) []firedrill.Op {
	var ops []firedrill.Op
	for i := range n {
		sent := start + time.Duration(i)*step
		ops = append(ops, firedrill.Op{ID: string(rune('a'+i%26)) + strings.Repeat("x", i/26), Kind: "write", Sent: sent, Done: sent + 5*time.Millisecond, Outcome: firedrill.OutcomeOK})
	}
	return ops
}

func TestRestoreVerification(t *testing.T) {
	// 40 writes, one every 100ms from 0: the backup's snapshot at 2s, the
	// database lost at 3s, the restore from 3.5s.
	ops := writesEvery(40, 0, 100*time.Millisecond)
	point, began := 2000.0, 3500.0
	back := func(keep func(op firedrill.Op) bool) map[string]bool {
		m := map[string]bool{}
		for _, op := range ops {
			if keep(op) {
				m[op.ID] = true
			}
		}
		return m
	}
	restore := func() *firedrill.DRResult {
		return &firedrill.DRResult{Restores: []firedrill.RestoreResult{{Kind: "logical", Node: "pg-primary", AtMS: began,
			RecoveryPointMS: msp(point), Amcheck: "164 indexes checked, none corrupt", AmcheckOK: true}}}
	}
	// Writes after the restore (Sent >= 3.5s) are back: they went to the
	// restored database.
	after := func(op firedrill.Op) bool { return op.Sent >= 3500*time.Millisecond }

	t.Run("exactly the writes after the snapshot are gone", func(t *testing.T) {
		res := firedrill.Result{Verdict: firedrill.VerdictPass}
		d := restore()
		DR(&res, d, ops, back(func(op firedrill.Op) bool { return op.Done <= 2*time.Second || after(op) }))
		v := d.Restores[0].Verification
		if v == nil || !v.Verified || v.AckedBefore != 20 || v.LostAfter != 14 || v.MissingBefore != 0 {
			t.Fatalf("verification %+v", v)
		}
		if res.Verdict != firedrill.VerdictPass {
			t.Errorf("verdict %s: %v", res.Verdict, res.Reasons)
		}
	})
	t.Run("a write before the snapshot missing fails the drill", func(t *testing.T) {
		res := firedrill.Result{Verdict: firedrill.VerdictPass}
		d := restore()
		DR(&res, d, ops, back(func(op firedrill.Op) bool {
			return (op.Done <= 2*time.Second && op.Sent != 500*time.Millisecond) || after(op)
		}))
		v := d.Restores[0].Verification
		if v.Verified || v.MissingBefore != 1 || res.Verdict != firedrill.VerdictFail {
			t.Fatalf("verification %+v, verdict %s", v, res.Verdict)
		}
		if !strings.Contains(res.Reasons[0], "failed its verification") {
			t.Errorf("reasons %v", res.Reasons)
		}
	})
	t.Run("a write after the snapshot present: not the backup it names", func(t *testing.T) {
		res := firedrill.Result{Verdict: firedrill.VerdictPass}
		d := restore()
		DR(&res, d, ops, back(func(op firedrill.Op) bool { return op.Done <= 2500*time.Millisecond || after(op) }))
		v := d.Restores[0].Verification
		if v.Verified || v.PresentAfter != 4 || res.Verdict != firedrill.VerdictFail {
			t.Fatalf("verification %+v, verdict %s", v, res.Verdict)
		}
	})
	t.Run("no read-back: inconclusive, never a pass", func(t *testing.T) {
		res := firedrill.Result{Verdict: firedrill.VerdictPass}
		DR(&res, restore(), ops, nil)
		if res.Verdict != firedrill.VerdictInconclusive {
			t.Fatalf("verdict %s", res.Verdict)
		}
	})
	t.Run("amcheck finding corruption fails", func(t *testing.T) {
		res := firedrill.Result{Verdict: firedrill.VerdictPass}
		d := restore()
		d.Restores[0].AmcheckOK, d.Restores[0].Amcheck = false, "1 of 3 indexes corrupt: firedrill_writes_pkey"
		DR(&res, d, ops, back(func(op firedrill.Op) bool { return op.Done <= 2*time.Second || after(op) }))
		if res.Verdict != firedrill.VerdictFail {
			t.Fatalf("verdict %s", res.Verdict)
		}
	})
	t.Run("a plan stopped at a failing step fails", func(t *testing.T) {
		res := firedrill.Result{Verdict: firedrill.VerdictPass}
		DR(&res, &firedrill.DRResult{Plans: []firedrill.PlanResult{{Type: "database", Steps: []firedrill.StepResult{
			{Name: "restore-latest-backup", Outcome: "failed", Detail: "no complete logical backup"}}}}}, ops, map[string]bool{})
		if res.Verdict != firedrill.VerdictFail || !strings.Contains(res.Reasons[0], "stopped at restore-latest-backup") {
			t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
		}
	})
}

func TestBackupExposure(t *testing.T) {
	b := func(at, span, snap float64) firedrill.BackupResult {
		return firedrill.BackupResult{Kind: "logical", AtMS: at, SpanMS: span, SnapshotMS: msp(snap)}
	}
	backups := []firedrill.BackupResult{b(0, 500, 100), b(10000, 500, 10100),
		{Kind: "logical", AtMS: 20000, SpanMS: 100, Error: "storage down"}, b(30000, 500, 30100)}
	got := backupExposure(backups, 35*time.Second)
	// Just before the backup of 30s completed (30.5s), the newest was the
	// one of 10.1s: 20.4s old.
	if len(got) != 1 || got[0].MaxAgeMS != 20400 || got[0].AtMS != 30500 {
		t.Fatalf("exposure %+v", got)
	}
}

func TestArchiveExposure(t *testing.T) {
	s := func(at, exposure time.Duration, archived, failed int64, failing bool) firedrill.ArchiveSample {
		return firedrill.ArchiveSample{At: at, Node: "pg-primary", Exposure: exposure, Known: true, Archived: archived, Failed: failed, Failing: failing}
	}
	sec := time.Second
	a := Archive([]firedrill.ArchiveSample{s(1*sec, 800*time.Millisecond, 10, 0, false), s(2*sec, 5*sec, 11, 3, true),
		s(3*sec, 9*sec, 11, 7, true), s(4*sec, 500*time.Millisecond, 20, 7, false)}, 1, nil)
	if a.MaxExposureMS == nil || *a.MaxExposureMS != 9000 || *a.MaxAtMS != 3000 || a.ArchiveFailures != 7 || a.Archived != 10 || a.FailingReadings != 2 || a.FailedReadings != 1 {
		t.Fatalf("archive %+v", a)
	}
	// A restored node starts its counters again: growth is per node run.
	b := Archive([]firedrill.ArchiveSample{s(1*sec, 0, 10, 0, false), s(2*sec, 0, 15, 0, false), s(3*sec, 0, 2, 0, false), s(4*sec, 0, 6, 0, false)}, 0, nil)
	if b.Archived != 9 {
		t.Errorf("archived %d across a restart, want 5 + 4", b.Archived)
	}
	// Readings of a node that never archived measure no lag: the lag is
	// absent (not measured), not zero.
	unknown := firedrill.ArchiveSample{At: sec, Node: "pg-primary"}
	c := Archive([]firedrill.ArchiveSample{unknown, unknown}, 0, nil)
	if c.MaxExposureMS != nil || c.MeanExposureMS != nil || c.MaxAtMS != nil || c.Unknown != 2 {
		t.Errorf("all readings unknown: %+v, want no lag figures", c)
	}
}
