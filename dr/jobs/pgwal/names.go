package pgwal

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/firedrill/firedrill/dr/store"
)

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
	Segment       = "segment"        // 000000010000000000000003
	Partial       = "partial"        // 000000010000000000000003.partial: the last, unfinished segment of a timeline a promotion ended
	BackupHistory = "backup-history" // 000000010000000000000003.00000028.backup: start and stop of a base backup
	History       = "history"        // 00000002.history: the timelines a timeline branched from
)

// File is a parsed archive name.
type File struct {
	Name     string
	Kind     string
	Timeline uint32
	// Log and Seg are the segment's two halves (zero for a history file):
	// the segment starts at LSN Log<<32 + Seg×segment size.
	Log, Seg uint32
	// Offset is a backup history file's start LSN within its segment.
	Offset uint32
}

// position is the file's place in the WAL whatever its timeline: the log
// and segment halves of its name (its last 16 hex digits) as one number.
func (f File) position() uint64 { return uint64(f.Log)<<32 | uint64(f.Seg) }

// ParseName reads an archived WAL file name.
func ParseName(name string) (File, error) {
	if !store.ValidWALName(name) {
		return File{}, fmt.Errorf("%q is not a WAL file name", name)
	}
	hex := func(s string) uint32 { v, _ := strconv.ParseUint(s, 16, 32); return uint32(v) }
	f := File{Name: name, Timeline: hex(name[:8])}
	if strings.HasSuffix(name, ".history") {
		f.Kind = History
		return f, nil
	}
	f.Log, f.Seg = hex(name[8:16]), hex(name[16:24])
	switch rest := name[24:]; {
	case rest == "":
		f.Kind = Segment
	case rest == ".partial":
		f.Kind = Partial
	default: // .XXXXXXXX.backup, as ValidWALName allows
		f.Kind, f.Offset = BackupHistory, hex(rest[1:9])
	}
	return f, nil
}

// kindOrder puts, within one segment, the segment before its partial
// and backup history files; history files come before a timeline's
// segments (Postgres reads a timeline's history before its WAL).
var kindOrder = map[string]int{History: 0, Segment: 1, Partial: 2, BackupHistory: 3}

// Compare orders WAL files by timeline, then position, then kind.
func Compare(a, b File) int {
	if a.Timeline != b.Timeline {
		return cmp.Compare(a.Timeline, b.Timeline)
	}
	if a.Kind == History || b.Kind == History {
		return kindOrder[a.Kind] - kindOrder[b.Kind]
	}
	if c := cmp.Compare(a.position(), b.position()); c != 0 {
		return c
	}
	if c := kindOrder[a.Kind] - kindOrder[b.Kind]; c != 0 {
		return c
	}
	return cmp.Compare(a.Offset, b.Offset)
}

// Sort parses names (skipping what is not a WAL file name) and orders
// them with Compare.
func Sort(names []string) []File {
	var out []File
	for _, n := range names {
		if f, err := ParseName(n); err == nil {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, Compare)
	return out
}

// SegmentName is the name of the segment of timeline tli that holds lsn,
// with segments of segSize bytes (16 MiB unless initdb was told otherwise).
func SegmentName(tli uint32, lsn LSN, segSize uint64) string {
	log, seg := segmentOf(lsn, segSize)
	return fmt.Sprintf("%08X%08X%08X", tli, log, seg)
}

// segmentOf is the log and segment halves of the name of the segment that
// holds lsn.
func segmentOf(lsn LSN, segSize uint64) (log, seg uint32) {
	segNo := uint64(lsn) / segSize
	perLog := uint64(1<<32) / segSize
	return uint32(segNo / perLog), uint32(segNo % perLog)
}

// Postgres's WAL segment sizes: the powers of two from 1 MiB to 1 GiB
// (initdb --wal-segsize).
const (
	minSegmentSize = 1 << 20
	maxSegmentSize = 1 << 30
)

func validSegmentSize(s uint64) bool {
	return s >= minSegmentSize && s <= maxSegmentSize && s&(s-1) == 0
}

// SegmentSizeOf is the segment size under which lsn on timeline tli lies
// in the segment file, as a backup_label names both ("START WAL LOCATION:
// 0/5000028 (file 000000010000000000000005)"); 0 when no size fits. At the
// start of a log (X/0…) every size fits: the largest is taken, so that a
// position computed with it is never after the true one and retention
// errs on keeping WAL.
func SegmentSizeOf(tli uint32, lsn LSN, file string) uint64 {
	for s := uint64(maxSegmentSize); s >= minSegmentSize; s >>= 1 {
		if SegmentName(tli, lsn, s) == file {
			return s
		}
	}
	return 0
}

// DefaultSegmentSize is Postgres's WAL segment size unless initdb was told
// otherwise (the official image does not).
const DefaultSegmentSize = 16 << 20
