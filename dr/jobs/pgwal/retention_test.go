package pgwal

import (
	"slices"
	"testing"

	"github.com/firedrill/firedrill/dr/store"
)

func TestChooseDeletions(t *testing.T) {
	const sysA, sysB, sysC = "7301234567890123456", "7309999999999999999", "7300000000000000001"
	backup := func(id, sys, start string) store.Entry {
		return store.Entry{ID: id, Kind: store.KindPhysical, Manifest: &store.Manifest{ID: id, SystemID: sys, SnapshotLSN: start}}
	}
	kept := []store.Entry{
		{ID: "20260101T120500.000Z", Kind: store.KindPhysical, Incomplete: true}, // running
		backup("20260101T120400.000Z", sysA, "0/9000028"),
		backup("20260101T120300.000Z", sysB, "0/2000028"),
		backup("20260101T120200.000Z", sysA, "0/5000028"),
		backup("20260101T120100.000Z", "", "0/1000028"), // before system ids: no system's
	}
	kept[0].Manifest = &store.Manifest{SystemID: sysA, SnapshotLSN: "0/1000028"}
	names := []string{
		"000000010000000000000003",
		"000000010000000000000004",
		"000000010000000000000004.partial",
		"000000010000000000000004.00000028.backup",
		"000000010000000000000005",
		"000000010000000000000005.00000028.backup",
		"000000010000000000000005.partial",
		"00000002.history",
		"000000020000000000000003", // a later timeline, earlier in the WAL
		"000000020000000000000006",
		"00000003.history",
		"0000000300000000000000FF",
		"000000030000000100000000",
		"not-wal",
	}
	doomed, below, err := ChooseDeletions(sysA, names, kept, DefaultSegmentSize)
	want := []string{"000000010000000000000003", "000000010000000000000004", "000000010000000000000004.partial",
		"000000010000000000000004.00000028.backup", "000000020000000000000003"}
	if err != nil || !slices.Equal(doomed, want) || below != "0000000000000005" {
		t.Errorf("system A: %q below %s, %v; want %q below 0000000000000005", doomed, below, err, want)
	}
	// Another system's backups count for its own WAL only.
	doomed, below, err = ChooseDeletions(sysB, []string{"000000010000000000000001", "000000010000000000000002", "00000002.history"}, kept, DefaultSegmentSize)
	if err != nil || !slices.Equal(doomed, []string{"000000010000000000000001"}) || below != "0000000000000002" {
		t.Errorf("system B: %q below %s, %v", doomed, below, err)
	}
	// A system with no kept backup keeps everything: one may be running.
	if doomed, below, err := ChooseDeletions(sysC, names, kept, DefaultSegmentSize); err != nil || doomed != nil || below != "" {
		t.Errorf("system C: %q below %q, %v; want nothing", doomed, below, err)
	}
	// Positions compare across logs: a start in log 1.
	doomed, below, err = ChooseDeletions(sysA, names, []store.Entry{backup("20260101T120600.000Z", sysA, "1/20000028")}, DefaultSegmentSize)
	if err != nil || below != "0000000100000020" || !slices.Contains(doomed, "0000000300000000000000FF") || !slices.Contains(doomed, "000000030000000100000000") ||
		slices.Contains(doomed, "00000003.history") {
		t.Errorf("start in log 1: %q below %s, %v", doomed, below, err)
	}
	// 64 MiB segments: 0/9000028 is in segment 2.
	if _, below, err := ChooseDeletions(sysA, nil, kept[1:2], 64<<20); err != nil || below != "0000000000000002" {
		t.Errorf("64 MiB segments: below %s, %v", below, err)
	}
	if _, _, err := ChooseDeletions(sysA, names, kept, 3<<20); err == nil {
		t.Error("a segment size Postgres cannot have was taken")
	}
	if _, _, err := ChooseDeletions(sysA, names, []store.Entry{backup("20260101T120600.000Z", sysA, "")}, DefaultSegmentSize); err == nil {
		t.Error("a kept backup without a start was passed over: its WAL would go")
	}
}
