package dr

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr/jobs"
	"github.com/firedrill/firedrill/dr/store"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// UploadsDir is where a files backup finds the app's uploads: the app
// node's data volume, mounted in the job's sidecar at the same path.
const UploadsDir = "/uploads"

// BackupsConfig is what the backup schedules run with.
type BackupsConfig struct {
	Schedules []scenarios.Backup
	// Env is the jobs' environment: the storage's address and keys, the
	// database's connection string (secrets: never printed).
	Env map[string]string
	// Node is where the jobs run: the app's node, whose network namespace
	// is the clients' (docs/architecture.md, "The DR engine").
	Node string
}

// Backup is one scheduled backup as the drill saw it: when its job ran on
// the drill's clock and what the store holds (Manifest nil when it
// failed).
type Backup struct {
	Kind     string
	At, Span time.Duration
	Manifest *store.Manifest
	Err      string
}

// Backups is the DR engine's backup scheduler: a background part of the
// drill that runs each schedule's job when the workload starts and then
// every `every`, records each backup on the timeline and keeps what it
// took for the scorer (docs/measurement.md, "Backups and restores").
type Backups struct {
	cfg BackupsConfig
	run JobRunner
	tl  *firedrill.Timeline
	log *slog.Logger

	mu    sync.Mutex
	taken []Backup
}

var _ firedrill.Part = (*Backups)(nil)

// NewBackups builds the scheduler.
func NewBackups(cfg BackupsConfig, run JobRunner, tl *firedrill.Timeline, log *slog.Logger) *Backups {
	if cfg.Node == "" {
		cfg.Node = topology.NodeApp
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Backups{cfg: cfg, run: run, tl: tl, log: log}
}

// Name names the part.
func (b *Backups) Name() string { return "backups" }

// Run runs every schedule until ctx ends. A backup still running when its
// next one is due makes that one be skipped (recorded as failed: a backup
// the schedule promised did not happen); one cut short by the end of the
// drill is left incomplete in the bucket and recorded as nothing.
func (b *Backups) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, s := range b.cfg.Schedules {
		wg.Go(func() { b.schedule(ctx, s) })
	}
	wg.Wait()
	return nil
}

func (b *Backups) schedule(ctx context.Context, s scenarios.Backup) {
	tick := time.NewTicker(s.Every.Duration)
	defer tick.Stop()
	busy := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case busy <- struct{}{}:
			wg.Go(func() {
				defer func() { <-busy }()
				b.take(ctx, s)
			})
		default:
			// Counted failed in the result too, not only on the timeline
			// (docs/measurement.md, "Backups and restores").
			ev := b.tl.Record(firedrill.EventBackupFailed, b.cfg.Node,
				fmt.Sprintf("%s backup skipped: the previous one (every %s) is still running", s.Kind, s.Every))
			b.mu.Lock()
			b.taken = append(b.taken, Backup{Kind: s.Kind, At: ev.At, Err: ev.Detail})
			b.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// BackupArgs are the agent arguments of one backup of kind with id,
// keeping keep of them.
func BackupArgs(kind, id string, keep int) []string {
	args := []string{"backup", kind, "--id", id, "--keep", strconv.Itoa(keep)}
	if kind == scenarios.BackupFiles {
		args = append(args, "--dir", UploadsDir)
	}
	return args
}

func (b *Backups) take(ctx context.Context, s scenarios.Backup) {
	at := b.tl.Now()
	id := store.NewID(time.Now())
	var opts []platform.SidecarOption
	if s.Kind == scenarios.BackupFiles {
		opts = append(opts, platform.WithVolume())
	}
	out := RunJob(ctx, b.run, b.cfg.Node, BackupArgs(s.Kind, id, s.Keep), b.cfg.Env, func(r jobs.Report) {
		if r.Type == jobs.TypePhase && r.Detail != "" && r.Phase == "retention" {
			b.tl.Record(firedrill.EventBackupPruned, b.cfg.Node, r.Detail)
		}
	}, opts...)
	span := b.tl.Now() - at
	if ctx.Err() != nil {
		// The drill ended under the job: not a failure of the engine.
		b.log.Debug("backup cut short by the end of the drill", "kind", s.Kind, "id", id)
		return
	}
	rec := Backup{Kind: s.Kind, At: at, Span: span}
	if out.Err != nil {
		rec.Err = out.Err.Error()
		b.tl.Add(firedrill.Event{At: at, Span: span, Kind: firedrill.EventBackupFailed, Target: b.cfg.Node,
			Detail: fmt.Sprintf("%s backup %s failed: %s", s.Kind, id, rec.Err)})
	} else {
		m := out.Result.Manifest
		if m == nil {
			m = &store.Manifest{ID: id, Kind: s.Kind}
		}
		rec.Manifest = m
		b.tl.Add(firedrill.Event{At: at, Span: span, Kind: firedrill.EventBackupTaken, Target: b.cfg.Node,
			Detail: fmt.Sprintf("%s backup %s", s.Kind, m.ID), Evidence: ManifestEvidence(*m, b.tl.Start())})
	}
	b.mu.Lock()
	b.taken = append(b.taken, rec)
	b.mu.Unlock()
}

// Taken returns every backup the schedules ran, in the order they ended,
// and every one they skipped, when it was due.
func (b *Backups) Taken() []Backup {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Backup(nil), b.taken...)
}

// ManifestEvidence says what a backup holds, for its event: size,
// checksum, and the instant (on the drill's clock, from start) and WAL
// position of its snapshot.
func ManifestEvidence(m store.Manifest, start time.Time) string {
	out := fmt.Sprintf("%s, sha256 %s", humanBytes(m.Size), shortHash(m.SHA256))
	if !m.SnapshotTime.IsZero() {
		out += fmt.Sprintf(", snapshot at %s", OffsetOf(m.SnapshotTime, start).Round(time.Millisecond))
	}
	if m.SnapshotLSN != "" {
		out += " (" + m.SnapshotLSN + ")"
	}
	if m.Files > 0 {
		out += fmt.Sprintf(", %d files", m.Files)
	}
	return out
}

// OffsetOf places a wall-clock instant a job reported on the drill's
// clock. The job runs on the same host, so its wall clock is the kernel's,
// the harness's own: the offset is exact to the clock's resolution, as
// long as nobody sets the clock during the drill (docs/measurement.md,
// "Backups and restores").
func OffsetOf(wall, start time.Time) time.Duration { return wall.Sub(start.Round(0)) }

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
