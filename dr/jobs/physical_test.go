package jobs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	if r := p.positions(); r != (walRange{start: 0x2000028, stop: 0x2000100, timeline: 1}) {
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
	for _, f := range []struct{ name, body string }{{"backup_label", label}, {"PG_VERSION", "15\n"}, {"backup_manifest", manifest}} {
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
	if err != nil || r != (walRange{start: 0x5000028, stop: 0x5000138, timeline: 2}) {
		t.Errorf("positions = %+v, %v", r, err)
	}
	if _, err := ParseBackupLabel("LABEL: x\n"); err == nil {
		t.Error("a label without a start was accepted")
	}
	if got := (walRange{start: 1}).or(walRange{start: 2, stop: 3, timeline: 4}); got != (walRange{1, 3, 4}) {
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
		hist   []TimelineSwitch
		want   bool
	}{
		{"latest", Target{Kind: TargetLatest}, 0, nil, true},
		{"time after the backup ended", Target{Kind: TargetTime, Time: t0.Add(3 * time.Second)}, 0, nil, true},
		{"time during the backup", Target{Kind: TargetTime, Time: t0.Add(time.Second)}, 0, nil, false},
		{"lsn at the stop", Target{Kind: TargetLSN, LSN: 0x2000100}, 0, nil, true},
		{"lsn before the stop", Target{Kind: TargetLSN, LSN: 0x20000FF}, 0, nil, false},
		{"name", Target{Kind: TargetName, Name: "x"}, 0, nil, true},
		{"newest timeline branched after the backup", Target{Kind: TargetLatest}, 2, []TimelineSwitch{{1, 0x5000000, ""}}, true},
		{"newest timeline branched before the backup", Target{Kind: TargetLatest}, 2, []TimelineSwitch{{1, 0x1000000, ""}}, false},
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
	data    map[string][]byte // by backup id
	wal     map[string][]byte
}

func (c *memCatalog) Put(context.Context, store.Manifest, io.Reader, ...store.PutOption) (store.Manifest, error) {
	return store.Manifest{}, errors.New("read-only")
}
func (c *memCatalog) List(context.Context, string) ([]store.Entry, error) { return c.entries, nil }
func (c *memCatalog) Retain(context.Context, string, int) ([]string, error) {
	return nil, errors.New("read-only")
}
func (c *memCatalog) Fetch(_ context.Context, m store.Manifest, w io.WriterAt) (int64, error) {
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
func (c *memCatalog) ListWAL(context.Context) ([]string, error) {
	var names []string
	for n := range c.wal {
		names = append(names, n)
	}
	return names, nil
}
func (c *memCatalog) GetWAL(_ context.Context, name string, w io.Writer) error {
	b, ok := c.wal[name]
	if !ok {
		return store.ErrNoWAL
	}
	_, err := w.Write(b)
	return err
}

// add puts a backup whose tar holds PG_VERSION with version, newest last.
func (c *memCatalog) add(t *testing.T, id, version, stop string, end time.Time, corrupt bool) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct{ name, body string }{{"PG_VERSION", version}, {"postgresql.auto.conf", "# primary's\n"}, {"backup_manifest", "{}"}} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o600, Size: int64(len(f.body)), Typeflag: tar.TypeReg, ModTime: end})
		tw.Write([]byte(f.body))
	}
	tw.WriteHeader(&tar.Header{Name: "pg_wal/", Mode: 0o700, Typeflag: tar.TypeDir, ModTime: end})
	tw.Close()
	zw.Close()
	sum := sha256.Sum256(buf.Bytes())
	m := store.Manifest{ID: id, Kind: store.KindPhysical, Object: "physical/" + id + "/base.tar.gz", StopLSN: stop, Timeline: 1,
		End: end, Size: int64(buf.Len()), SHA256: hex.EncodeToString(sum[:])}
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
	cat := &memCatalog{data: map[string][]byte{}, wal: map[string][]byte{}}
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
	cat.wal["00000002.history"] = []byte("1\t0/3000000\tno recovery target specified\n")
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
