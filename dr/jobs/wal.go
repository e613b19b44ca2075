package jobs

import (
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

// WAL archiving and point-in-time recovery (docs/architecture.md, "WAL
// archiving and point-in-time recovery"): Postgres's archive_command is
// `firedrill agent wal-push %p` and the restore_command of a physical
// restore `firedrill agent wal-fetch %f %p`. Both are spawned by Postgres,
// once per file, so they do nothing but the one transfer. The archive of
// each cluster is its own, named by its system identifier
// (ArchiveSystemID).

// WALArchive is what the WAL commands need of the backup store.
type WALArchive interface {
	PutWAL(ctx context.Context, systemID, name string, r io.Reader) error
	GetWAL(ctx context.Context, systemID, name string, w io.Writer) error
}

var _ WALArchive = (*store.Store)(nil)

// Exit codes of wal-fetch, as Postgres reads a restore_command's
// (docs/architecture.md, "WAL archiving and point-in-time recovery").
const (
	// ExitWALFetched: the file is at the destination.
	ExitWALFetched = 0
	// ExitWALAbsent: the archive has no such file. Postgres takes it for
	// the end of the archive: recovery ends there (or, for a timeline
	// history file, the timeline does not exist).
	ExitWALAbsent = 1
	// ExitWALUnavailable: the archive could not be read. An exit status
	// above 125 makes Postgres's startup process stop with a FATAL error,
	// so that an S3 outage halts the recovery instead of ending it early
	// and silently dropping every write after the last segment fetched.
	ExitWALUnavailable = 126
)

// FetchExitCode maps wal-fetch's outcome to its exit code.
func FetchExitCode(err error) int {
	switch {
	case err == nil:
		return ExitWALFetched
	case errors.Is(err, store.ErrNoWAL):
		return ExitWALAbsent
	}
	return ExitWALUnavailable
}

// PushWAL archives the WAL file at path (Postgres's %p, relative to the
// data directory, which is the archiver's working directory) in the
// archive of the cluster systemID. It returns nil only once the object is
// stored: Postgres then may recycle the file.
//
// One conflict is let pass, said on log: a partial segment (the unfinished
// last segment of the timeline a promotion left) that the archive holds
// with other contents. Two restores from one archive to different points
// each end the same segment of the old timeline at their own point; no
// recovery ever reads a .partial file (the new timeline's first segment
// holds its contents), and refusing it would stop the node's archiving for
// good, since the archiver retries the oldest file first.
func PushWAL(ctx context.Context, a WALArchive, systemID, path string, log io.Writer) error {
	name := filepath.Base(path)
	if !store.ValidWALName(name) {
		return fmt.Errorf("wal-push: %q is not a WAL file name", name)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("wal-push: %w", err)
	}
	defer f.Close()
	err = a.PutWAL(ctx, systemID, name, f)
	if errors.Is(err, store.ErrWALConflict) && strings.HasSuffix(name, ".partial") {
		fmt.Fprintf(log, "wal-push %s: the archive holds another timeline's end of this segment; kept (no recovery reads a .partial file)\n", name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("wal-push %s: %w", name, err)
	}
	return nil
}

// FetchRetry bounds wal-fetch's retries of an archive that cannot be read:
// long enough to ride out a blip (a MinIO restart), short enough that a
// real outage stops the recovery visibly within seconds.
const FetchRetry = 10 * time.Second

// FetchWAL writes the WAL file name archived by the cluster systemID to
// dest (Postgres's %p), through a temporary file renamed into place, so
// that Postgres never reads a half-written segment. An absent file
// (store.ErrNoWAL) is answered at once; any other failure is retried with a
// growing pause until retryFor has passed, then returned.
func FetchWAL(ctx context.Context, a WALArchive, systemID, name, dest string, retryFor time.Duration) error {
	if !store.ValidWALName(name) {
		return fmt.Errorf("wal-fetch: %q is not a WAL file name", name)
	}
	tmp := dest + ".firedrill-fetch"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("wal-fetch: %w", err)
	}
	done := false
	defer func() {
		f.Close()
		if !done {
			os.Remove(tmp)
		}
	}()
	deadline := time.Now().Add(retryFor)
	pause := 250 * time.Millisecond
	for {
		err = fetchOnce(ctx, a, systemID, name, f, deadline)
		if err == nil || errors.Is(err, store.ErrNoWAL) || !time.Now().Add(pause).Before(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
	if err != nil {
		return fmt.Errorf("wal-fetch %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("wal-fetch %s: %w", name, err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return fmt.Errorf("wal-fetch %s: %w", name, err)
	}
	done = true
	return nil
}

// fetchOnce is one try of FetchWAL into f, emptied first (a failed try can
// leave part of the file). The try is bounded by the retry deadline: a
// partitioned storage never answers.
func fetchOnce(ctx context.Context, a WALArchive, systemID, name string, f *os.File, deadline time.Time) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	return a.GetWAL(ctx, systemID, name, f)
}

// ArchiveSystemID is the system identifier whose archive wal-push and
// wal-fetch use: flag (`--system-id`) when it is set, else the one in
// dataDir's pg_control (Postgres spawns archive_command and
// restore_command in the data directory, so dataDir is "."); neither is an
// error that says so. The archive is namespaced by cluster because another
// cluster (a fresh initdb, as a logical restore makes) writes segments
// under the names the old one archived, and one flat archive would refuse
// them for good (docs/architecture.md, "WAL archiving and point-in-time
// recovery").
func ArchiveSystemID(flag, dataDir string) (string, error) {
	if flag != "" {
		if !store.ValidSystemID(flag) {
			return "", fmt.Errorf("--system-id %q: want the cluster's system identifier in decimal digits", flag)
		}
		return flag, nil
	}
	id, err := pgwal.ReadSystemID(dataDir)
	if err != nil {
		abs, _ := filepath.Abs(dataDir)
		return "", fmt.Errorf("the cluster's system identifier is unknown: no --system-id, and no readable %s in %s (Postgres runs the command in its data directory): %w", pgwal.ControlFile, abs, err)
	}
	return id, nil
}
