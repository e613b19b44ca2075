package pgwal

import (
	"fmt"

	"github.com/firedrill/firedrill/dr/store"
)

// ChooseDeletions is the WAL retention rule (docs/architecture.md, "WAL
// archiving and point-in-time recovery"): of names, the WAL files archived
// by the cluster systemID, those that no kept base backup of that cluster
// needs. They are the segments, partial segments and backup history files
// whose position (the last 16 hex digits of the 24, whatever the timeline)
// is below the start segment of every kept backup of systemID. Timeline
// history files always stay: a recovery reads them to choose its timeline.
// kept is the catalog after base-backup retention; incomplete entries and
// other clusters' backups are passed over, and with no complete backup of
// systemID nothing is chosen (one may be in progress). segSize is the
// cluster's WAL segment size. below is the oldest start segment's position
// in 16 hex digits, "" when nothing is chosen for want of a backup.
func ChooseDeletions(systemID string, names []string, kept []store.Entry, segSize uint64) (doomed []string, below string, err error) {
	if !validSegmentSize(segSize) {
		return nil, "", fmt.Errorf("WAL retention: segment size %d is not one of Postgres", segSize)
	}
	oldest, found := uint64(0), false
	for _, e := range kept {
		if e.Incomplete || e.Manifest == nil || e.Manifest.SystemID != systemID {
			continue
		}
		start, err := ParseLSN(e.Manifest.SnapshotLSN)
		if err != nil {
			return nil, "", fmt.Errorf("WAL retention: backup %s: start: %w", e.ID, err)
		}
		log, seg := segmentOf(start, segSize)
		if pos := uint64(log)<<32 | uint64(seg); !found || pos < oldest {
			oldest, found = pos, true
		}
	}
	if !found {
		return nil, "", nil
	}
	for _, n := range names {
		f, err := ParseName(n)
		if err != nil || f.Kind == History {
			continue
		}
		if f.position() < oldest {
			doomed = append(doomed, n)
		}
	}
	return doomed, fmt.Sprintf("%016X", oldest), nil
}
