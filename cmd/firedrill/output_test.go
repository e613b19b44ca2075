package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// A symlink planted where credentials.env goes is refused, and its target
// is left as it was.
func TestWriteOutputFileRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "credentials.env")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	err := writeOutputFile(link, modeCredentials, writeString("PGPASSWORD=secret\n"))
	if err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("err = %v, want a refusal naming the symlink", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "precious" {
		t.Fatalf("symlink target changed to %q", b)
	}
}

// A file that existed with a wider mode gets the mode asked for, and its
// old content is gone.
func TestWriteOutputFileSetsModeOfExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials.env")
	if err := os.WriteFile(path, []byte(strings.Repeat("old content ", 100)), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := writeOutputFile(path, modeCredentials, writeString("new\n")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Errorf("content %q, want %q", b, "new\n")
	}
}

// A FIFO in the output directory neither blocks the write nor is written.
func TestWriteOutputFileRefusesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "result.json")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- writeOutputFile(path, modeOutput, writeString("{}")) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "FIFO") {
			t.Fatalf("err = %v, want a refusal naming the FIFO", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("writing into a FIFO blocked")
	}
}

func TestCheckRunFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ok := runFlags{color: "auto", settle: 3 * time.Second}
	for _, c := range []struct {
		name string
		edit func(*runFlags)
		want string // "" means valid
	}{
		{"defaults", func(*runFlags) {}, ""},
		{"new out dir", func(f *runFlags) { f.out = filepath.Join(dir, "a", "b") }, ""},
		{"existing out dir", func(f *runFlags) { f.out = dir }, ""},
		{"color", func(f *runFlags) { f.color = "yes" }, `--color "yes": want auto, always or never`},
		{"negative settle", func(f *runFlags) { f.settle = -time.Second }, "--settle -1s: must not be negative"},
		{"huge settle", func(f *runFlags) { f.settle = 48 * time.Hour }, "--settle 48h0m0s: at most 1h0m0s"},
		{"out is a file", func(f *runFlags) { f.out = file }, "is a file, not a directory"},
		{"out under a file", func(f *runFlags) { f.out = filepath.Join(file, "x") }, "a-file is not a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := ok
			c.edit(&f)
			err := checkRunFlags(&f)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// Bad flags are usage errors found before Docker is reached.
func TestRunChecksFlagsBeforeTouchingDocker(t *testing.T) {
	noDocker(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"run", "--color", "sometimes", "primary-kill"},
		{"run", "--settle", "-5s", "primary-kill"},
		{"run", "--out", file, "primary-kill"},
	} {
		code, _, errOut := run(t, args...)
		if code != firedrill.ExitUsage || strings.Contains(errOut, "Docker is not reachable") {
			t.Errorf("%v: exit %d, want 2 without reaching Docker:\n%s", args, code, errOut)
		}
	}
}
