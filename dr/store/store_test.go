package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewIDSortsByTimeAndIsValid(t *testing.T) {
	base := time.Date(2025, 3, 9, 23, 59, 59, 998_000_000, time.FixedZone("X", 3600))
	var ids []string
	for i := range 4 {
		ids = append(ids, NewID(base.Add(time.Duration(i)*time.Millisecond)))
	}
	if ids[0] != "20250309T225959.998Z" {
		t.Fatalf("NewID = %q, want UTC with milliseconds", ids[0])
	}
	if !slices.IsSorted(ids) {
		t.Fatalf("ids do not sort by time: %v", ids)
	}
	for _, id := range ids {
		if !ValidID(id) {
			t.Errorf("ValidID(%q) = false", id)
		}
	}
	for _, bad := range []string{"", "20250309T225959Z", "../20250309T225959.998Z", "20251309T225959.998Z", "20250309T225959.998Z/x"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestKeysFollowTheBucketLayout(t *testing.T) {
	id := "20250101T000000.000Z"
	for kind, want := range map[string]string{
		KindLogical:  "logical/" + id + "/dump.pgc",
		KindPhysical: "physical/" + id + "/base.tar.gz",
		KindFiles:    "files/" + id + "/uploads.tar.gz",
	} {
		if got := Key(kind, id, DefaultObject(kind)); got != want {
			t.Errorf("%s: key %q, want %q", kind, got, want)
		}
	}
	if got := walKey("7301234567890123456", "000000010000000000000002"); got != "wal/7301234567890123456/000000010000000000000002.gz" {
		t.Errorf("walKey = %q", got)
	}
}

func TestManifestJSONFieldsAndRoundTrip(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	m := Manifest{Version: 1, ID: NewID(at), Kind: KindPhysical, Object: "physical/x/base.tar.gz",
		Start: at, End: at.Add(time.Second), SnapshotTime: at, SnapshotLSN: "0/2000028", StopLSN: "0/2000100",
		Timeline: 1, Size: 42, SHA256: "ab"}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "id", "kind", "object", "start", "end", "snapshot_time", "snapshot_lsn", "stop_lsn", "timeline", "size", "sha256"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("field %q missing from %s", k, b)
		}
	}
	for _, k := range []string{"database", "postgres_version", "files"} {
		if _, ok := fields[k]; ok {
			t.Errorf("empty field %q not omitted in %s", k, b)
		}
	}
	got := parseManifest(b, KindPhysical, m.ID)
	if got == nil || !got.Start.Equal(m.Start) || got.StopLSN != m.StopLSN || got.Size != 42 {
		t.Fatalf("round trip: got %+v, want %+v", got, m)
	}
	if parseManifest(b, KindLogical, m.ID) != nil {
		t.Error("a manifest of another kind is accepted")
	}
	if parseManifest(b, KindPhysical, "20990101T000000.000Z") != nil {
		t.Error("a manifest of another id is accepted")
	}
	if parseManifest([]byte("{not json"), KindPhysical, m.ID) != nil {
		t.Error("broken JSON is accepted")
	}
}

func entries(spec string) []Entry {
	// spec: newest first, "c" complete or "i" incomplete per entry; ids
	// count down so the order is newest first.
	var es []Entry
	for i, c := range spec {
		id := NewID(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(len(spec)-i) * time.Second))
		e := Entry{ID: id, Kind: KindLogical, Incomplete: c == 'i'}
		if c == 'c' {
			e.Manifest = &Manifest{ID: id}
		}
		es = append(es, e)
	}
	return es
}

func TestChooseDeletions(t *testing.T) {
	for _, tc := range []struct {
		spec string
		keep int
		want []int // indexes into spec
	}{
		{"ccccc", 2, []int{2, 3, 4}},
		{"cc", 3, nil},
		{"icici", 1, []int{2, 3, 4}}, // the newest incomplete may be running; the older ones go
		{"iccic", 2, []int{3, 4}},
		{"ici", 2, nil}, // fewer than keep complete: nothing goes, not even old incomplete ones
		{"", 1, nil},
	} {
		es := entries(tc.spec)
		var want []string
		for _, i := range tc.want {
			want = append(want, es[i].ID)
		}
		if got := ChooseDeletions(es, tc.keep); !slices.Equal(got, want) {
			t.Errorf("%q keep %d: deleted %v, want %v", tc.spec, tc.keep, got, want)
		}
	}
}

func TestVerifyDetectsMismatch(t *testing.T) {
	data := []byte(strings.Repeat("backup bytes ", 1000))
	sum := sha256.Sum256(data)
	m := Manifest{Object: "logical/x/dump.pgc", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	if err := Verify(m, bytes.NewReader(data)); err != nil {
		t.Fatalf("intact data: %v", err)
	}
	flipped := bytes.Clone(data)
	flipped[500] ^= 0xff
	err := Verify(m, bytes.NewReader(flipped))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "sha256") || !strings.Contains(err.Error(), m.SHA256) {
		t.Fatalf("flipped byte: %v, want ErrCorrupt naming the expected sha256", err)
	}
	err = Verify(m, bytes.NewReader(data[:len(data)-1]))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "size") {
		t.Fatalf("truncated: %v, want ErrCorrupt about size", err)
	}
}

// memWriterAt is an io.WriterAt without ReadAt, for the sequential path.
type memWriterAt struct{ b []byte }

func (m *memWriterAt) WriteAt(p []byte, off int64) (int, error) {
	if need := int(off) + len(p); need > len(m.b) {
		m.b = append(m.b, make([]byte, need-len(m.b))...)
	}
	return copy(m.b[off:], p), nil
}

func TestHashingWriterAtHashesInOrderAndRefusesGaps(t *testing.T) {
	w := &hashingWriterAt{w: &memWriterAt{}, h: sha256.New()}
	for i, part := range []string{"abc", "def"} {
		if _, err := w.WriteAt([]byte(part), int64(3*i)); err != nil {
			t.Fatal(err)
		}
	}
	want := sha256.Sum256([]byte("abcdef"))
	if got := hex.EncodeToString(w.h.Sum(nil)); got != hex.EncodeToString(want[:]) {
		t.Fatalf("hash %s, want %x", got, want)
	}
	if _, err := w.WriteAt([]byte("x"), 100); err == nil {
		t.Fatal("a write out of order is accepted")
	}
}

func TestConfigFromEnvNamesTheMissingVariable(t *testing.T) {
	t.Setenv("FIREDRILL_S3_ENDPOINT", "http://minio:9000")
	t.Setenv("FIREDRILL_S3_BUCKET", "b")
	t.Setenv("FIREDRILL_S3_ACCESS_KEY", "user")
	t.Setenv("FIREDRILL_S3_SECRET_KEY", "")
	t.Setenv("FIREDRILL_S3_REGION", "")
	_, err := ConfigFromEnv()
	if err == nil || !strings.Contains(err.Error(), "FIREDRILL_S3_SECRET_KEY") {
		t.Fatalf("err = %v, want one naming FIREDRILL_S3_SECRET_KEY", err)
	}
	t.Setenv("FIREDRILL_S3_SECRET_KEY", "hunter2")
	cfg, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != DefaultRegion || cfg.SecretKey != "hunter2" || cfg.Endpoint != "http://minio:9000" {
		t.Fatalf("cfg = %+v", cfg)
	}
}

func TestValidWALName(t *testing.T) {
	for _, ok := range []string{"000000010000000000000002", "00000002.history", "000000010000000000000002.00000028.backup", "000000010000000000000002.partial"} {
		if !ValidWALName(ok) {
			t.Errorf("ValidWALName(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "pg_wal/000000010000000000000002", "00000001000000000000002", "000000010000000000000002.gz", "x.history"} {
		if ValidWALName(bad) {
			t.Errorf("ValidWALName(%q) = true", bad)
		}
	}
}

func TestValidSystemID(t *testing.T) {
	for _, ok := range []string{"7301234567890123456", "1", "18446744073709551615"} {
		if !ValidSystemID(ok) {
			t.Errorf("ValidSystemID(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "0", "07301234567890123456", "18446744073709551616", "-1", "+5", "12a", "1/2", "../1", "1 ", "7301234567890123456/x"} {
		if ValidSystemID(bad) {
			t.Errorf("ValidSystemID(%q) = true", bad)
		}
	}
}

// Nothing but a valid system identifier and WAL name reaches a key: the
// store refuses the call before any request (its client is nil here).
func TestWALCallsValidateTheirKey(t *testing.T) {
	s := &Store{}
	ctx := t.Context()
	const seg = "000000010000000000000002"
	for _, sys := range []string{"", "../logical", "12x"} {
		if err := s.PutWAL(ctx, sys, seg, strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "system identifier") {
			t.Errorf("PutWAL(system %q): %v", sys, err)
		}
		if err := s.GetWAL(ctx, sys, seg, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "system identifier") {
			t.Errorf("GetWAL(system %q): %v", sys, err)
		}
		if _, err := s.ListWAL(ctx, sys); err == nil || !strings.Contains(err.Error(), "system identifier") {
			t.Errorf("ListWAL(system %q): %v", sys, err)
		}
		if _, err := s.DeleteWAL(ctx, sys, []string{seg}); err == nil || !strings.Contains(err.Error(), "system identifier") {
			t.Errorf("DeleteWAL(system %q): %v", sys, err)
		}
	}
	if _, err := s.DeleteWAL(ctx, "7301234567890123456", []string{seg, "../x"}); err == nil || !strings.Contains(err.Error(), "invalid name") {
		t.Errorf("DeleteWAL of a bad name: %v", err)
	}
}
