package dr

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
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
)

func every(d time.Duration) scenarios.Duration { return scenarios.Duration{Duration: d} }

// backupJob is a backup that takes span on the fake clock, prunes, and
// reports a manifest whose snapshot is taken half a second in; a job the
// drill's end cuts short ends with the context's error, as a sidecar does.
func backupJob(t *testing.T, span time.Duration) func(context.Context, jobCall, func(string)) (platform.ExecResult, error) {
	return func(ctx context.Context, c jobCall, print func(string)) (platform.ExecResult, error) {
		start := time.Now()
		select {
		case <-ctx.Done():
			return platform.ExecResult{}, ctx.Err()
		case <-time.After(span):
		}
		id := c.Cmd[slices.Index(c.Cmd, "--id")+1]
		print(reportLine(t, jobs.Report{Type: jobs.TypePhase, Phase: "retention", Detail: "deleted 20000101T000000.000Z"}))
		print(reportLine(t, jobs.Report{Type: jobs.TypeResult, BackupID: id, Manifest: &store.Manifest{ID: id, Kind: c.Cmd[2],
			SnapshotTime: start.Add(500 * time.Millisecond), SnapshotLSN: "0/3000060", Size: 3 << 20, SHA256: strings.Repeat("ab", 32)}}))
		return platform.ExecResult{}, nil
	}
}

// runBackups runs the schedules for d of fake time and returns the
// timeline's backup events and what the scheduler kept.
func runBackups(t *testing.T, f *fakeJobs, d time.Duration, s ...scenarios.Backup) ([]firedrill.Event, []Backup) {
	tl := firedrill.NewTimelineAt(time.Now())
	b := NewBackups(BackupsConfig{Schedules: s, Env: map[string]string{"FIREDRILL_S3_SECRET_KEY": "k"}}, f, tl, nil)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return tl.Events(), b.Taken()
}

func TestBackupsRunAtOnceThenEvery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeJobs{script: backupJob(t, 2*time.Second)}
		evs, taken := runBackups(t, f, 35*time.Second, scenarios.Backup{Kind: scenarios.BackupLogical, Every: every(10 * time.Second), Keep: 3})
		var ats []time.Duration
		for _, e := range evs {
			switch e.Kind {
			case firedrill.EventBackupTaken:
				ats = append(ats, e.At)
				if e.Span != 2*time.Second || e.Target != "app" {
					t.Errorf("%+v: want a 2s span on app", e)
				}
				if want := "3.0 MiB, sha256 abababababab, snapshot at " + (e.At + 500*time.Millisecond).String() + " (0/3000060)"; e.Evidence != want {
					t.Errorf("evidence %q, want %q", e.Evidence, want)
				}
			case firedrill.EventBackupPruned, firedrill.EventManagerStart:
			default:
				t.Errorf("unexpected event %+v", e)
			}
		}
		s := time.Second
		if want := []time.Duration{0, 10 * s, 20 * s, 30 * s}; !slices.Equal(ats, want) {
			t.Errorf("backups taken at %v, want %v", ats, want)
		}
		if len(taken) != 4 || taken[3].Manifest == nil || taken[3].Err != "" || taken[3].At != 30*s {
			t.Errorf("Taken() = %+v, want 4 backups with manifests", taken)
		}
		c := f.Calls()[0]
		if id := c.Cmd[4]; !store.ValidID(id) || !slices.Equal(c.Cmd, []string{"agent", "backup", "logical", "--id", id, "--keep", "3"}) {
			t.Errorf("job %v", c.Cmd)
		}
		if c.Node != "app" || c.Cfg.Volume || c.Cfg.Env["FIREDRILL_S3_SECRET_KEY"] != "k" {
			t.Errorf("job sidecar %s %+v, want app, no volume, the jobs' env", c.Node, c.Cfg)
		}
	})
}

// A backup due while the previous one runs is skipped and counted failed;
// one cut short by the end of the drill is recorded as nothing
// (docs/measurement.md, "Backups and restores").
func TestBackupsSkipWhileBusyAndDropTheCutShort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeJobs{script: backupJob(t, 15*time.Second)}
		evs, taken := runBackups(t, f, 45*time.Second, scenarios.Backup{Kind: scenarios.BackupPhysical, Every: every(10 * time.Second), Keep: 1})
		var got []string
		for _, e := range evs {
			if e.Kind == firedrill.EventBackupTaken || e.Kind == firedrill.EventBackupFailed {
				got = append(got, string(e.Kind)+"@"+e.At.String())
			}
		}
		want := []string{"backup.taken@0s", "backup.failed@10s", "backup.taken@20s", "backup.failed@30s"}
		if !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v (the job from 40s was cut short: nothing)", got, want)
		}
		if len(f.Calls()) != 3 {
			t.Errorf("%d jobs ran, want 3 (0s, 20s, 40s)", len(f.Calls()))
		}
		// The skipped ones are failed backups of the result, as the
		// timeline says, in the order they ended (a skip ends when due).
		var kept []string
		for _, b := range taken {
			kept = append(kept, b.At.String()+":"+map[bool]string{true: "failed", false: "ok"}[b.Err != ""])
		}
		if want := []string{"10s:failed", "0s:ok", "30s:failed", "20s:ok"}; !slices.Equal(kept, want) {
			t.Errorf("Taken() %v, want %v", kept, want)
		}
	})
}

func TestBackupsFailedJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeJobs{script: func(ctx context.Context, c jobCall, print func(string)) (platform.ExecResult, error) {
			time.Sleep(3 * time.Second)
			print(reportLine(t, jobs.Report{Type: jobs.TypeError, Detail: "upload: bucket unreachable"}))
			return platform.ExecResult{ExitCode: 1}, errors.New("exit code 1")
		}}
		evs, taken := runBackups(t, f, 5*time.Second, scenarios.Backup{Kind: scenarios.BackupFiles, Every: every(time.Minute), Keep: 2})
		if len(evs) != 1 || evs[0].Kind != firedrill.EventBackupFailed || evs[0].At != 0 || evs[0].Span != 3*time.Second ||
			!strings.Contains(evs[0].Detail, "upload: bucket unreachable") {
			t.Fatalf("events %+v, want one backup.failed over 0s-3s with the job's reason", evs)
		}
		if len(taken) != 1 || taken[0].Manifest != nil || taken[0].Err != "upload: bucket unreachable" || taken[0].Kind != scenarios.BackupFiles {
			t.Errorf("Taken() = %+v", taken)
		}
		if c := f.Calls()[0]; !c.Cfg.Volume || !slices.Contains(c.Cmd, UploadsDir) {
			t.Errorf("a files backup ran as %v %+v, want the app's volume and --dir %s", c.Cmd, c.Cfg, UploadsDir)
		}
	})
}

// A job that reports a result without a manifest still counts as taken,
// under the id the scheduler gave it.
func TestBackupsResultWithoutManifest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeJobs{script: printing(reportLine(t, jobs.Report{Type: jobs.TypeResult}))}
		_, taken := runBackups(t, f, time.Second, scenarios.Backup{Kind: scenarios.BackupLogical, Every: every(time.Minute), Keep: 1})
		if len(taken) != 1 || taken[0].Manifest == nil || taken[0].Manifest.ID != f.Calls()[0].Cmd[4] || taken[0].Manifest.Kind != scenarios.BackupLogical {
			t.Errorf("Taken() = %+v", taken)
		}
	})
}

func TestBackupArgs(t *testing.T) {
	if got := BackupArgs(scenarios.BackupFiles, "id1", 4); !slices.Equal(got, []string{"backup", "files", "--id", "id1", "--keep", "4", "--dir", UploadsDir}) {
		t.Errorf("files: %v", got)
	}
	if got := BackupArgs(scenarios.BackupPhysical, "id2", 1); !slices.Equal(got, []string{"backup", "physical", "--id", "id2", "--keep", "1"}) {
		t.Errorf("physical: %v", got)
	}
}

func TestManifestEvidenceAndOffsetOf(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now() // carries a monotonic reading, as the timeline's start does
		snap := start.Add(1500 * time.Millisecond).Round(0).In(time.FixedZone("x", 3600))
		if got := OffsetOf(snap, start); got != 1500*time.Millisecond {
			t.Errorf("OffsetOf = %v, want 1.5s", got)
		}
		for _, tc := range []struct {
			m    store.Manifest
			want string
		}{
			{store.Manifest{Size: 512, SHA256: "abc"}, "512 B, sha256 abc"},
			{store.Manifest{Size: 2048, SHA256: strings.Repeat("f", 64), Files: 3}, "2.0 KiB, sha256 ffffffffffff, 3 files"},
			{store.Manifest{Size: 3 << 30, SnapshotTime: snap, SnapshotLSN: "0/16B3740"}, "3.00 GiB, sha256 , snapshot at 1.5s (0/16B3740)"},
		} {
			if got := ManifestEvidence(tc.m, start); got != tc.want {
				t.Errorf("ManifestEvidence = %q, want %q", got, tc.want)
			}
		}
	})
}
