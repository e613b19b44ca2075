package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/dr/jobs/pgwal"
	"github.com/firedrill/firedrill/dr/store"
)

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
// before they work. Its files are keyed "<system id>/<name>", as the
// bucket's.
type fakeArchive struct {
	files    map[string][]byte
	failures int
	gets     int
}

func (a *fakeArchive) PutWAL(_ context.Context, systemID, name string, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	key := systemID + "/" + name
	if have, ok := a.files[key]; ok && !bytes.Equal(have, b) {
		return store.ErrWALConflict
	}
	a.files[key] = b
	return nil
}

func (a *fakeArchive) GetWAL(ctx context.Context, systemID, name string, w io.Writer) error {
	a.gets++
	if a.failures > 0 {
		a.failures--
		w.Write([]byte("half a segm")) // a try that fails part way
		return errors.New("connection reset")
	}
	b, ok := a.files[systemID+"/"+name]
	if !ok {
		return store.ErrNoWAL
	}
	_, err := w.Write(b)
	return err
}

func TestPushAndFetchWAL(t *testing.T) {
	const sys, other = "7301234567890123456", "7309999999999999999"
	dir := t.TempDir()
	seg := filepath.Join(dir, "000000010000000000000003")
	if err := os.WriteFile(seg, []byte("segment bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &fakeArchive{files: map[string][]byte{}}
	ctx := context.Background()
	var log bytes.Buffer
	if err := PushWAL(ctx, a, sys, seg, &log); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.files[sys+"/000000010000000000000003"]; !ok {
		t.Fatalf("pushed under %v, want the system's prefix", slices.Collect(maps.Keys(a.files)))
	}
	if err := PushWAL(ctx, a, sys, seg, &log); err != nil {
		t.Errorf("pushing the same segment again: %v", err)
	}
	os.WriteFile(seg, []byte("other bytes"), 0o600)
	if err := PushWAL(ctx, a, sys, seg, &log); !errors.Is(err, store.ErrWALConflict) {
		t.Errorf("a segment with other contents: %v, want ErrWALConflict", err)
	}
	// Another cluster's segment of the same name (a fresh initdb, as a
	// logical restore makes) is its own.
	if err := PushWAL(ctx, a, other, seg, &log); err != nil {
		t.Errorf("another cluster's segment of the same name: %v", err)
	}
	partial := seg + ".partial"
	a.files[sys+"/"+filepath.Base(partial)] = []byte("another timeline's end")
	os.WriteFile(partial, []byte("this timeline's end"), 0o600)
	if err := PushWAL(ctx, a, sys, partial, &log); err != nil || !strings.Contains(log.String(), "kept") {
		t.Errorf("a partial segment in conflict: %v, log %q", err, log.String())
	}
	bad := filepath.Join(dir, "postmaster.pid")
	os.WriteFile(bad, nil, 0o600)
	if err := PushWAL(ctx, a, sys, bad, &log); err == nil {
		t.Error("pushed a file that is not WAL")
	}
	os.WriteFile(seg, []byte("segment bytes"), 0o600)

	dest := filepath.Join(dir, "RECOVERYXLOG")
	if err := FetchWAL(ctx, a, other, "000000010000000000000003", dest, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "other bytes" {
		t.Errorf("fetched %q from the other cluster's archive", b)
	}
	a.failures = 2
	a.gets = 0
	if err := FetchWAL(ctx, a, sys, "000000010000000000000003", dest, 5*time.Second); err != nil {
		t.Fatalf("fetch after two failed tries: %v", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "segment bytes" {
		t.Errorf("fetched %q: the failed tries' bytes must not stay", b)
	}
	if a.gets != 3 {
		t.Errorf("%d tries, want 3", a.gets)
	}

	a.gets = 0
	err := FetchWAL(ctx, a, sys, "000000010000000000000004", filepath.Join(dir, "absent"), 5*time.Second)
	if FetchExitCode(err) != ExitWALAbsent || a.gets != 1 {
		t.Errorf("absent segment: %v after %d tries; want ErrNoWAL at once", err, a.gets)
	}
	if _, err := os.Stat(filepath.Join(dir, "absent")); !errors.Is(err, os.ErrNotExist) {
		t.Error("an absent segment left a file at the destination")
	}

	a.failures = 1000
	err = FetchWAL(ctx, a, sys, "000000010000000000000003", filepath.Join(dir, "down"), 600*time.Millisecond)
	if FetchExitCode(err) != ExitWALUnavailable {
		t.Errorf("storage down: %v, want exit %d", err, ExitWALUnavailable)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "down*"))
	if len(left) > 0 {
		t.Errorf("a failed fetch left %v", left)
	}
}

func TestArchiveSystemID(t *testing.T) {
	pgdata := t.TempDir()
	if err := os.Mkdir(filepath.Join(pgdata, "global"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pgdata, pgwal.ControlFile), controlFile(7301234567890123456), 0o600); err != nil {
		t.Fatal(err)
	}
	if id, err := ArchiveSystemID("", pgdata); err != nil || id != "7301234567890123456" {
		t.Errorf("from pg_control: %q, %v", id, err)
	}
	// The flag wins over the data directory.
	if id, err := ArchiveSystemID("42", pgdata); err != nil || id != "42" {
		t.Errorf("--system-id 42: %q, %v", id, err)
	}
	for _, bad := range []string{"../wal", "0x10", "-1", "0"} {
		if _, err := ArchiveSystemID(bad, pgdata); err == nil || !strings.Contains(err.Error(), "--system-id") {
			t.Errorf("--system-id %q: %v", bad, err)
		}
	}
	// Neither: a directory that is no data directory.
	if _, err := ArchiveSystemID("", t.TempDir()); err == nil || !strings.Contains(err.Error(), "--system-id") || !strings.Contains(err.Error(), pgwal.ControlFile) {
		t.Errorf("no pg_control: %v", err)
	}
}
