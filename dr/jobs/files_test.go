package jobs

import (
	"archive/tar"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The archive's round trip on the local file system: names, contents and
// modes come back, and an entry that would leave the directory is refused.
func TestTarGzRoundTrip(t *testing.T) {
	src := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "a", "b"), 0o755))
	must(os.WriteFile(filepath.Join(src, "top.txt"), []byte("top"), 0o640))
	must(os.WriteFile(filepath.Join(src, "a", "b", "deep.bin"), bytes.Repeat([]byte{0, 1, 2}, 10000), 0o600))
	must(os.WriteFile(filepath.Join(src, "a", "run.sh"), []byte("#!/bin/sh\n"), 0o755))
	must(os.Symlink("top.txt", filepath.Join(src, "link")))
	must(os.Chmod(filepath.Join(src, "a"), 0o750))

	var buf bytes.Buffer
	n, err := WriteTarGz(context.Background(), &buf, src)
	must(err)
	if n != 3 {
		t.Fatalf("archived %d files, want 3", n)
	}
	dst := t.TempDir()
	got, err := ExtractTarGz(context.Background(), bytes.NewReader(buf.Bytes()), dst)
	must(err)
	if got != 3 {
		t.Fatalf("extracted %d files, want 3", got)
	}
	if a, b := treeOf(t, src), treeOf(t, dst); a != b {
		t.Fatalf("trees differ:\n%s\nvs\n%s", a, b)
	}
}

// treeOf describes a tree: every path with its mode and content or link.
func treeOf(t *testing.T, dir string) string {
	t.Helper()
	var sb strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		sb.WriteString(rel + " " + info.Mode().String())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			sb.WriteString(" -> " + l)
		case info.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			sb.WriteString(" " + string(b[:min(len(b), 16)]))
		}
		sb.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

func TestSplitPasswordKeepsItOffTheCommandLine(t *testing.T) {
	for _, tc := range []struct{ in, rest, pw string }{
		{"postgres://app:s3cret@pg-primary:5432/app?sslmode=disable", "postgres://app@pg-primary:5432/app?sslmode=disable", "s3cret"},
		{"host=/var/run/postgresql user=app dbname=app", "host=/var/run/postgresql user=app dbname=app", ""},
		{"host=x password='pw' dbname=app", "host=x dbname=app", "pw"},
	} {
		rest, pw, err := SplitPassword(tc.in)
		if err != nil || rest != tc.rest || pw != tc.pw {
			t.Errorf("SplitPassword(%q) = %q, %q, %v; want %q, %q", tc.in, rest, pw, err, tc.rest, tc.pw)
		}
	}
	if _, _, err := SplitPassword("postgres://app:p%zz@h/db"); err == nil || strings.Contains(err.Error(), "p%zz") {
		t.Errorf("bad URL: %v (must fail without quoting the password)", err)
	}
}

// A file that vanished between the directory's listing and its reading
// (the app's temporary file, linked into place and removed) is left out,
// and leaves no header behind.
func TestArchiveEntrySkipsAVanishedFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".upload~tmp")
	if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("entries %v: %v", entries, err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	file, err := archiveEntry(tw, dir, p, entries[0])
	if err != nil || file {
		t.Fatalf("archiveEntry of a vanished file: file %v, err %v", file, err)
	}
	if err := tw.Flush(); err != nil || buf.Len() != 0 {
		t.Fatalf("%d bytes written for a vanished file (flush: %v)", buf.Len(), err)
	}
}

// A restore merges: the backup's files replace those of their names, and
// what arrived after the backup stays.
func TestExtractMergesIntoALiveDirectory(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	for name, body := range map[string]string{"a": "backed up a", "b": "backed up b"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := WriteTarGz(context.Background(), &buf, src); err != nil {
		t.Fatal(err)
	}
	// In dst: an upload made after the backup, and a stale a.
	for name, body := range map[string]string{"a": "stale", "new": "arrived after the backup"} {
		if err := os.WriteFile(filepath.Join(dst, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := ExtractTarGz(context.Background(), &buf, dst); err != nil || n != 2 {
		t.Fatalf("extract: %d files, %v", n, err)
	}
	want := map[string]string{"a": "backed up a", "b": "backed up b", "new": "arrived after the backup"}
	entries, _ := os.ReadDir(dst)
	if len(entries) != len(want) {
		t.Errorf("dst holds %d entries, want %d (no temporary file left)", len(entries), len(want))
	}
	for name, body := range want {
		got, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || string(got) != body {
			t.Errorf("%s: %q, %v; want %q", name, got, err, body)
		}
	}
}
