package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = execute(args, &o, &e)
	return code, o.String(), e.String()
}

func TestValidateBuiltinsAndBrokenFile(t *testing.T) {
	code, out, errOut := run(t, "validate", "primary-kill", "primary-kill-no-failover")
	if code != 0 || strings.Count(out, ": ok") != 2 {
		t.Fatalf("validate built-ins: exit %d\n%s%s", code, out, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: firedrill/v1\nname: x\nregions: [a]\n"), 0o644)
	code, _, errOut = run(t, "validate", bad)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errOut, bad+":3:1: regions: unknown field") {
		t.Fatalf("error lacks file:line:col and field:\n%s", errOut)
	}
}

func TestRunRejectsBadScenarioBeforeTouchingDocker(t *testing.T) {
	// A scenario error is exit 2 and is reported before any Docker call:
	// DOCKER_HOST points nowhere, so reaching Docker would give exit 3.
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	code, _, errOut := run(t, "run", "no-such-scenario")
	if code != 2 || !strings.Contains(errOut, "neither a built-in scenario nor a file") {
		t.Fatalf("exit %d, want 2:\n%s", code, errOut)
	}
}

func TestRunWithoutDockerIsInfrastructureError(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	code, _, errOut := run(t, "run", "primary-kill")
	if code != 3 || !strings.Contains(errOut, "Docker is not reachable") {
		t.Fatalf("exit %d, want 3:\n%s", code, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	if code, _, _ := run(t, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "run"); code != 2 {
		t.Errorf("run without a scenario: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "images", "build", "kettle"); code != 2 {
		t.Errorf("unknown image role: exit %d, want 2", code)
	}
}

func TestListShowsBuiltins(t *testing.T) {
	code, out, _ := run(t, "list")
	if code != 0 || !strings.Contains(out, "primary-kill ") || !strings.Contains(out, "primary-kill-no-failover") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// Without its connection strings the watcher refuses to start, before its
// first line, and never quotes what it was given.
func TestAgentWatchNeedsItsConnectionStrings(t *testing.T) {
	args := dr.WatcherCommand(dr.WatchSpec{Nodes: []string{"pg-primary"}, First: time.Now(), Interval: time.Second, Timeout: time.Second})
	t.Setenv(dr.EnvWatchDSNs, "")
	code, stdout, stderr := run(t, args...)
	if code != firedrill.ExitUsage || stdout != "" || !strings.Contains(stderr, dr.EnvWatchDSNs) {
		t.Errorf("exit %d, stdout %q, stderr %q: want a usage error naming %s", code, stdout, stderr, dr.EnvWatchDSNs)
	}
	t.Setenv(dr.EnvWatchDSNs, `{"pg-replica1":"postgres://u:hunter2-secret@pg-replica1/d"}`)
	code, stdout, stderr = run(t, args...)
	if code != firedrill.ExitUsage || stdout != "" || !strings.Contains(stderr, "pg-primary") || strings.Contains(stderr, "hunter2") {
		t.Errorf("exit %d, stdout %q, stderr %q: want a usage error naming pg-primary, without the password", code, stdout, stderr)
	}
}
