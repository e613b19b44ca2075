package main

import (
	"strings"
	"testing"
)

// TestRunProgressFlag: --progress takes auto, tty, plain or none, and a
// wrong value is a usage error (exit 2) before Docker is touched
// (DOCKER_HOST points nowhere: reaching Docker would give exit 3). The
// help says what each mode does.
func TestRunProgressFlag(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	code, _, errOut := run(t, "run", "--progress", "fancy", "primary-kill")
	if code != 2 || !strings.Contains(errOut, `--progress "fancy": want auto, tty, plain or none`) {
		t.Errorf("--progress fancy: exit %d, stderr %q; want 2 naming the modes", code, errOut)
	}
	_, help, _ := run(t, "run", "--help")
	for _, want := range []string{"--progress string", "tty redraws a status block", "NO_COLOR"} {
		if !strings.Contains(help, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
}
