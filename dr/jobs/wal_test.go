package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/dr/store"
)

func TestParseLSN(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want LSN
	}{{"0/2000028", 0x2000028}, {"1/0", 1 << 32}, {"A/FF", 0xA000000FF}, {" 0/16B3748 ", 0x16B3748}} {
		got, err := ParseLSN(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseLSN(%q) = %X, %v; want %X", tc.in, uint64(got), err, uint64(tc.want))
		}
	}
	for _, bad := range []string{"", "0", "0/", "/1", "g/1", "1/100000000", "0x1/2"} {
		if _, err := ParseLSN(bad); err == nil {
			t.Errorf("ParseLSN(%q) accepted", bad)
		}
	}
	if s := LSN(0xA000000FF).String(); s != "A/FF" {
		t.Errorf("String = %s", s)
	}
}

func TestParseWALName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want WALFile
	}{
		{"000000010000000000000003", WALFile{Kind: WALSegment, Timeline: 1, Log: 0, Seg: 3}},
		{"0000000200000001000000FF", WALFile{Kind: WALSegment, Timeline: 2, Log: 1, Seg: 0xFF}},
		{"000000010000000000000005.partial", WALFile{Kind: WALPartial, Timeline: 1, Seg: 5}},
		{"000000010000000000000002.00000028.backup", WALFile{Kind: WALBackupHistory, Timeline: 1, Seg: 2, Offset: 0x28}},
		{"0000000A.history", WALFile{Kind: WALHistory, Timeline: 10}},
	} {
		got, err := ParseWALName(tc.name)
		tc.want.Name = tc.name
		if err != nil || got != tc.want {
			t.Errorf("ParseWALName(%q) = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "00000001000000000000003", "000000010000000000000003.gz", "../000000010000000000000003", "0000000g0000000000000003", "RECOVERYXLOG"} {
		if _, err := ParseWALName(bad); err == nil {
			t.Errorf("ParseWALName(%q) accepted", bad)
		}
	}
}

func TestSortWALOrdersByTimelineThenPosition(t *testing.T) {
	in := []string{
		"000000020000000000000005",
		"000000010000000100000000",
		"00000002.history",
		"000000010000000000000005.partial",
		"0000000100000000000000FF",
		"000000010000000000000005",
		"000000010000000000000002.00000028.backup",
		"not-wal",
		"000000010000000000000002",
	}
	var got []string
	for _, f := range SortWAL(in) {
		got = append(got, f.Name)
	}
	want := []string{
		"000000010000000000000002",
		"000000010000000000000002.00000028.backup",
		"000000010000000000000005",
		"000000010000000000000005.partial",
		"0000000100000000000000FF",
		"000000010000000100000000",
		"00000002.history",
		"000000020000000000000005",
	}
	if !slices.Equal(got, want) {
		t.Errorf("SortWAL =\n%q\nwant\n%q", got, want)
	}
}

func TestSegmentName(t *testing.T) {
	for _, tc := range []struct {
		tli  uint32
		lsn  LSN
		want string
	}{
		{1, 0x2000028, "000000010000000000000002"},
		{1, 0x1FFFFFF, "000000010000000000000001"},
		{3, 1<<32 | 0xFF000000, "0000000300000001000000FF"},
	} {
		if got := SegmentName(tc.tli, tc.lsn, DefaultSegmentSize); got != tc.want {
			t.Errorf("SegmentName(%d, %s) = %s, want %s", tc.tli, tc.lsn, got, tc.want)
		}
	}
	// 64 MiB segments: 64 per 4 GiB.
	if got := SegmentName(1, 1<<32|0x8000000, 64<<20); got != "000000010000000100000002" {
		t.Errorf("64MiB segments: %s", got)
	}
}

func TestParseTimelineHistory(t *testing.T) {
	// As Postgres writes 00000003.history: one line per ancestor.
	text := "1\t0/3000000\tno recovery target specified\n\n# comment\n2\t0/5000A28\tbefore 2026-01-02 03:04:05.123456+00\n"
	h, err := ParseTimelineHistory(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []TimelineSwitch{{1, 0x3000000, "no recovery target specified"}, {2, 0x5000A28, "before 2026-01-02 03:04:05.123456+00"}}
	if !slices.Equal(h, want) {
		t.Errorf("history = %+v, want %+v", h, want)
	}
	for _, bad := range []string{"1", "x\t0/1\tr", "1\tzz\tr", "2\t0/5\tr\n1\t0/6\tr", "1\t0/6\tr\n1\t0/7\tr"} {
		if _, err := ParseTimelineHistory(bad); err == nil {
			t.Errorf("ParseTimelineHistory(%q) accepted", bad)
		}
	}
}

func TestFollowsTo(t *testing.T) {
	// Timeline 3 branched from 2 at 0/5000000, which branched from 1 at 0/3000000.
	h := []TimelineSwitch{{1, 0x3000000, ""}, {2, 0x5000000, ""}}
	for _, tc := range []struct {
		tli  uint32
		stop LSN
		want bool
	}{
		{3, 0x9000000, true},  // on the target timeline itself
		{1, 0x2000100, true},  // timeline 1 consistent before it ended
		{1, 0x3000000, true},  // exactly at the switch
		{1, 0x3000001, false}, // timeline 1 went on past the branch: not an ancestor there
		{2, 0x4000000, true},
		{2, 0x6000000, false},
		{4, 0x1000000, false}, // not in the history at all
	} {
		if got := FollowsTo(3, h, tc.tli, tc.stop); got != tc.want {
			t.Errorf("FollowsTo(3, tli %d, stop %s) = %v, want %v", tc.tli, tc.stop, got, tc.want)
		}
	}
}

func TestNewestTimeline(t *testing.T) {
	tli, file := NewestTimeline([]string{"000000010000000000000001", "00000002.history", "0000000A.history", "00000003.history"})
	if tli != 10 || file != "0000000A.history" {
		t.Errorf("NewestTimeline = %d %s", tli, file)
	}
	if tli, file := NewestTimeline([]string{"000000010000000000000001"}); tli != 0 || file != "" {
		t.Errorf("no history: %d %q", tli, file)
	}
}

func TestFetchExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{fmt.Errorf("wal-fetch x: %w", store.ErrNoWAL), 1},
		{errors.New("connection refused"), 126},
		{context.DeadlineExceeded, 126},
		{fmt.Errorf("x: %w", store.ErrWALConflict), 126},
	} {
		if got := FetchExitCode(tc.err); got != tc.want {
			t.Errorf("FetchExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	// Postgres stops recovery on an exit status above 125 and ends it on
	// any other failure: the mapping must stay on the right side.
	if ExitWALUnavailable <= 125 || ExitWALAbsent > 125 {
		t.Errorf("exit codes %d/%d on the wrong side of 125", ExitWALAbsent, ExitWALUnavailable)
	}
}

// fakeArchive is an in-memory archive whose reads fail failures times
// before they work.
type fakeArchive struct {
	files    map[string][]byte
	failures int
	gets     int
}

func (a *fakeArchive) PutWAL(_ context.Context, name string, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if have, ok := a.files[name]; ok && !bytes.Equal(have, b) {
		return store.ErrWALConflict
	}
	a.files[name] = b
	return nil
}

func (a *fakeArchive) GetWAL(ctx context.Context, name string, w io.Writer) error {
	a.gets++
	if a.failures > 0 {
		a.failures--
		w.Write([]byte("half a segm")) // a try that fails part way
		return errors.New("connection reset")
	}
	b, ok := a.files[name]
	if !ok {
		return store.ErrNoWAL
	}
	_, err := w.Write(b)
	return err
}

func TestPushAndFetchWAL(t *testing.T) {
	dir := t.TempDir()
	seg := filepath.Join(dir, "000000010000000000000003")
	if err := os.WriteFile(seg, []byte("segment bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &fakeArchive{files: map[string][]byte{}}
	ctx := context.Background()
	var log bytes.Buffer
	if err := PushWAL(ctx, a, seg, &log); err != nil {
		t.Fatal(err)
	}
	if err := PushWAL(ctx, a, seg, &log); err != nil {
		t.Errorf("pushing the same segment again: %v", err)
	}
	os.WriteFile(seg, []byte("other bytes"), 0o600)
	if err := PushWAL(ctx, a, seg, &log); !errors.Is(err, store.ErrWALConflict) {
		t.Errorf("a segment with other contents: %v, want ErrWALConflict", err)
	}
	partial := seg + ".partial"
	a.files[filepath.Base(partial)] = []byte("another timeline's end")
	os.WriteFile(partial, []byte("this timeline's end"), 0o600)
	if err := PushWAL(ctx, a, partial, &log); err != nil || !strings.Contains(log.String(), "kept") {
		t.Errorf("a partial segment in conflict: %v, log %q", err, log.String())
	}
	bad := filepath.Join(dir, "postmaster.pid")
	os.WriteFile(bad, nil, 0o600)
	if err := PushWAL(ctx, a, bad, &log); err == nil {
		t.Error("pushed a file that is not WAL")
	}
	os.WriteFile(seg, []byte("segment bytes"), 0o600)

	dest := filepath.Join(dir, "RECOVERYXLOG")
	a.failures = 2
	if err := FetchWAL(ctx, a, "000000010000000000000003", dest, 5*time.Second); err != nil {
		t.Fatalf("fetch after two failed tries: %v", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "segment bytes" {
		t.Errorf("fetched %q: the failed tries' bytes must not stay", b)
	}
	if a.gets != 3 {
		t.Errorf("%d tries, want 3", a.gets)
	}

	a.gets = 0
	err := FetchWAL(ctx, a, "000000010000000000000004", filepath.Join(dir, "absent"), 5*time.Second)
	if FetchExitCode(err) != ExitWALAbsent || a.gets != 1 {
		t.Errorf("absent segment: %v after %d tries; want ErrNoWAL at once", err, a.gets)
	}
	if _, err := os.Stat(filepath.Join(dir, "absent")); !errors.Is(err, os.ErrNotExist) {
		t.Error("an absent segment left a file at the destination")
	}

	a.failures = 1000
	err = FetchWAL(ctx, a, "000000010000000000000003", filepath.Join(dir, "down"), 600*time.Millisecond)
	if FetchExitCode(err) != ExitWALUnavailable {
		t.Errorf("storage down: %v, want exit %d", err, ExitWALUnavailable)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "down*"))
	if len(left) > 0 {
		t.Errorf("a failed fetch left %v", left)
	}
}
