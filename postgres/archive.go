package postgres

import (
	"context"
	"fmt"
	"time"
)

// archiveQuery reads one node's WAL archiving: pg_stat_archiver's counters
// and last files, where the node writes WAL now and how far into its
// segment (the segment size from pg_settings, in bytes: current_setting
// says "16MB"), the segments waiting for the archiver (.ready files in
// pg_wal/archive_status: pg_ls_archive_statusdir needs superuser or
// pg_monitor, which the run's user is), and the server's clock, so that
// ages are taken on one clock. A standby writes no WAL of its own: its
// current file and offset are null.
const archiveQuery = `SELECT a.archived_count, a.last_archived_wal, a.last_archived_time,
  a.failed_count, a.last_failed_wal, a.last_failed_time,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END,
  CASE WHEN pg_is_in_recovery() THEN NULL
    ELSE (pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') % (SELECT setting::numeric FROM pg_settings WHERE name = 'wal_segment_size'))::bigint END,
  (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'),
  pg_is_in_recovery(), now()
FROM pg_stat_archiver a`

// ArchiveStatus is one reading of a node's WAL archiving
// (docs/measurement.md, "WAL archive lag").
type ArchiveStatus struct {
	Node             string
	ArchivedCount    int64
	LastArchivedWAL  string     // "" before the first
	LastArchivedTime *time.Time // nil before the first
	FailedCount      int64
	LastFailedWAL    string
	LastFailedTime   *time.Time
	// CurrentWAL is the segment the node writes now, and
	// CurrentSegmentBytes how much of it is written; "" and 0 on a
	// standby.
	CurrentWAL          string
	CurrentSegmentBytes int64
	// Ready is the number of segments (and history files) waiting for the
	// archiver.
	Ready      int64
	InRecovery bool
	Now        time.Time // the server's clock at the reading
}

// Pending reports whether the node holds WAL that is not archived: a
// segment waiting for the archiver, or writes in the current segment,
// which is archived only once it is switched (full, or archive_timeout
// after its first write).
func (s ArchiveStatus) Pending() bool { return s.Ready > 0 || s.CurrentSegmentBytes > 0 }

// Exposure is the archive lag of the reading: how long ago the archive
// last caught up, when WAL is pending (zero when none is). known is false
// when WAL is pending and nothing was ever archived: the exposure is
// everything since the server started archiving. With one segment at a
// time in flight (Ready 0) it bounds the age of the oldest write the
// archive lacks; with segments queued (Ready > 0: the archiver fails or
// falls behind) writes older than the last success can be missing too, so
// it is a lower bound (docs/measurement.md, "WAL archive lag").
func (s ArchiveStatus) Exposure() (exposure time.Duration, known bool) {
	if !s.Pending() {
		return 0, true
	}
	if s.LastArchivedTime == nil {
		return 0, false
	}
	return max(s.Now.Sub(*s.LastArchivedTime), 0), true
}

// Failing reports whether the last archive attempt failed: the archiver
// retries, and WAL piles up in pg_wal until it succeeds.
func (s ArchiveStatus) Failing() bool {
	return s.LastFailedTime != nil && (s.LastArchivedTime == nil || s.LastFailedTime.After(*s.LastArchivedTime))
}

// ArchiveStatus reads node's WAL archiving on a fresh connection (a
// sampler every second or so; the archive is read on whichever node
// archives, usually the primary).
func (c *Cluster) ArchiveStatus(ctx context.Context, node string) (ArchiveStatus, error) {
	conn, err := c.connect(ctx, node)
	if err != nil {
		return ArchiveStatus{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	s := ArchiveStatus{Node: node}
	var lastArchived, lastFailed, current *string
	var offset *int64
	err = conn.QueryRow(ctx, archiveQuery).Scan(&s.ArchivedCount, &lastArchived, &s.LastArchivedTime,
		&s.FailedCount, &lastFailed, &s.LastFailedTime, &current, &offset, &s.Ready, &s.InRecovery, &s.Now)
	if err != nil {
		return ArchiveStatus{}, fmt.Errorf("read archive status on %s: %w", node, c.redact(err))
	}
	s.LastArchivedWAL, s.LastFailedWAL, s.CurrentWAL = deref(lastArchived), deref(lastFailed), deref(current)
	if offset != nil {
		s.CurrentSegmentBytes = *offset
	}
	return s, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
