package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/firedrill/firedrill/dr/jobs/pgwal"
	"github.com/firedrill/firedrill/dr/store"
)

// Recovery target kinds, as `--target` spells them.
const (
	TargetLatest = "latest"
	TargetTime   = "time"
	TargetLSN    = "lsn"
	TargetName   = "name"
)

// maxRestorePointName is the longest name pg_create_restore_point takes.
const maxRestorePointName = 63

// Target is where a point-in-time recovery stops.
type Target struct {
	Kind string
	Time time.Time // TargetTime: the first instant not recovered
	LSN  pgwal.LSN // TargetLSN: the last position recovered
	Name string    // TargetName: a restore point's name
}

// ParseTarget reads latest, time:<RFC3339Nano>, lsn:<X/Y> or name:<n>;
// "" is latest.
func ParseTarget(s string) (Target, error) {
	if s == "" || s == TargetLatest {
		return Target{Kind: TargetLatest}, nil
	}
	kind, v, ok := strings.Cut(s, ":")
	if ok && v != "" {
		switch kind {
		case TargetTime:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return Target{}, fmt.Errorf("target %q: the time must be RFC 3339 (2006-01-02T15:04:05.999Z)", s)
			}
			return Target{Kind: TargetTime, Time: t}, nil
		case TargetLSN:
			l, err := pgwal.ParseLSN(v)
			if err != nil {
				return Target{}, fmt.Errorf("target %q: %w", s, err)
			}
			return Target{Kind: TargetLSN, LSN: l}, nil
		case TargetName:
			if len(v) > maxRestorePointName {
				return Target{}, fmt.Errorf("target %q: a restore point's name has at most %d bytes", s, maxRestorePointName)
			}
			return Target{Kind: TargetName, Name: v}, nil
		}
	}
	return Target{}, fmt.Errorf("target %q: want latest, time:<RFC3339>, lsn:<X/Y> or name:<restore point>", s)
}

func (t Target) String() string {
	switch t.Kind {
	case TargetTime:
		return TargetTime + ":" + t.Time.UTC().Format(time.RFC3339Nano)
	case TargetLSN:
		return TargetLSN + ":" + t.LSN.String()
	case TargetName:
		return TargetName + ":" + t.Name
	}
	return TargetLatest
}

// DefaultRestoreCommand is the restore_command of a physical restore: the
// binary is at this path in every Postgres container (docs/architecture.md,
// "WAL archiving and point-in-time recovery").
const DefaultRestoreCommand = "/opt/firedrill/firedrill agent wal-fetch %f %p"

// RecoveryTargetSettings are the settings RecoverySettings may write that
// steer a recovery to its target. Once the restored node has promoted
// itself they must go: a replica cloned from it copies its
// postgresql.auto.conf, and would try to stop at the same target, before
// its own consistent point.
var RecoveryTargetSettings = []string{"recovery_target_timeline", "recovery_target_action", "recovery_target_time",
	"recovery_target_inclusive", "recovery_target_lsn", "recovery_target_name"}

// RecoverySettings are the lines a physical restore appends to
// postgresql.auto.conf for target. Recovery follows the newest timeline in
// the archive (a backup taken before a failover recovers onto the promoted
// node's timeline) and promotes at the target, so that the restored node is
// a primary on a timeline of its own. A time target excludes the target
// instant itself (inclusive = false): every commit before it is recovered,
// none at or after it.
func RecoverySettings(t Target, restoreCommand string) string {
	var b strings.Builder
	b.WriteString("# firedrill: point-in-time recovery to " + t.String() + "\n")
	set := func(k, v string) { fmt.Fprintf(&b, "%s = %s\n", k, quoteSetting(v)) }
	set("restore_command", restoreCommand)
	set("recovery_target_timeline", "latest")
	set("recovery_target_action", "promote")
	switch t.Kind {
	case TargetTime:
		set("recovery_target_time", recoveryTime(t.Time))
		set("recovery_target_inclusive", "false")
	case TargetLSN:
		set("recovery_target_lsn", t.LSN.String())
	case TargetName:
		set("recovery_target_name", t.Name)
	}
	return b.String()
}

// recoveryTime is t for recovery_target_time, in UTC. Postgres keeps
// microseconds; t is rounded up to the next one, which with inclusive =
// false keeps exactly the commits before t (a commit time is a whole
// microsecond: before t is at most ceil(t) minus one).
func recoveryTime(t time.Time) string {
	u := t.UTC()
	if r := u.Truncate(time.Microsecond); r.Before(u) {
		u = r.Add(time.Microsecond)
	}
	return u.Format("2006-01-02 15:04:05.000000") + "+00"
}

// quoteSetting quotes a configuration file value.
func quoteSetting(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

// CanReach reports whether the physical backup m can recover to t along
// timeline newest (whose history is history; newest 0: no history file, all
// of the archive is timeline 1). A time target needs a backup consistent
// before it: its job ended (End) no later than the target. Postgres stops a
// recovery that meets its target before the backup is consistent ("recovery
// stop point is before consistent recovery point"), so the backup's start
// alone would not do. An LSN target needs the stop LSN at or before it. A
// restore point's LSN is not known before the WAL is read: any backup may
// reach it, and the newest is tried.
func CanReach(m store.Manifest, t Target, newest uint32, history []pgwal.TimelineSwitch) bool {
	stop, err := pgwal.ParseLSN(m.StopLSN)
	if err != nil {
		return false // no end point: not a backup Postgres can be consistent from
	}
	switch t.Kind {
	case TargetTime:
		if m.End.IsZero() || m.End.After(t.Time) {
			return false
		}
	case TargetLSN:
		if stop > t.LSN {
			return false
		}
	}
	if newest == 0 || m.Timeline == 0 {
		return true
	}
	return pgwal.FollowsTo(newest, history, uint32(m.Timeline), stop)
}

// PhysicalCatalog is what a physical restore needs of the backup store:
// the backups and the timeline history of each cluster's archive.
type PhysicalCatalog interface {
	Catalog
	ListWAL(ctx context.Context, systemID string) ([]string, error)
	GetWAL(ctx context.Context, systemID, name string, w io.Writer) error
}

var _ PhysicalCatalog = (*store.Store)(nil)

// PhysicalRestore is `agent restore physical`: into an empty data
// directory, the newest physical backup that passes verification and can
// reach the target, with recovery.signal and the recovery settings; the
// recovery itself is Postgres's, when it starts on the directory
// (docs/architecture.md, "WAL archiving and point-in-time recovery").
type PhysicalRestore struct {
	PGData         string
	ID             string // restore only this backup; "" the newest that fits
	Target         Target
	Store          PhysicalCatalog
	TmpDir         string // where the backup is downloaded; "" is os.TempDir
	RestoreCommand string // "" is DefaultRestoreCommand
	Out            io.Writer
}

// Run restores and writes its report lines, the last a result or an error.
func (r PhysicalRestore) Run(ctx context.Context) (store.Manifest, error) {
	m, err := r.run(ctx)
	res := Report{BackupID: m.ID, Detail: "recovery to " + r.Target.String() + " runs when Postgres starts"}
	if err == nil {
		res.Manifest = &m
	}
	return m, Finish(r.Out, res, err)
}

func (r PhysicalRestore) run(ctx context.Context) (store.Manifest, error) {
	if err := emptyDataDir(r.PGData); err != nil {
		return store.Manifest{}, fmt.Errorf("physical restore: %w", err)
	}
	fits := &reachingCatalog{PhysicalCatalog: r.Store, target: r.Target}
	m, f, remove, err := FetchNewestValid(ctx, fits, store.KindPhysical, r.ID, r.TmpDir, r.Out)
	if err != nil {
		return store.Manifest{}, fmt.Errorf("physical restore to %s: %w", r.Target, err)
	}
	defer remove()

	start := time.Now()
	files, err := ExtractTarGz(ctx, f, r.PGData)
	if err != nil {
		return m, fmt.Errorf("physical restore of %s: %w", m.ID, err)
	}
	// The recovery's restore_command reads the archive of the cluster in
	// the data directory: it must be the one the manifest names.
	if id, err := pgwal.ReadSystemID(r.PGData); err != nil {
		return m, fmt.Errorf("physical restore of %s: %w", m.ID, err)
	} else if id != m.SystemID {
		return m, fmt.Errorf("physical restore of %s: the backup's %s names system %s, its manifest %s", m.ID, pgwal.ControlFile, id, m.SystemID)
	}
	if err := prepareRecovery(r.PGData, RecoverySettings(r.Target, r.restoreCommand())); err != nil {
		return m, fmt.Errorf("physical restore of %s: %w", m.ID, err)
	}
	phase(r.Out, PhaseExtract, start, m.Size, m.ID, fmt.Sprintf("%d files into %s", files, r.PGData))
	return m, nil
}

func (r PhysicalRestore) restoreCommand() string {
	if r.RestoreCommand != "" {
		return r.RestoreCommand
	}
	return DefaultRestoreCommand
}

// reachingCatalog lists only the backups that can reach the target along
// the newest timeline of their own cluster's archive, so that the search
// for the newest valid backup skips the others. A backup whose manifest
// names no (valid) system identifier is listed when its times and
// positions reach the target, and refused by Fetch with the reason: which
// archive holds its WAL is not known, and no other is guessed.
type reachingCatalog struct {
	PhysicalCatalog
	target    Target
	histories map[string]timelineHistory // by system identifier
}

// timelineHistory is the newest timeline of a cluster's archive and its
// history (0 and nil: no history file, all of it is timeline 1).
type timelineHistory struct {
	newest   uint32
	switches []pgwal.TimelineSwitch
}

func (c *reachingCatalog) List(ctx context.Context, kind string) ([]store.Entry, error) {
	entries, err := c.PhysicalCatalog.List(ctx, kind)
	if err != nil {
		return nil, err
	}
	var out []store.Entry
	for _, e := range entries {
		if e.Incomplete || e.Manifest == nil {
			continue
		}
		m := *e.Manifest
		if !store.ValidSystemID(m.SystemID) {
			if CanReach(m, c.target, 0, nil) {
				out = append(out, e)
			}
			continue
		}
		h, err := c.history(ctx, m.SystemID)
		if err != nil {
			return nil, err
		}
		if CanReach(m, c.target, h.newest, h.switches) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (c *reachingCatalog) Fetch(ctx context.Context, m store.Manifest, w io.WriterAt) (int64, error) {
	switch {
	case m.SystemID == "":
		return 0, fmt.Errorf("backup %s: its manifest names no system_id (taken before the WAL archive was kept per cluster), so the archive that holds its WAL is unknown", m.ID)
	case !store.ValidSystemID(m.SystemID):
		return 0, fmt.Errorf("backup %s: its manifest's system_id %q is not a system identifier", m.ID, m.SystemID)
	}
	return c.PhysicalCatalog.Fetch(ctx, m, w)
}

func (c *reachingCatalog) history(ctx context.Context, systemID string) (timelineHistory, error) {
	if h, ok := c.histories[systemID]; ok {
		return h, nil
	}
	tli, switches, err := newestHistory(ctx, c.PhysicalCatalog, systemID)
	if err != nil {
		return timelineHistory{}, err
	}
	if c.histories == nil {
		c.histories = map[string]timelineHistory{}
	}
	h := timelineHistory{newest: tli, switches: switches}
	c.histories[systemID] = h
	return h, nil
}

// newestHistory reads the newest timeline's history from the archive of
// the cluster systemID: recovery_target_timeline='latest' follows that
// timeline.
func newestHistory(ctx context.Context, a PhysicalCatalog, systemID string) (uint32, []pgwal.TimelineSwitch, error) {
	names, err := a.ListWAL(ctx, systemID)
	if err != nil {
		return 0, nil, err
	}
	tli, file := pgwal.NewestTimeline(names)
	if tli == 0 {
		return 0, nil, nil
	}
	var buf bytes.Buffer
	if err := a.GetWAL(ctx, systemID, file, &buf); err != nil {
		return 0, nil, err
	}
	h, err := pgwal.ParseTimelineHistory(buf.String())
	if err != nil {
		return 0, nil, fmt.Errorf("system %s: %s: %w", systemID, file, err)
	}
	return tli, h, nil
}

// emptyDataDir makes dir (0700) or checks that it is empty: a restore never
// overwrites a cluster.
func emptyDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range ents {
		// A mount point's lost+found is not a cluster.
		if e.Name() != "lost+found" {
			names = append(names, e.Name())
		}
	}
	if len(names) > 0 {
		return fmt.Errorf("%s is not empty (%s ...): a restore goes into an empty data directory", dir, names[0])
	}
	return nil
}

// prepareRecovery finishes an extracted base backup for Postgres: the WAL
// directories the backup left empty, recovery.signal, the recovery
// settings after the primary's own postgresql.auto.conf (the last setting
// wins), and mode 0700, which Postgres demands of its data directory.
func prepareRecovery(dir, settings string) error {
	// pg_basebackup adds its manifest to a tar on stdout; it is no part of
	// a cluster, and a later base backup of this one would carry it twice.
	if err := os.Remove(filepath.Join(dir, "backup_manifest")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "pg_wal", "archive_status"), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "recovery.signal"), nil, 0o600); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, "postgresql.auto.conf"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, "\n"+settings); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}
