package pgwal

import (
	"slices"
	"testing"
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

func TestParseName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want File
	}{
		{"000000010000000000000003", File{Kind: Segment, Timeline: 1, Log: 0, Seg: 3}},
		{"0000000200000001000000FF", File{Kind: Segment, Timeline: 2, Log: 1, Seg: 0xFF}},
		{"000000010000000000000005.partial", File{Kind: Partial, Timeline: 1, Seg: 5}},
		{"000000010000000000000002.00000028.backup", File{Kind: BackupHistory, Timeline: 1, Seg: 2, Offset: 0x28}},
		{"0000000A.history", File{Kind: History, Timeline: 10}},
	} {
		got, err := ParseName(tc.name)
		tc.want.Name = tc.name
		if err != nil || got != tc.want {
			t.Errorf("ParseName(%q) = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "00000001000000000000003", "000000010000000000000003.gz", "../000000010000000000000003", "0000000g0000000000000003", "RECOVERYXLOG"} {
		if _, err := ParseName(bad); err == nil {
			t.Errorf("ParseName(%q) accepted", bad)
		}
	}
}

func TestSortOrdersByTimelineThenPosition(t *testing.T) {
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
	for _, f := range Sort(in) {
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
		t.Errorf("Sort =\n%q\nwant\n%q", got, want)
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

func TestSegmentSizeOf(t *testing.T) {
	for _, tc := range []struct {
		lsn  LSN
		file string
		want uint64
	}{
		{0x5000028, "000000010000000000000005", 16 << 20},
		{0x5000028, "000000010000000000000001", 64 << 20},
		{0x5000028, "000000010000000000000050", 1 << 20},
		// The start of a log: every size names the same file; the largest
		// is taken, whose positions are never after the true ones.
		{1<<32 | 0x28, "000000010000000100000000", 1 << 30},
		{0x5000028, "000000010000000000000006", 0},
		{0x5000028, "000000020000000000000005", 0}, // another timeline
	} {
		if got := SegmentSizeOf(1, tc.lsn, tc.file); got != tc.want {
			t.Errorf("SegmentSizeOf(%s, %s) = %d, want %d", tc.lsn, tc.file, got, tc.want)
		}
	}
}
