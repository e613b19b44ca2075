package jobs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/dr/jobs/pgwal"
	"github.com/firedrill/firedrill/dr/store"
)

func TestBasebackupPoint(t *testing.T) {
	// pg_basebackup -v's standard error, Postgres 15.
	stderr := `pg_basebackup: initiating base backup, waiting for checkpoint to complete
pg_basebackup: checkpoint completed
pg_basebackup: write-ahead log start point: 0/2000028 on timeline 1
pg_basebackup: write-ahead log end point: 0/2000100
pg_basebackup: base backup completed
`
	p := newBasebackupProgress()
	// In pieces that cut lines, as a pipe delivers them.
	for len(stderr) > 0 {
		n := min(7, len(stderr))
		p.Write([]byte(stderr[:n]))
		stderr = stderr[n:]
	}
	if r := p.positions(); r != (baseInfo{start: 0x2000028, stop: 0x2000100, timeline: 1}) {
		t.Errorf("positions = %+v", r)
	}
	if which, lsn, tli, ok := BasebackupPoint("pg_basebackup: transaction log start point: 1/A0 on timeline 12"); !ok || which != "start" || lsn != 1<<32|0xA0 || tli != 12 {
		t.Errorf("pre-10 wording: %s %s %d %v", which, lsn, tli, ok)
	}
	if _, _, _, ok := BasebackupPoint("pg_basebackup: checkpoint completed"); ok {
		t.Error("a line without a point was read as one")
	}
}

func TestInspectBaseTar(t *testing.T) {
	// The first and last files of pg_basebackup -Ft -D - (Postgres 15).
	label := "START WAL LOCATION: 0/5000028 (file 000000020000000000000005)\nCHECKPOINT LOCATION: 0/5000060\n" +
		"BACKUP METHOD: streamed\nBACKUP FROM: primary\nSTART TIME: 2026-12-02 07:50:40 UTC\nLABEL: firedrill-x\nSTART TIMELINE: 2\n"
	manifest := `{ "PostgreSQL-Backup-Manifest-Version": 1,
"Files": [ { "Path": "PG_VERSION", "Size": 3 } ],
"WAL-Ranges": [ { "Timeline": 2, "Start-LSN": "0/5000028", "End-LSN": "0/5000138" } ],
"Manifest-Checksum": "x"}`
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct{ name, body string }{{"backup_label", label}, {"PG_VERSION", "15\n"},
		{"global/pg_control", string(controlFile(7301234567890123456))}, {"backup_manifest", manifest}}
	for _, f := range files {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o600, Size: int64(len(f.body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(f.body))
	}
	tw.Close()
	ins := newTarInspector()
	// Written in pieces, as the stream passes.
	for b := buf.Bytes(); len(b) > 0; b = b[min(1000, len(b)):] {
		ins.Write(b[:min(1000, len(b))])
	}
	ins.Close()
	r, err := ins.positions()
	want := baseInfo{start: 0x5000028, stop: 0x5000138, timeline: 2, startFile: "000000020000000000000005", systemID: "7301234567890123456"}
	if err != nil || r != want {
		t.Errorf("positions = %+v, %v; want %+v", r, err, want)
	}
	if s := pgwal.SegmentSizeOf(uint32(r.timeline), r.start, r.startFile); s != pgwal.DefaultSegmentSize {
		t.Errorf("segment size of the label = %d", s)
	}
	if _, err := ParseBackupLabel("LABEL: x\n"); err == nil {
		t.Error("a label without a start was accepted")
	}
	if got := (baseInfo{start: 1}).or(baseInfo{start: 2, stop: 3, timeline: 4, startFile: "f", systemID: "5"}); got != (baseInfo{1, 3, 4, "f", "5"}) {
		t.Errorf("or = %+v", got)
	}
}

func TestParseTarget(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
	for _, tc := range []struct {
		in   string
		want Target
	}{
		{"", Target{Kind: TargetLatest}},
		{"latest", Target{Kind: TargetLatest}},
		{"time:2026-03-04T05:06:07.123456789Z", Target{Kind: TargetTime, Time: at}},
		{"lsn:0/3000060", Target{Kind: TargetLSN, LSN: 0x3000060}},
		{"name:before-drop", Target{Kind: TargetName, Name: "before-drop"}},
		{"name:a:b", Target{Kind: TargetName, Name: "a:b"}},
	} {
		got, err := ParseTarget(tc.in)
		if err != nil || got.Kind != tc.want.Kind || !got.Time.Equal(tc.want.Time) || got.LSN != tc.want.LSN || got.Name != tc.want.Name {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if tc.in != "" && !strings.HasPrefix(tc.in, "time:") && got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
	for _, bad := range []string{"now", "time:", "time:yesterday", "lsn:3000060", "name:", "xid:5", "name:" + strings.Repeat("n", 64)} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted", bad)
		}
	}
}

func TestRecoverySettings(t *testing.T) {
	const cmd = "/opt/firedrill/firedrill agent wal-fetch %f %p"
	common := "restore_command = '" + cmd + "'\nrecovery_target_timeline = 'latest'\nrecovery_target_action = 'promote'\n"
	for _, tc := range []struct {
		target Target
		want   string
	}{
		{Target{Kind: TargetLatest}, ""},
		// Rounded up to the microsecond, so that inclusive=false keeps
		// exactly the commits before the target.
		{Target{Kind: TargetTime, Time: time.Date(2026, 3, 4, 5, 6, 7, 123456001, time.FixedZone("x", 3600))},
			"recovery_target_time = '2026-03-04 04:06:07.123457+00'\nrecovery_target_inclusive = 'false'\n"},
		{Target{Kind: TargetTime, Time: time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)},
			"recovery_target_time = '2026-03-04 05:06:07.123456+00'\nrecovery_target_inclusive = 'false'\n"},
		{Target{Kind: TargetLSN, LSN: 0x3000060}, "recovery_target_lsn = '0/3000060'\n"},
		{Target{Kind: TargetName, Name: "it's"}, "recovery_target_name = 'it''s'\n"},
	} {
		got := RecoverySettings(tc.target, cmd)
		body := got[strings.Index(got, "\n")+1:]
		if !strings.HasPrefix(got, "# ") || body != common+tc.want {
			t.Errorf("RecoverySettings(%s) =\n%s\nwant (after the comment)\n%s", tc.target, got, common+tc.want)
		}
	}
}

func TestCanReach(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m := store.Manifest{ID: "b", SnapshotTime: t0, End: t0.Add(3 * time.Second), SnapshotLSN: "0/2000028", StopLSN: "0/2000100", Timeline: 1}
	for _, tc := range []struct {
		name   string
		target Target
		newest uint32
		hist   []pgwal.TimelineSwitch
		want   bool
	}{
		{"latest", Target{Kind: TargetLatest}, 0, nil, true},
		{"time after the backup ended", Target{Kind: TargetTime, Time: t0.Add(3 * time.Second)}, 0, nil, true},
		{"time during the backup", Target{Kind: TargetTime, Time: t0.Add(time.Second)}, 0, nil, false},
		{"lsn at the stop", Target{Kind: TargetLSN, LSN: 0x2000100}, 0, nil, true},
		{"lsn before the stop", Target{Kind: TargetLSN, LSN: 0x20000FF}, 0, nil, false},
		{"name", Target{Kind: TargetName, Name: "x"}, 0, nil, true},
		{"newest timeline branched after the backup", Target{Kind: TargetLatest}, 2, []pgwal.TimelineSwitch{{Timeline: 1, Switch: 0x5000000}}, true},
		{"newest timeline branched before the backup", Target{Kind: TargetLatest}, 2, []pgwal.TimelineSwitch{{Timeline: 1, Switch: 0x1000000}}, false},
	} {
		if got := CanReach(m, tc.target, tc.newest, tc.hist); got != tc.want {
			t.Errorf("%s: CanReach = %v, want %v", tc.name, got, tc.want)
		}
	}
	noStop := m
	noStop.StopLSN = ""
	if CanReach(noStop, Target{Kind: TargetLatest}, 0, nil) {
		t.Error("a backup without a stop LSN can reach nothing")
	}
}

// memCatalog is an in-memory catalog of physical backups and WAL.
type memCatalog struct {
	entries []store.Entry
	data    map[string][]byte            // by backup id
	wal     map[string]map[string][]byte // by system identifier, then name
	fetched []string                     // backup ids Fetch was asked for
}

// testSystem is the system identifier of memCatalog's backups unless a
// test says otherwise.
const testSystem = "7301234567890123456"

func (c *memCatalog) Put(context.Context, store.Manifest, io.Reader, ...store.PutOption) (store.Manifest, error) {
	return store.Manifest{}, errors.New("read-only")
}
func (c *memCatalog) List(context.Context, string) ([]store.Entry, error) { return c.entries, nil }
func (c *memCatalog) Retain(context.Context, string, int) ([]string, error) {
	return nil, errors.New("read-only")
}
func (c *memCatalog) Fetch(_ context.Context, m store.Manifest, w io.WriterAt) (int64, error) {
	c.fetched = append(c.fetched, m.ID)
	b := c.data[m.ID]
	if _, err := w.WriteAt(b, 0); err != nil {
		return 0, err
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != m.SHA256 {
		return int64(len(b)), fmt.Errorf("sha256 differs: %w", store.ErrCorrupt)
	}
	return int64(len(b)), nil
}
func (c *memCatalog) ListWAL(_ context.Context, systemID string) ([]string, error) {
	var names []string
	for n := range c.wal[systemID] {
		names = append(names, n)
	}
	slices.Sort(names) // as the store lists them
	return names, nil
}
func (c *memCatalog) GetWAL(_ context.Context, systemID, name string, w io.Writer) error {
	b, ok := c.wal[systemID][name]
	if !ok {
		return store.ErrNoWAL
	}
	_, err := w.Write(b)
	return err
}

// addWAL archives a WAL file of system.
func (c *memCatalog) addWAL(system, name, body string) {
	if c.wal[system] == nil {
		c.wal[system] = map[string][]byte{}
	}
	c.wal[system][name] = []byte(body)
}

// controlFile is a pg_control file of Postgres 15 (version 1300) of the
// cluster id, as an amd64 or arm64 server writes it: little-endian.
func controlFile(id uint64) []byte {
	b := make([]byte, 8192)
	binary.LittleEndian.PutUint64(b, id)
	binary.LittleEndian.PutUint32(b[8:], 1300)
	return b
}

// add puts a backup of testSystem whose tar holds PG_VERSION with version,
// newest last.
func (c *memCatalog) add(t *testing.T, id, version, stop string, end time.Time, corrupt bool) {
	c.addOf(t, testSystem, id, version, stop, end, corrupt)
}

// addOf is add for a backup of system, whose manifest and pg_control name
// it; system "" is a manifest without one (a backup taken before the WAL
// archive was kept per cluster).
func (c *memCatalog) addOf(t *testing.T, system, id, version, stop string, end time.Time, corrupt bool) {
	t.Helper()
	control := controlFile(7)
	if system != "" {
		v, err := strconv.ParseUint(system, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		control = controlFile(v)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "global/", Mode: 0o700, Typeflag: tar.TypeDir, ModTime: end})
	for _, f := range []struct{ name, body string }{{"PG_VERSION", version}, {"postgresql.auto.conf", "# primary's\n"}, {"backup_manifest", "{}"},
		{"global/pg_control", string(control)}} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o600, Size: int64(len(f.body)), Typeflag: tar.TypeReg, ModTime: end})
		tw.Write([]byte(f.body))
	}
	tw.WriteHeader(&tar.Header{Name: "pg_wal/", Mode: 0o700, Typeflag: tar.TypeDir, ModTime: end})
	tw.Close()
	zw.Close()
	sum := sha256.Sum256(buf.Bytes())
	m := store.Manifest{ID: id, Kind: store.KindPhysical, Object: "physical/" + id + "/base.tar.gz", StopLSN: stop, Timeline: 1,
		SystemID: system, End: end, Size: int64(buf.Len()), SHA256: hex.EncodeToString(sum[:])}
	data := buf.Bytes()
	if corrupt {
		data = bytes.Clone(data)
		data[len(data)/2] ^= 0xFF
	}
	c.data[id] = data
	c.entries = append([]store.Entry{{ID: id, Kind: store.KindPhysical, Manifest: &m}}, c.entries...)
}

func TestPhysicalRestoreSkipsCorruptAndUnreachable(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cat := &memCatalog{data: map[string][]byte{}, wal: map[string]map[string][]byte{}}
	cat.add(t, "20260101T120000.000Z", "old", "0/2000100", t0, false)
	cat.add(t, "20260101T120100.000Z", "middle", "0/4000100", t0.Add(time.Minute), true)
	cat.add(t, "20260101T120200.000Z", "newest", "0/6000100", t0.Add(2*time.Minute), false)
	cat.entries = append([]store.Entry{{ID: "20260101T120300.000Z", Kind: store.KindPhysical, Incomplete: true}}, cat.entries...)

	// A time between the middle and the newest backup: the newest cannot
	// reach it, the middle is corrupt, the oldest is restored.
	dir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	target := Target{Kind: TargetTime, Time: t0.Add(90 * time.Second)}
	m, err := PhysicalRestore{PGData: dir, Target: target, Store: cat, TmpDir: t.TempDir(), Out: &out}.Run(context.Background())
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out.String())
	}
	if m.ID != "20260101T120000.000Z" {
		t.Errorf("restored %s, want the oldest", m.ID)
	}
	var types []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		r, ok := Parse(line)
		if !ok {
			t.Fatalf("not a report line: %q", line)
		}
		types = append(types, r.Type+":"+r.Phase+":"+r.BackupID)
	}
	want := "rejected::20260101T120100.000Z phase:download:20260101T120000.000Z phase:extract:20260101T120000.000Z result::20260101T120000.000Z"
	if strings.Join(types, " ") != want {
		t.Errorf("reports %v, want %s", types, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "PG_VERSION")); string(b) != "old" {
		t.Errorf("PG_VERSION = %q", b)
	}
	auto, _ := os.ReadFile(filepath.Join(dir, "postgresql.auto.conf"))
	if !strings.HasPrefix(string(auto), "# primary's\n") || !strings.HasSuffix(string(auto), RecoverySettings(target, DefaultRestoreCommand)) {
		t.Errorf("postgresql.auto.conf:\n%s", auto)
	}
	for _, f := range []string{"recovery.signal", "pg_wal/archive_status"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "backup_manifest")); !errors.Is(err, os.ErrNotExist) {
		t.Error("backup_manifest left in the data directory")
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v", st.Mode().Perm())
	}

	// A second restore into the same directory is refused.
	if _, err := (PhysicalRestore{PGData: dir, Store: cat, Out: io.Discard}).Run(context.Background()); err == nil {
		t.Error("restored over a cluster")
	}
	// Latest, with a timeline 2 that branched before the newest backup's
	// end: only the oldest follows it.
	cat.addWAL(testSystem, "00000002.history", "1\t0/3000000\tno recovery target specified\n")
	m, err = PhysicalRestore{PGData: filepath.Join(t.TempDir(), "d2"), Store: cat, Out: io.Discard}.Run(context.Background())
	if err != nil || m.ID != "20260101T120000.000Z" {
		t.Errorf("latest across timeline 2: %s, %v", m.ID, err)
	}
	// Nothing reaches an LSN before every backup's end.
	_, err = PhysicalRestore{PGData: filepath.Join(t.TempDir(), "d3"), Target: Target{Kind: TargetLSN, LSN: 0x1000000}, Store: cat, Out: io.Discard}.Run(context.Background())
	if err == nil {
		t.Error("restored a backup that cannot reach the target")
	}
}

// Every setting a restore writes to reach its target is one the harness
// resets once the node is promoted: a replica cloned from it would stop
// at the same target otherwise.
func TestRecoveryTargetSettingsCoverEveryTargetSetting(t *testing.T) {
	for _, target := range []Target{{Kind: TargetLatest}, {Kind: TargetTime, Time: time.Now()}, {Kind: TargetLSN, LSN: 1}, {Kind: TargetName, Name: "n"}} {
		for _, line := range strings.Split(RecoverySettings(target, DefaultRestoreCommand), "\n") {
			key, _, ok := strings.Cut(line, " = ")
			if !ok || strings.HasPrefix(line, "#") || key == "restore_command" {
				continue
			}
			if !slices.Contains(RecoveryTargetSettings, key) {
				t.Errorf("%s writes %s, which RecoveryTargetSettings lacks", target, key)
			}
		}
	}
}

// retainingCatalog is memCatalog with retention: Retain applies
// store.ChooseDeletions to its entries (or fails with retainErr), DeleteWAL
// removes archived WAL.
type retainingCatalog struct {
	memCatalog
	retainErr error
}

func (c *retainingCatalog) Retain(_ context.Context, _ string, keep int) ([]string, error) {
	if c.retainErr != nil {
		return nil, c.retainErr
	}
	doomed := store.ChooseDeletions(c.entries, keep)
	c.entries = slices.DeleteFunc(c.entries, func(e store.Entry) bool { return slices.Contains(doomed, e.ID) })
	return doomed, nil
}

func (c *retainingCatalog) DeleteWAL(_ context.Context, systemID string, names []string) (int, error) {
	for _, n := range names {
		delete(c.wal[systemID], n)
	}
	return len(names), nil
}

func TestRetainPhysicalDeletesTheWALNoKeptBackupNeeds(t *testing.T) {
	const sysA, sysB = testSystem, "7309999999999999999"
	newCatalog := func() *retainingCatalog {
		c := &retainingCatalog{memCatalog: memCatalog{data: map[string][]byte{}, wal: map[string]map[string][]byte{}}}
		for _, b := range []struct{ id, sys, start string }{
			{"20260101T120000.000Z", sysA, "0/2000028"},
			{"20260101T120100.000Z", sysA, "0/5000028"},
			{"20260101T120200.000Z", sysB, "0/1000028"},
			{"20260101T120300.000Z", sysA, "0/9000028"},
		} {
			m := store.Manifest{ID: b.id, Kind: store.KindPhysical, SystemID: b.sys, SnapshotLSN: b.start}
			c.entries = append([]store.Entry{{ID: b.id, Kind: store.KindPhysical, Manifest: &m}}, c.entries...)
		}
		for seg := 1; seg <= 9; seg++ {
			c.addWAL(sysA, fmt.Sprintf("00000001%016X", seg), "")
		}
		for _, n := range []string{"000000010000000000000002.00000028.backup", "000000010000000000000004.partial", "00000002.history"} {
			c.addWAL(sysA, n, "")
		}
		for _, n := range []string{"000000010000000000000001", "000000010000000000000002"} {
			c.addWAL(sysB, n, "")
		}
		return c
	}
	names := func(c *retainingCatalog, sys string) []string {
		n, _ := c.ListWAL(context.Background(), sys)
		return n
	}
	ctx := context.Background()
	newest := *newCatalog().entries[0].Manifest

	c := newCatalog()
	detail := retainPhysical(ctx, c, newest, pgwal.DefaultSegmentSize, 3)
	wantA := []string{"000000010000000000000005", "000000010000000000000006", "000000010000000000000007", "000000010000000000000008",
		"000000010000000000000009", "00000002.history"}
	if got := names(c, sysA); !slices.Equal(got, wantA) {
		t.Errorf("system A's WAL after keep 3: %q, want %q", got, wantA)
	}
	if got := names(c, sysB); len(got) != 2 {
		t.Errorf("system B's WAL was touched: %q", got)
	}
	for _, want := range []string{"retention: keep 3, deleted 20260101T120000.000Z",
		"WAL of system " + sysA + ": deleted 6 files before segment position 0000000000000005 (000000010000000000000001 … 000000010000000000000004.partial)"} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail %q lacks %q", detail, want)
		}
	}

	for _, tc := range []struct {
		name    string
		keep    int
		segSize uint64
		fail    error
		say     string
	}{
		{"keep 0", 0, pgwal.DefaultSegmentSize, nil, ""},
		{"unknown segment size", 3, 0, nil, "WAL retention skipped"},
		{"base-backup retention failed", 3, pgwal.DefaultSegmentSize, errors.New("storage down"), "WAL retention skipped"},
	} {
		c := newCatalog()
		c.retainErr = tc.fail
		detail := retainPhysical(ctx, c, newest, tc.segSize, tc.keep)
		if len(names(c, sysA)) != 12 || !strings.Contains(detail, tc.say) || (tc.say == "" && detail != "") {
			t.Errorf("%s: %d WAL files left of 12, detail %q", tc.name, len(names(c, sysA)), detail)
		}
	}
}

func TestPhysicalRestoreReadsEachBackupsOwnArchive(t *testing.T) {
	const sysB = "7309999999999999999"
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cat := &memCatalog{data: map[string][]byte{}, wal: map[string]map[string][]byte{}}
	cat.add(t, "20260101T120000.000Z", "A", "0/2000100", t0, false)
	// System B: another cluster (a node restored from a logical backup),
	// whose WAL positions start over.
	cat.addOf(t, sysB, "20260101T120100.000Z", "B", "0/6000100", t0.Add(time.Minute), false)
	// System A's timeline 2 branched before B's backup ended; it is no
	// part of B's history.
	cat.addWAL(testSystem, "00000002.history", "1\t0/3000000\tno recovery target specified\n")
	restore := func(id string) (store.Manifest, error) {
		return PhysicalRestore{PGData: filepath.Join(t.TempDir(), "data"), ID: id, Store: cat, TmpDir: t.TempDir(), Out: io.Discard}.Run(context.Background())
	}
	if m, err := restore(""); err != nil || m.ID != "20260101T120100.000Z" || m.SystemID != sysB {
		t.Errorf("latest: %s of %s, %v; want system B's backup", m.ID, m.SystemID, err)
	}
	if m, err := restore("20260101T120000.000Z"); err != nil || m.SystemID != testSystem {
		t.Errorf("system A's backup along its timeline 2: %+v, %v", m, err)
	}
	// B's own timeline 2 branched before its backup ended: B's backup
	// cannot follow it, A's is restored.
	cat.addWAL(sysB, "00000002.history", "1\t0/5000000\tno recovery target specified\n")
	if m, err := restore(""); err != nil || m.ID != "20260101T120000.000Z" {
		t.Errorf("latest with B's own history: %s, %v; want system A's backup", m.ID, err)
	}

	// A manifest without a system id: refused, saying so, and not
	// downloaded; no archive is guessed for it.
	const legacy = "20260101T120200.000Z"
	cat.addOf(t, "", legacy, "legacy", "0/7000100", t0.Add(2*time.Minute), false)
	cat.fetched = nil
	_, err := restore("")
	if err == nil || !strings.Contains(err.Error(), "system_id") || !strings.Contains(err.Error(), legacy) || slices.Contains(cat.fetched, legacy) {
		t.Errorf("a manifest without a system id: %v (fetched %v)", err, cat.fetched)
	}
	// One that cannot reach the target is passed over as any other.
	target := Target{Kind: TargetTime, Time: t0.Add(90 * time.Second)}
	m, err := PhysicalRestore{PGData: filepath.Join(t.TempDir(), "data"), Target: target, Store: cat, Out: io.Discard}.Run(context.Background())
	if err != nil || m.ID != "20260101T120000.000Z" {
		t.Errorf("a target before the legacy backup's end: %s, %v", m.ID, err)
	}
	// A manifest that names another cluster than the backup's pg_control
	// (system 7).
	cat.entries[0].Manifest.SystemID = "7300000000000000001"
	if _, err := restore(legacy); err == nil || !strings.Contains(err.Error(), "names system 7,") {
		t.Errorf("pg_control of system 7 under a manifest of another: %v", err)
	}
}
