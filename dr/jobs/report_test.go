package jobs

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/dr/store"
)

func TestEmitParseRoundTrip(t *testing.T) {
	at := time.Date(2025, 5, 1, 12, 0, 0, 123_000_000, time.UTC)
	in := Report{Type: TypeResult, Phase: PhaseAmcheck, Start: at, End: at.Add(time.Second), Bytes: 7,
		BackupID: "20250501T120000.123Z", Manifest: &store.Manifest{ID: "20250501T120000.123Z", Kind: store.KindLogical, Size: 7},
		Amcheck: &Amcheck{Indexes: 3, Corrupt: []string{"public.t_pkey"}}}
	var buf bytes.Buffer
	if err := Emit(&buf, in); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	if !strings.HasPrefix(line, LinePrefix) || strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("not one prefixed line: %q", line)
	}
	out, ok := Parse(strings.TrimSuffix(line, "\n"))
	if !ok {
		t.Fatalf("Parse(%q) = false", line)
	}
	if out.Type != in.Type || !out.Start.Equal(at) || out.Manifest == nil || out.Manifest.Size != 7 ||
		out.Amcheck == nil || out.Amcheck.Corrupt[0] != "public.t_pkey" || out.BackupID != in.BackupID {
		t.Fatalf("round trip: %+v", out)
	}
}

func TestEmitOmitsZeroTimes(t *testing.T) {
	var buf bytes.Buffer
	if err := Emit(&buf, Report{Type: TypeError, Detail: "boom"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "0001-01-01") {
		t.Fatalf("zero time printed: %s", buf.String())
	}
}

func TestParseRefusesOtherLines(t *testing.T) {
	for _, l := range []string{"", "pg_dump: dumping contents", "FIREDRILL-JOB not json", "FIREDRILL-JOB {}", `FIREDRILL-JOB {"type":`} {
		if _, ok := Parse(l); ok {
			t.Errorf("Parse(%q) = true", l)
		}
	}
	if r, ok := Parse(`2025-05-01T12:00:00Z FIREDRILL-JOB {"type":"phase","phase":"download"}` + "\r"); !ok || r.Phase != PhaseDownload {
		t.Errorf("a report behind a log timestamp: %+v %v", r, ok)
	}
}
