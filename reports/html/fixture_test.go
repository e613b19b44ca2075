package html

import (
	"fmt"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
)

func ptr[T any](v T) *T { return &v }

// drDrill is a minute-long DR drill as the scorer writes one: f0 kills
// the primary at 10s and the manager fails over (RTO 3.01s); f1 fills the
// new primary's disk at 30s, the disk plan restores the 22s backup into a
// fresh node (RTO 11.1s, 158 writes lost) and re-seeds a standby; the
// fault is reverted at 45s. Backups every 10s, one failed; the series has
// 100ms buckets and a lag reading a second.
func drDrill() firedrill.Result {
	const bucket = 100.0
	r := firedrill.Result{
		SchemaVersion:   firedrill.ResultSchemaVersion,
		Scenario:        "disk-full-restore",
		RunID:           "r-20260821-101500",
		Verdict:         firedrill.VerdictPass,
		StartedAt:       time.Date(2026, 8, 21, 10, 15, 0, 0, time.UTC),
		DurationMS:      60000,
		WriteRate:       20,
		StabilityMS:     2000,
		ReadFrom:        "pg-restored",
		RPOMS:           ptr(7900.0),
		ScheduleLag:     &firedrill.ScheduleLag{P50MS: 0.2, P99MS: 0.6, MaxMS: 1.1},
		FailoverEnabled: true,
		Objectives: []firedrill.ObjectiveResult{
			{Name: "rto", Target: "<= 15s", Limit: ptr(15000.0), Measured: "11.1s", Met: true, Status: firedrill.StatusMet, Detail: "f0 (kill postgres.primary): 3.01s; f1 (fill_disk postgres.primary): 11.1s"},
			{Name: "rpo", Target: "<= 10s", Limit: ptr(10000.0), Measured: "7.9s", Met: true, Status: firedrill.StatusMet, Detail: "f1: the restored backup's snapshot was 7.9s old"},
			{Name: "lost_writes", Target: "report", Measured: "158 of 1050 acked", Met: true, Status: firedrill.StatusReported},
			{Name: "split_brain", Target: "none", Measured: "none", Met: true, Status: firedrill.StatusMet},
		},
		Faults: []firedrill.FaultResult{
			{ID: "f0", Source: "timeline", Index: 0, Action: "kill", Target: "postgres.primary", Nodes: []string{"pg-primary"},
				ScheduledMS: 10000, Injected: true, AtMS: 10000, SpanMS: 12, Evidence: "exited (137)",
				Recovery: firedrill.RecoveryRecovered, RTOMS: ptr(3010.0), RPOMS: ptr(0.0), Lost: ptr(0),
				Phases: map[string]float64{firedrill.PhaseDetect: 1500, firedrill.PhaseFence: 1600, firedrill.PhasePromote: 2000, firedrill.PhaseFirstWrite: 3010}},
			{ID: "f1", Source: "timeline", Index: 1, Action: "fill_disk", Target: "postgres.primary", Nodes: []string{"pg-replica"},
				ScheduledMS: 30000, Injected: true, AtMS: 30000, SpanMS: 40, RevertedMS: ptr(45000.0), Evidence: "pg_wal 100% full (df)",
				Recovery: firedrill.RecoveryRecovered, RTOMS: ptr(11100.0), RPOMS: ptr(7900.0), Lost: ptr(158),
				Phases: map[string]float64{firedrill.PhaseClassify: 1200, firedrill.PhaseDownload: 4300, firedrill.PhaseRestore: 10500,
					firedrill.PhaseFirstWrite: 11100, firedrill.PhaseFullRedundancy: 18200}},
		},
		Writes: firedrill.WriteStats{Attempted: 1200, Acked: 1050, Failed: 146, Indeterminate: 4, Lost: ptr(158), Verified: 892, FailedButPresent: ptr(0)},
		Replication: &firedrill.Replication{IntervalMS: 1000, Readings: 60, Failed: 4, LastError: "no primary answered: connection refused",
			Replicas: []firedrill.ReplicaLagStats{
				{Node: "pg-replica", Streaming: 10, MaxUnflushedBytes: 16384, MeanUnflushedBytes: 6100, MaxUnreplayedBytes: 16384, MeanUnreplayedBytes: 6400,
					MaxFlushLagMS: ptr(4.0), MeanFlushLagMS: ptr(1.5), MaxReplayLagMS: ptr(5.0), MeanReplayLagMS: ptr(2.0)},
				{Node: "pg-standby2", Streaming: 12, NotStreaming: 4, MaxUnflushedBytes: 8192, MeanUnflushedBytes: 2000},
			},
			Exposure: &firedrill.RPOExposure{AtMS: 7000, Replica: "pg-replica", Bytes: 16384, LagMS: ptr(4.0), NoStandby: 34},
		},
		DR: &firedrill.DRResult{BackupsFailed: 1,
			Exposure: []firedrill.BackupExposure{{Kind: "logical", MaxAgeMS: 19400, AtMS: 41500}},
			Restores: []firedrill.RestoreResult{{Kind: "logical", Node: "pg-restored", BackupID: "b-3", AtMS: 31500, SpanMS: 9600,
				Phases: map[string]firedrill.PhaseSpan{
					"provision":               {AtMS: 31500, SpanMS: 2000},
					firedrill.PhaseDownload:   {AtMS: 33500, SpanMS: 800},
					firedrill.PhaseRestore:    {AtMS: 34300, SpanMS: 6200},
					firedrill.PhaseFirstWrite: {AtMS: 40500, SpanMS: 600},
				},
				RecoveryPointMS: ptr(22100.0), Amcheck: "no corruption found", AmcheckOK: true,
				Verification: &firedrill.RestoreVerification{Verified: true, AckedBefore: 420, LostAfter: 158,
					Detail: "all 420 writes acked before the recovery point are present; the 158 acked after it are gone"}}},
			Plans: []firedrill.PlanResult{{Type: "disk", Why: "pg-replica: PANIC: could not write to file pg_wal: No space left on device", Injection: "f1",
				AtMS: 31200, SinceMS: 30400, Done: true, Steps: []firedrill.StepResult{
					{Name: "fence", Outcome: "ok", AtMS: 31200, SpanMS: 300, Detail: "pg-replica stopped"},
					{Name: "restore", Outcome: "ok", AtMS: 31500, SpanMS: 9600, Detail: "logical b-3 into pg-restored"},
					{Name: "repoint", Outcome: "ok", AtMS: 41100, SpanMS: 300, Detail: "app → pg-restored"},
					{Name: "archive", Outcome: "skipped", AtMS: 41400, SpanMS: 0, Detail: "no WAL archive configured"},
					{Name: "reseed", Outcome: "ok", AtMS: 41400, SpanMS: 6600, Detail: "pg-standby2 from pg-restored"},
				}}},
		},
	}
	// Backups every 10s from 2s, each about 1.5s; the one at 32s fails.
	for i, at := range []float64{2000, 12000, 22000, 32000, 42000, 52000} {
		id := fmt.Sprintf("b-%d", i+1)
		b := firedrill.BackupResult{Kind: "logical", ID: id, AtMS: at, SpanMS: 1500, SizeBytes: 48_000 + int64(i)*9000, SHA256: strings.Repeat("ab", 32), SnapshotMS: ptr(at + 100)}
		if at == 32000 {
			b = firedrill.BackupResult{Kind: "logical", AtMS: at, SpanMS: 300, Error: "pg_dump: connection to pg-replica failed: the server is not accepting connections"}
		}
		r.DR.Backups = append(r.DR.Backups, b)
	}
	// Events, in time order.
	ev := func(at, span float64, kind firedrill.EventKind, inj, target, detail, evidence string) {
		r.Events = append(r.Events, firedrill.Event{AtMS: at, SpanMS: span, Kind: kind, Injection: inj, Target: target, Detail: detail, Evidence: evidence})
	}
	ev(0, 0, firedrill.EventDrillStart, "", "", "", "")
	ev(0, 0, firedrill.EventManagerStart, "", "pg-primary", "health checks every 500ms, 2 failures", "")
	for _, b := range r.DR.Backups {
		if b.Error != "" {
			ev(b.AtMS, b.SpanMS, firedrill.EventBackupFailed, "", "", "logical: "+b.Error, "")
			continue
		}
		ev(b.AtMS, b.SpanMS, firedrill.EventBackupTaken, "", "", "logical "+b.ID, "48 KiB, sha256 abab…")
	}
	ev(10000, 12, firedrill.EventFaultInjected, "f0", "pg-primary", "", "exited (137)")
	ev(11000, 400, firedrill.EventFailoverBlind, "", "pg-primary", "watcher restarting", "")
	ev(11500, 0, firedrill.EventDetect, "f0", "pg-primary", "2 failed health checks", "")
	ev(11600, 0, firedrill.EventFence, "f0", "pg-primary", "stopped", "")
	ev(12000, 200, firedrill.EventPromote, "f0", "pg-replica", "pg_promote()", "")
	ev(30000, 40, firedrill.EventFaultInjected, "f1", "pg-replica", "", "pg_wal 100% full (df)")
	ev(31200, 0, firedrill.EventRecoveryClassified, "f1", "pg-replica", "disk: No space left on device", "")
	ev(31500, 2000, firedrill.EventRecoveryStep, "f1", "pg-restored", "provision ok", "")
	ev(33500, 800, firedrill.EventRestoreDownload, "f1", "pg-restored", "b-3", "sha256 matches")
	ev(34300, 6200, firedrill.EventRestoreRestore, "f1", "pg-restored", "pg_restore", "")
	ev(40500, 600, firedrill.EventRestoreFirstWrite, "f1", "pg-restored", "", "")
	ev(31500, 9600, firedrill.EventRestoreDone, "f1", "pg-restored", "logical b-3", "recovery point 22.1s; amcheck ok")
	ev(45000, 30, firedrill.EventFaultReverted, "f1", "pg-replica", "", "df: pg_wal 12% used")
	ev(48000, 0, firedrill.EventRecoveryDone, "f1", "", "disk plan done", "")
	ev(48200, 0, firedrill.EventRedundancyRestored, "", "pg-restored", "1 standby streaming (pg-standby2)", "")
	ev(60000, 0, firedrill.EventDrillEnd, "", "", "", "")
	ev(60200, 150, firedrill.EventNotifySent, "", "https hooks.example", "drill finished", "")

	// The series: 2 writes a bucket; failed during the outages (a few
	// indeterminate as each begins), latency only where writes were acked.
	s := &firedrill.Series{BucketMS: bucket}
	outage := func(ms float64) bool { return ms >= 10000 && ms < 13000 || ms >= 30000 && ms < 41000 }
	for i := range 600 {
		at := float64(i) * bucket
		b := firedrill.SeriesBucket{AtMS: at}
		switch {
		case outage(at) && (at == 10000 || at == 30000):
			b.WritesIndeterminate = 2
		case outage(at):
			b.WritesFailed = 2
		default:
			b.WritesOK = 2
			p50 := 2.5 + float64(i%7)*0.2
			if at >= 13000 && at < 14000 || at >= 41000 && at < 42000 {
				p50 *= 6 // cold caches after each recovery
			}
			b.LatencyP50MS, b.LatencyP99MS, b.LatencyMaxMS = ptr(p50), ptr(p50*2.4), ptr(p50*3)
		}
		s.Buckets = append(s.Buckets, b)
	}
	for at := 1000.0; at <= 60000; at += 1000 {
		switch {
		case at < 10000:
			s.Lag = append(s.Lag, firedrill.LagPoint{AtMS: at, Primary: "pg-primary", Replica: "pg-replica", Streaming: true,
				UnflushedBytes: int64(at/1000) * 1638, ReplayLagMS: ptr(1 + at/2500)})
		case at >= 13000 && at < 30000:
			// no standby: the promoted replica has none until the reseed
		case at >= 44000 && at < 48000:
			s.Lag = append(s.Lag, firedrill.LagPoint{AtMS: at, Primary: "pg-restored", Replica: "pg-standby2"})
		case at >= 48000:
			s.Lag = append(s.Lag, firedrill.LagPoint{AtMS: at, Primary: "pg-restored", Replica: "pg-standby2", Streaming: true,
				UnflushedBytes: int64(at-47000) / 1000 * 680})
		}
	}
	r.Series = s
	return r
}
