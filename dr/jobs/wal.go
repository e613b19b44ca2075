package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/dr/store"
)

// WAL archiving and point-in-time recovery (docs/architecture.md, "WAL
// archiving and point-in-time recovery"): Postgres's archive_command is
// `firedrill agent wal-push %p` and the restore_command of a physical
// restore `firedrill agent wal-fetch %f %p`. Both are spawned by Postgres,
// once per file, so they do nothing but the one transfer.

// WALArchive is what the WAL commands need of the backup store.
type WALArchive interface {
	PutWAL(ctx context.Context, name string, r io.Reader) error
	GetWAL(ctx context.Context, name string, w io.Writer) error
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
// data directory, which is the archiver's working directory). It returns
// nil only once the object is stored: Postgres then may recycle the file.
//
// One conflict is let pass, said on log: a partial segment (the unfinished
// last segment of the timeline a promotion left) that the archive holds
// with other contents. Two restores from one archive to different points
// each end the same segment of the old timeline at their own point; no
// recovery ever reads a .partial file (the new timeline's first segment
// holds its contents), and refusing it would stop the node's archiving for
// good, since the archiver retries the oldest file first.
func PushWAL(ctx context.Context, a WALArchive, path string, log io.Writer) error {
	name := filepath.Base(path)
	if !store.ValidWALName(name) {
		return fmt.Errorf("wal-push: %q is not a WAL file name", name)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("wal-push: %w", err)
	}
	defer f.Close()
	err = a.PutWAL(ctx, name, f)
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

// FetchWAL writes the archived WAL file name to dest (Postgres's %p),
// through a temporary file renamed into place, so that Postgres never reads
// a half-written segment. An absent file (store.ErrNoWAL) is answered at
// once; any other failure is retried with a growing pause until retryFor
// has passed, then returned.
func FetchWAL(ctx context.Context, a WALArchive, name, dest string, retryFor time.Duration) error {
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
		err = fetchOnce(ctx, a, name, f, deadline)
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
func fetchOnce(ctx context.Context, a WALArchive, name string, f *os.File, deadline time.Time) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	return a.GetWAL(ctx, name, f)
}

// LSN is a position in the WAL.
type LSN uint64

// ParseLSN reads Postgres's text form of an LSN, X/Y in hex.
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	if ok {
		h, err1 := strconv.ParseUint(hi, 16, 32)
		l, err2 := strconv.ParseUint(lo, 16, 32)
		if err1 == nil && err2 == nil {
			return LSN(h<<32 | l), nil
		}
	}
	return 0, fmt.Errorf("LSN %q: want X/Y in hex", s)
}

func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint32(l)) }

// WAL file kinds, as named in the archive.
const (
	WALSegment       = "segment"        // 000000010000000000000003
	WALPartial       = "partial"        // 000000010000000000000003.partial: the last, unfinished segment of a timeline a promotion ended
	WALBackupHistory = "backup-history" // 000000010000000000000003.00000028.backup: start and stop of a base backup
	WALHistory       = "history"        // 00000002.history: the timelines a timeline branched from
)

// WALFile is a parsed archive name.
type WALFile struct {
	Name     string
	Kind     string
	Timeline uint32
	// Log and Seg are the segment's two halves (zero for a history file):
	// the segment starts at LSN Log<<32 + Seg×segment size.
	Log, Seg uint32
	// Offset is a backup history file's start LSN within its segment.
	Offset uint32
}

// ParseWALName reads an archived WAL file name.
func ParseWALName(name string) (WALFile, error) {
	if !store.ValidWALName(name) {
		return WALFile{}, fmt.Errorf("%q is not a WAL file name", name)
	}
	hex := func(s string) uint32 { v, _ := strconv.ParseUint(s, 16, 32); return uint32(v) }
	f := WALFile{Name: name, Timeline: hex(name[:8])}
	if strings.HasSuffix(name, ".history") {
		f.Kind = WALHistory
		return f, nil
	}
	f.Log, f.Seg = hex(name[8:16]), hex(name[16:24])
	switch rest := name[24:]; {
	case rest == "":
		f.Kind = WALSegment
	case rest == ".partial":
		f.Kind = WALPartial
	default: // .XXXXXXXX.backup, as ValidWALName allows
		f.Kind, f.Offset = WALBackupHistory, hex(rest[1:9])
	}
	return f, nil
}

// walKindOrder puts, within one segment, the segment before its partial
// and backup history files; history files come before a timeline's
// segments (Postgres reads a timeline's history before its WAL).
var walKindOrder = map[string]int{WALHistory: 0, WALSegment: 1, WALPartial: 2, WALBackupHistory: 3}

// CompareWAL orders WAL files by timeline, then position, then kind.
func CompareWAL(a, b WALFile) int {
	if a.Timeline != b.Timeline {
		return cmpUint(a.Timeline, b.Timeline)
	}
	if a.Kind == WALHistory || b.Kind == WALHistory {
		return walKindOrder[a.Kind] - walKindOrder[b.Kind]
	}
	if c := cmpUint(uint64(a.Log)<<32|uint64(a.Seg), uint64(b.Log)<<32|uint64(b.Seg)); c != 0 {
		return c
	}
	if c := walKindOrder[a.Kind] - walKindOrder[b.Kind]; c != 0 {
		return c
	}
	return cmpUint(a.Offset, b.Offset)
}

func cmpUint[T uint32 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// SortWAL parses names (skipping what is not a WAL file name) and orders
// them with CompareWAL.
func SortWAL(names []string) []WALFile {
	var out []WALFile
	for _, n := range names {
		if f, err := ParseWALName(n); err == nil {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, CompareWAL)
	return out
}

// SegmentName is the name of the segment of timeline tli that holds lsn,
// with segments of segSize bytes (16 MiB unless initdb was told otherwise).
func SegmentName(tli uint32, lsn LSN, segSize uint64) string {
	segNo := uint64(lsn) / segSize
	perLog := uint64(1<<32) / segSize
	return fmt.Sprintf("%08X%08X%08X", tli, segNo/perLog, segNo%perLog)
}

// DefaultSegmentSize is Postgres's WAL segment size unless initdb was told
// otherwise (the official image does not).
const DefaultSegmentSize = 16 << 20

// TimelineSwitch is one line of a timeline history file: timeline
// Timeline ended at LSN Switch, where its child began.
type TimelineSwitch struct {
	Timeline uint32
	Switch   LSN
	Reason   string
}

// ParseTimelineHistory reads a timeline history file (<tli>.history): one
// line per ancestor, oldest first, "parentTLI<tab>switchpoint<tab>reason";
// blank lines and # comments are allowed, as Postgres allows them.
func ParseTimelineHistory(text string) ([]TimelineSwitch, error) {
	var out []TimelineSwitch
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) < 2 {
			fields = strings.Fields(line)
		}
		if len(fields) < 2 {
			return nil, fmt.Errorf("timeline history line %d: %q: want timeline and switch point", i+1, line)
		}
		tli, err := strconv.ParseUint(strings.TrimSpace(fields[0]), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("timeline history line %d: timeline %q", i+1, fields[0])
		}
		lsn, err := ParseLSN(fields[1])
		if err != nil {
			return nil, fmt.Errorf("timeline history line %d: %w", i+1, err)
		}
		// Only the timelines must increase, as Postgres checks: a
		// recovery that stopped on an ancestor before the newest timeline
		// branched writes its parent's history with a smaller switch point
		// after it.
		if len(out) > 0 && uint32(tli) <= out[len(out)-1].Timeline {
			return nil, fmt.Errorf("timeline history line %d: timelines must increase", i+1)
		}
		sw := TimelineSwitch{Timeline: uint32(tli), Switch: lsn}
		if len(fields) == 3 {
			sw.Reason = strings.TrimSpace(fields[2])
		}
		out = append(out, sw)
	}
	return out, nil
}

// FollowsTo reports whether recovery can go from a base backup taken on
// timeline tli, consistent at stop, to timeline target whose history is
// history: tli must be target itself or one of its ancestors, left no
// earlier than stop (Postgres refuses a backup whose timeline branched off
// before the backup was consistent: "requested timeline is not a child of
// this server's history").
func FollowsTo(target uint32, history []TimelineSwitch, tli uint32, stop LSN) bool {
	if tli == target {
		return true
	}
	for _, sw := range history {
		if sw.Timeline == tli {
			return stop <= sw.Switch
		}
	}
	return false
}

// NewestTimeline is the highest timeline with a history file among names
// (the one recovery_target_timeline='latest' follows), and 0 when there is
// none (every segment is on timeline 1).
func NewestTimeline(names []string) (tli uint32, historyFile string) {
	for _, f := range SortWAL(names) {
		if f.Kind == WALHistory && f.Timeline >= tli {
			tli, historyFile = f.Timeline, f.Name
		}
	}
	return tli, historyFile
}
