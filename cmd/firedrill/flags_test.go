package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

func TestCheckRunFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ok := runFlags{color: "auto", settle: 3 * time.Second, repeat: 1}
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
		{"repeat 0", func(f *runFlags) { f.repeat = 0 }, "--repeat 0: want 1 to 1000"},
		{"repeat 5", func(f *runFlags) { f.repeat = 5 }, ""},
		{"history under a file", func(f *runFlags) { f.history = filepath.Join(file, "h") }, "--history " + filepath.Join(file, "h") + ": "},
		{"json report", func(f *runFlags) { f.reportFiles = map[string]*string{"json": ptr(filepath.Join(dir, "r.json"))} }, ""},
		{"report is a directory", func(f *runFlags) { f.reportFiles = map[string]*string{"json": ptr(dir)} }, "it is a directory; give a file name"},
		{"managers", func(f *runFlags) { f.manager = "builtin,none" }, ""},
		{"unknown manager", func(f *runFlags) { f.manager = "builtin,patrony" },
			`--manager: unknown failover manager "patrony"; the managers are builtin, patroni, pg_auto_failover, none`},
		{"manager and no-failover", func(f *runFlags) { f.manager, f.noFailover = "builtin", true }, "--no-failover is --manager none: give one of them, not both"},
		{"report under a file", func(f *runFlags) { f.reportFiles = map[string]*string{"json": ptr(filepath.Join(file, "r"))} }, "a-file is a file, not a directory"},
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
		{"run", "--repeat", "0", "primary-kill"},
		{"run", "--junit", filepath.Join(file, "junit.xml"), "primary-kill"},
		{"run", "--manager", "builtin,patrony", "primary-kill"},
		{"run", "--manager", "none", "--no-failover", "primary-kill"},
	} {
		code, _, errOut := run(t, args...)
		if code != firedrill.ExitUsage || strings.Contains(errOut, "Docker is not reachable") {
			t.Errorf("%v: exit %d, want 2 without reaching Docker:\n%s", args, code, errOut)
		}
	}
}

// What this build does not run under a manager is refused before anything
// starts, every scenario at once, through the engine's Unsupported check:
// WAL archiving and recovery plans under a stack.
func TestRunRefusesWhatTheEngineDoesNotRunUnderAManager(t *testing.T) {
	noDocker(t)
	code, _, errOut := run(t, "run", "--manager", "builtin,patroni", "pitr", "primary-kill")
	if code != firedrill.ExitUsage || strings.Contains(errOut, "Docker is not reachable") {
		t.Fatalf("exit %d, want 2 without reaching Docker:\n%s", code, errOut)
	}
	for _, want := range []string{
		"dr.backups[0].kind: a physical backup (its WAL archiving) under the failover manager patroni is not executed by this build's engine yet",
		"dr.recovery.database: the database recovery plan under the failover manager patroni",
		"firedrill: this build cannot run pitr-patroni yet",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "pitr-builtin") || strings.Contains(errOut, "primary-kill-patroni") {
		t.Errorf("a runnable combination refused:\n%s", errOut)
	}
}

func ptr(s string) *string { return &s }
