package recovery

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr/jobs"
	"github.com/firedrill/firedrill/dr/store"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

var restoreKinds = []firedrill.EventKind{firedrill.EventBackupRejected, firedrill.EventRestoreDownload, firedrill.EventRestoreRestore,
	firedrill.EventRestoreReplay, firedrill.EventRestoreDone, firedrill.EventRestoreFailed, firedrill.EventRestoreFirstWrite}

// phase is a job's phase that took d on the fake clock, as the job
// reports it when it ends.
func phase(name, id string, d time.Duration) string {
	start := time.Now()
	time.Sleep(d)
	return reportLine(jobs.Report{Type: jobs.TypePhase, Phase: name, Start: start, End: time.Now(), BackupID: id, Bytes: 1000})
}

// upAgain brings the replaced primary back.
func upAgain(c *fakeCluster) { c.down[topology.NodePrimary], c.primary = false, topology.NodePrimary }

// phasesOf lists a restore's phases as "name@at+span".
func phasesOf(r Restore) []string {
	var out []string
	for _, p := range r.Phases {
		out = append(out, p.Name+"@"+p.At.String()+"+"+p.Span.String())
	}
	return out
}

// amcheckFinds is an amcheck job that checks n indexes and finds none
// corrupt.
func amcheckFinds(n int) func(context.Context, []string, func(string)) error {
	return func(_ context.Context, _ []string, print func(string)) error {
		print(reportLine(jobs.Report{Type: jobs.TypeResult, Amcheck: &jobs.Amcheck{Indexes: n}}))
		return nil
	}
}

// ok adds, at the fake instant at, a write sent at sent and acknowledged
// at done.
func ok(at, sent, done time.Duration, ledger *firedrill.Ledger) {
	time.AfterFunc(at, func() { ledger.Add(firedrill.Op{Kind: "write", Sent: sent, Done: done, Outcome: firedrill.OutcomeOK}) })
}

// A logical restore into a fresh node: each phase the job reports is an
// event on the drill's clock, a rejected backup is recorded, the recovery
// point is the restored backup's snapshot, and the first write sent after
// the restore closes it (docs/measurement.md, "Backups and restores").
func TestLogicalRestore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(0, scenarios.Recovery{Database: []string{scenarios.StepRestoreLatestBackup}}, scenarios.BackupLogical)
		r.c.at(5500*time.Millisecond, losePrimary)
		var got Replacement
		r.rb.postgres = func(_ context.Context, node string, repl Replacement) error {
			got = repl
			time.Sleep(2 * s) // a fresh container, its empty database
			repl.OnLine("LOG:  database system is ready to accept connections")
			repl.OnLine(reportLine(jobs.Report{Type: jobs.TypeRejected, BackupID: "b2", Detail: "sha256 mismatch"}))
			repl.OnLine(phase(jobs.PhaseDownload, "b1", s))
			repl.OnLine(phase(jobs.PhaseRestore, "b1", 3*s))
			repl.OnLine(reportLine(jobs.Report{Type: jobs.TypeResult, BackupID: "b1", Amcheck: &jobs.Amcheck{Indexes: 4},
				Manifest: &store.Manifest{ID: "b1", Kind: store.KindLogical, SnapshotTime: r.tl.Start().Add(3 * s).Round(0)}}))
			r.c.set(upAgain)
			return nil
		}
		ok(14500*time.Millisecond, 13500*time.Millisecond, 14500*time.Millisecond, r.ops) // sent before the restore was done
		ok(15200*time.Millisecond, 15*s, 15200*time.Millisecond, r.ops)
		e := r.run(t, 20*s)

		// In the order of their instants: restore.done spans the restore.
		wantEvents(t, events(r.tl, restoreKinds...),
			"restore.done@8s+6s: logical restore into pg-primary done",
			"backup.rejected@10s: logical backup b2 failed verification and was not restored: sha256 mismatch",
			"restore.download@10s+1s: download of logical backup b1",
			"restore.restore@11s+3s: restore of logical backup b1",
			"restore.first_write@14s+1.2s: first write acknowledged after the restore")
		wantEvents(t, events(r.tl, firedrill.EventRecoveryStep), "recovery.step@8s+6s: restore-latest-backup: ok — restored logical backup b1 into pg-primary")
		if !slices.Equal(got.InitDB, []string{"restore", "logical", "--dsn-socket"}) || got.BeforeStart != nil {
			t.Errorf("replacement %+v, want the logical restore as the init script", got)
		}
		rs := e.Restores()
		if len(rs) != 1 {
			t.Fatalf("Restores() = %+v", rs)
		}
		rec := rs[0]
		if want := []string{"provision@8s+2s", "download@10s+1s", "restore@11s+3s", "first_write@14s+1.2s"}; !slices.Equal(phasesOf(rec), want) {
			t.Errorf("phases %v, want %v", phasesOf(rec), want)
		}
		if rec.Kind != store.KindLogical || rec.Node != topology.NodePrimary || rec.At != 8*s || rec.Span != 6*s || rec.Manifest == nil ||
			rec.Manifest.ID != "b1" || !slices.Equal(rec.Rejected, []string{"b2: sha256 mismatch"}) || rec.Err != "" {
			t.Errorf("restore %+v", rec)
		}
		if !rec.HasRecoveryPoint || rec.RecoveryPoint != 3*s || !rec.HasFirstWrite || rec.FirstWrite != 15200*time.Millisecond {
			t.Errorf("recovery point %v (%v), first write %v (%v): want 3s and 15.2s", rec.RecoveryPoint, rec.HasRecoveryPoint, rec.FirstWrite, rec.HasFirstWrite)
		}
		if rec.Amcheck == nil || rec.Amcheck.Indexes != 4 || len(r.rt.execs) != 0 {
			t.Errorf("amcheck %+v, jobs %v: want the restore job's own, no amcheck job", rec.Amcheck, r.rt.execs)
		}
		if want := "logical backup b1 (0 B, sha256 , snapshot at 3s); 1 newer backup(s) rejected: b2: sha256 mismatch; recovery point 3s; amcheck: 4 indexes checked, none corrupt"; !slices.ContainsFunc(r.tl.Events(), func(ev firedrill.Event) bool {
			return ev.Kind == firedrill.EventRestoreDone && ev.Evidence == want
		}) {
			t.Errorf("restore.done's evidence is not %q", want)
		}
	})
}

// A point-in-time restore to before-fault: the target is the injection in
// effect when the failure was first seen, the server replays until it
// leaves recovery, the recovery point is the last transaction replayed,
// and amcheck runs as a job once promoted.
func TestPointInTimeRestoreBeforeFault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(0, scenarios.Recovery{Database: []string{scenarios.StepRestorePointInTime}, Target: "before-fault"}, scenarios.BackupPhysical)
		r.tl.Add(firedrill.Event{At: 2 * s, Kind: firedrill.EventFaultInjected, Injection: "earlier"})
		r.tl.Add(firedrill.Event{At: 4500 * time.Millisecond, Kind: firedrill.EventFaultInjected, Injection: "drop-1"})
		r.c.at(5500*time.Millisecond, losePrimary)
		var got Replacement
		r.rb.postgres = func(_ context.Context, node string, repl Replacement) error {
			got = repl
			time.Sleep(s)
			repl.OnLine(phase(jobs.PhaseDownload, "p1", 2*s))
			repl.OnLine(phase(jobs.PhaseExtract, "p1", s))
			repl.OnLine(reportLine(jobs.Report{Type: jobs.TypeResult, BackupID: "p1",
				Manifest: &store.Manifest{ID: "p1", Kind: store.KindPhysical, SnapshotTime: r.tl.Start().Add(s).Round(0)}}))
			r.c.set(func(c *fakeCluster) {
				upAgain(c)
				c.recoverUntil[node] = time.Now().Add(2 * s)
				c.replayed = r.tl.Start().Add(4400 * time.Millisecond).Round(0)
			})
			return nil
		}
		r.rt.job = amcheckFinds(3)
		e := r.run(t, 20*s)

		// Synctest's clock starts at 2000-01-01 00:00:00 UTC.
		target := "time:2000-01-01T00:00:04.5Z"
		if want := []string{"restore", "physical", "--pgdata", topology.PostgresData, "--target", target}; !slices.Equal(got.BeforeStart, want) || got.InitDB != nil {
			t.Errorf("replacement %+v, want BeforeStart %v", got, want)
		}
		wantEvents(t, events(r.tl, restoreKinds...),
			"restore.done@8s+6s: physical restore into pg-primary done",
			"restore.download@9s+2s: download of physical backup p1",
			"restore.restore@11s+1s: restore of physical backup p1",
			"restore.replay@12s+2s: replay of archived WAL up to "+target+", then promotion")
		rec := e.Restores()[0]
		if want := []string{"provision@8s+1s", "download@9s+2s", "restore@11s+1s", "replay@12s+2s"}; !slices.Equal(phasesOf(rec), want) {
			t.Errorf("phases %v, want %v", phasesOf(rec), want)
		}
		if !rec.HasRecoveryPoint || rec.RecoveryPoint != 4400*time.Millisecond || rec.Target != target {
			t.Errorf("recovery point %v (%v), target %q: want 4.4s, the last transaction replayed", rec.RecoveryPoint, rec.HasRecoveryPoint, rec.Target)
		}
		if rec.Amcheck == nil || rec.Amcheck.Indexes != 3 || len(r.rt.execs) != 1 || !slices.Equal(r.rt.execs[0], []string{"app", "agent", "amcheck"}) {
			t.Errorf("amcheck %+v by %v, want the amcheck job's", rec.Amcheck, r.rt.execs)
		}
		if len(r.c.ran) == 0 || !strings.HasPrefix(r.c.ran[0], "pg-primary: ALTER SYSTEM RESET ") {
			t.Errorf("statements %v, want the recovery target cleared on pg-primary", r.c.ran)
		}
		if p := e.Plans()[0]; p.Injection != "drop-1" || !p.Done {
			t.Errorf("plan %+v, want the injection in effect when it was first seen (drop-1)", p)
		}
	})
}

// The server's log dates a point-in-time restore's promotion: the replay
// phase runs from the end of the restore job to the logged instant (not to
// when a poll noticed it), and the first write counts from the promotion,
// not from the end of the amcheck that follows it while clients write.
func TestPointInTimeRestoreDatedByTheServerLog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(0, scenarios.Recovery{Database: []string{scenarios.StepRestorePointInTime}}, scenarios.BackupPhysical)
		r.c.at(5500*time.Millisecond, losePrimary)
		var sawUntil bool
		r.rb.postgres = func(_ context.Context, node string, repl Replacement) error {
			time.Sleep(s)
			repl.OnLine(phase(jobs.PhaseDownload, "p1", 2*s))
			repl.OnLine(phase(jobs.PhaseExtract, "p1", s))
			repl.OnLine(reportLine(jobs.Report{Type: jobs.TypeResult, BackupID: "p1",
				Manifest: &store.Manifest{ID: "p1", Kind: store.KindPhysical, SnapshotTime: r.tl.Start().Add(s).Round(0)}}))
			repl.OnLine("2000-01-01 00:00:12.010 UTC [7] LOG:  database system is ready to accept read-only connections")
			time.Sleep(1500 * time.Millisecond)
			promoted := time.Now().UTC().Format("2006-01-02 15:04:05.000 MST") + " [7] LOG:  database system is ready to accept connections"
			repl.OnLine(promoted)
			sawUntil = repl.Until != nil && repl.Until(promoted)
			// A poll would see it only 900ms later.
			r.c.set(func(c *fakeCluster) {
				upAgain(c)
				c.recoverUntil[node] = time.Now().Add(900 * time.Millisecond)
			})
			return nil
		}
		r.rt.job = func(_ context.Context, _ []string, print func(string)) error {
			time.Sleep(2 * s) // amcheck, while the clients write
			print(reportLine(jobs.Report{Type: jobs.TypeResult, Amcheck: &jobs.Amcheck{Indexes: 3}}))
			return nil
		}
		ok(14*s, 13800*time.Millisecond, 14*s, r.ops) // sent after the promotion, during amcheck
		e := r.run(t, 20*s)
		if !sawUntil {
			t.Error("the replacement's Until does not stop at the promotion's log line")
		}
		rec := e.Restores()[0]
		if want := []string{"provision@8s+1s", "download@9s+2s", "restore@11s+1s", "replay@12s+1.5s", "first_write@13.5s+500ms"}; !slices.Equal(phasesOf(rec), want) {
			t.Errorf("phases %v, want %v", phasesOf(rec), want)
		}
	})
}

// A restore that fails is restore.failed spanning it, and its step fails;
// no first write is watched for.
func TestFailedRestore(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fail    error
		amcheck *jobs.Amcheck
		want    string
	}{
		{name: "the node did not come up", fail: errors.New("container exited (code 1)"),
			want: "logical restore into pg-primary failed: container exited (code 1)"},
		{name: "amcheck found a corrupt index", amcheck: &jobs.Amcheck{Indexes: 4, Corrupt: []string{"writes_pkey"}},
			want: "logical restore into pg-primary failed: amcheck on the restored database: 1 of 4 indexes corrupt: writes_pkey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(0, scenarios.Recovery{Database: []string{scenarios.StepRestoreLatestBackup, scenarios.StepHealthCheck}}, scenarios.BackupLogical)
				r.c.at(5500*time.Millisecond, losePrimary)
				r.rb.postgres = func(_ context.Context, node string, repl Replacement) error {
					time.Sleep(s)
					repl.OnLine(phase(jobs.PhaseDownload, "b1", s))
					if tc.fail != nil {
						return tc.fail
					}
					repl.OnLine(reportLine(jobs.Report{Type: jobs.TypeResult, Manifest: &store.Manifest{ID: "b1"}, Amcheck: tc.amcheck}))
					r.c.set(upAgain)
					return nil
				}
				ok(12*s, 11*s, 12*s, r.ops)
				e := r.run(t, 15*s)
				wantEvents(t, events(r.tl, restoreKinds...), "restore.failed@8s+2s: "+tc.want, "restore.download@9s+1s")
				wantEvents(t, events(r.tl, planKinds...), "recovery.classified@8s", "recovery.step_failed@8s+2s: restore-latest-backup: failed")
				rs := e.Restores()
				if len(rs) != 1 || rs[0].Err == "" || rs[0].HasFirstWrite {
					t.Errorf("Restores() = %+v, want one failed, no first write", rs)
				}
			})
		})
	}
}

// A corrupt database is restored even though its primary answers; with
// physical backups scheduled, restore-latest-backup takes the newest
// point: a physical restore to the end of the archive, whose recovery
// point only the server's replay can tell.
func TestCorruptDatabaseRestoredFromThePhysicalArchive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(0, scenarios.Recovery{Database: []string{scenarios.StepRestoreLatestBackup}}, scenarios.BackupLogical, scenarios.BackupPhysical)
		r.writes(0, 5*s, true, "")
		r.writes(5*s, 8*s, false, tableGone)
		var got Replacement
		r.rb.postgres = func(_ context.Context, node string, repl Replacement) error {
			got = repl
			repl.OnLine(reportLine(jobs.Report{Type: jobs.TypeResult, Manifest: &store.Manifest{ID: "p1", SnapshotTime: r.tl.Start().Add(s).Round(0)}}))
			return nil
		}
		r.rt.job = amcheckFinds(1)
		e := r.run(t, 10*s)
		if !slices.Equal(r.rb.Calls(), []string{"postgres pg-primary"}) || !slices.Contains(got.BeforeStart, jobs.TargetLatest) {
			t.Errorf("rebuilt %v with %+v, want pg-primary from a physical backup to latest", r.rb.Calls(), got)
		}
		// The server said nothing of what it replayed: the base backup's
		// snapshot is not the point (the archive carried it further).
		if rs := e.Restores(); len(rs) != 1 || rs[0].Kind != store.KindPhysical || rs[0].Err != "" || rs[0].HasRecoveryPoint {
			t.Errorf("Restores() = %+v, want a physical restore with no recovery point known", rs)
		}
	})
}

// restore-point-in-time's target, as the job takes it.
func TestPhysicalTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := Deps{Scenario: &scenarios.Scenario{}, Timeline: firedrill.NewTimelineAt(time.Now())}
		injected := Failure{HasInjection: true, Injection: "drop-1", InjectedAt: 19500 * time.Millisecond}
		for _, tc := range []struct {
			target string
			f      Failure
			want   string
		}{
			{"before-fault", injected, "time:2000-01-01T00:00:19.5Z"},
			{"before-fault", Failure{}, "error"},
			{"1m2.25s", injected, "time:2000-01-01T00:01:02.25Z"},
			{"lsn:0/3000060", injected, "lsn:0/3000060"},
			{"lsn:a/b", injected, "lsn:A/B"},
			{"name:before_upgrade", injected, "name:before_upgrade"},
			{"latest", injected, "latest"},
			{"", injected, "latest"},
			{"yesterday", injected, "error"},
		} {
			d.Scenario.DR.Recovery.Target = tc.target
			got, err := physicalTarget(d, tc.f)
			if err != nil {
				got = "error"
			}
			if got != tc.want {
				t.Errorf("target %q: got %q (%v), want %q", tc.target, got, err, tc.want)
			}
		}
	})
}

func TestPromotionTime(t *testing.T) {
	for _, tc := range []struct {
		line string
		want string // "" when no instant may be read
		is   bool
	}{
		{"2026-12-02 13:57:54.123 UTC [1] LOG:  database system is ready to accept connections", "2026-12-02T13:57:54.123Z", true},
		{"2026-12-02 13:57:54.123 CET [1] LOG:  database system is ready to accept connections", "", true},
		{"LOG:  database system is ready to accept connections", "", true},
		{"2026-12-02 13:57:54.123 UTC [1] LOG:  database system is ready to accept read-only connections", "", false},
		{"2026-12-02 13:57:54.123 UTC [1] LOG:  redo done at 0/3000148", "", false},
	} {
		got, ok := promotionTime(tc.line)
		if ok != (tc.want != "") || (ok && got.UTC().Format(time.RFC3339Nano) != tc.want) || isPromotion(tc.line) != tc.is {
			t.Errorf("%q: %v %v (promotion %v), want %q (promotion %v)", tc.line, got, ok, isPromotion(tc.line), tc.want, tc.is)
		}
	}
}
