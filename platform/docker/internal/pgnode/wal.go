package pgnode

// WAL within a size-limited data disk (docs/architecture.md, "Disk faults").

import "strconv"

// WALArgs are the Postgres settings that keep WAL within a data disk of
// size bytes (0: not size-limited), so that WAL alone never fills it and
// a full disk is what a disk-fill makes it: at most about half the disk is
// WAL. max_wal_size (the WAL between checkpoints, a soft limit) is a
// quarter; the WAL kept for standbys is at most another quarter:
// wal_keep_size (for a replica re-pointed at a promoted primary, which
// holds no slot for it) a quarter up to 256MB, and max_slot_wal_keep_size
// a quarter, past which a replica that is down loses its slot instead of
// filling the primary's disk; min_wal_size, the WAL recycled rather than
// removed, an eighth between 32MB and Postgres's default 80MB. Postgres
// needs max_wal_size and min_wal_size of at least two 16MB segments.
func WALArgs(size int64) []string {
	if size <= 0 {
		return []string{"-c", "wal_keep_size=256MB"}
	}
	mb := size >> 20
	quarter := max(mb/4, 32)
	return []string{
		"-c", "max_wal_size=" + strconv.FormatInt(quarter, 10) + "MB",
		"-c", "min_wal_size=" + strconv.FormatInt(min(max(mb/8, 32), 80), 10) + "MB",
		"-c", "wal_keep_size=" + strconv.FormatInt(min(quarter, 256), 10) + "MB",
		"-c", "max_slot_wal_keep_size=" + strconv.FormatInt(quarter, 10) + "MB",
	}
}
