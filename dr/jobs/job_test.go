package jobs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A tool that fails after writing part of its output must not look like
// a whole stream to the uploader: its failure comes in place of EOF.
func TestExitReaderReportsTheToolsFailureInPlaceOfEOF(t *testing.T) {
	boom := errors.New("pg_dump: exit status 1")
	r := &exitReader{r: strings.NewReader("partial dump"), wait: func() error { return boom }}
	got, err := io.ReadAll(r)
	if !errors.Is(err, boom) || string(got) != "partial dump" {
		t.Fatalf("ReadAll = %q, %v; want the bytes and the tool's error", got, err)
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, boom) {
		t.Fatalf("a read after the end: %v", err)
	}
	ok := &exitReader{r: strings.NewReader("whole"), wait: func() error { return nil }}
	if got, err := io.ReadAll(ok); err != nil || string(got) != "whole" {
		t.Fatalf("a tool that succeeded: %q, %v", got, err)
	}
}

func TestToolFailureCarriesRedactedStderrTail(t *testing.T) {
	tl := &tool{name: "pg_restore", password: "s3cret"}
	_, _ = tl.tail.Write([]byte(strings.Repeat("noise ", 2000)))
	_, _ = tl.tail.Write([]byte("FATAL: password authentication failed for s3cret\n"))
	err := tl.failed(errors.New("exit status 1"))
	msg := err.Error()
	if strings.Contains(msg, "s3cret") || !strings.Contains(msg, "password authentication failed for ***") {
		t.Fatalf("error %q: want the tail with the password redacted", msg)
	}
	if len(msg) > stderrTail+100 {
		t.Fatalf("error is %d bytes, want at most the tail", len(msg))
	}
}

func TestExtractRefusesEntriesOutsideTheDirectory(t *testing.T) {
	for _, name := range []string{"../escape", "/etc/passwd", "a/../../escape"} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		_ = tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
		_, _ = tw.Write([]byte("x"))
		_ = tw.Close()
		_ = zw.Close()
		root := t.TempDir()
		dir := filepath.Join(root, "uploads")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := ExtractTarGz(context.Background(), &buf, dir); err == nil {
			t.Errorf("entry %q extracted", name)
		}
		if _, err := os.Stat(filepath.Join(root, "escape")); err == nil {
			t.Errorf("entry %q wrote outside the directory", name)
		}
	}
}
