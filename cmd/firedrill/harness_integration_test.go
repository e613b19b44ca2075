//go:build integration

package main

// The harness around a drill: runs that share one Docker host, a run killed
// outright, Docker trouble in the middle of a drill, and secrets that must
// never reach what a run prints or writes.

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/internal/itest"
)

// shortDrill is a 20 s drill with a primary kill at 5 s: every phase of a
// drill within about half a minute.
const shortDrill = "testdata/drills/short-kill.yaml"

// liveDrill is a firedrill process a test interacts with while it runs.
type liveDrill struct {
	cmd    *exec.Cmd
	out    string
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // what Wait returned
}

func startDrill(t *testing.T, args ...string) *liveDrill {
	t.Helper()
	return startDrillEnv(t, nil, args...)
}

// startDrillEnv starts `firedrill run --out <temp> args...` with env added
// to the environment.
func startDrillEnv(t *testing.T, env []string, args ...string) *liveDrill {
	t.Helper()
	d := &liveDrill{out: t.TempDir(), done: make(chan struct{})}
	d.cmd = exec.Command(bin, append([]string{"run", "--out", d.out}, args...)...)
	d.cmd.Env = append(os.Environ(), env...)
	d.cmd.Stdout, d.cmd.Stderr = &d.stdout, &d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			d.cmd.Process.Kill()
			<-d.done
		}
	})
	return d
}

// waitFor waits until stderr contains s; it fails when the drill ends
// first.
func (d *liveDrill) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for !strings.Contains(d.stderr.String(), s) {
		select {
		case <-d.done:
			t.Fatalf("the drill ended without %q:\n%s", s, d.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("never saw %q:\n%s", s, d.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *liveDrill) wait(t *testing.T) int {
	t.Helper()
	<-d.done
	code := exitCode(t, d.err)
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", code, tail(d.stdout.String(), 30), tail(d.stderr.String(), 30))
	return code
}

func (d *liveDrill) runID(t *testing.T) string {
	t.Helper()
	id := runIDFrom(d.stderr.String())
	if id == "" {
		t.Fatalf("no run id in:\n%s", d.stderr.String())
	}
	return id
}

// interruptDuring is the Ctrl-C check of a fault: it starts the drill
// file, waits until its fault f0 (action) is in effect, calls before (if
// any) with the run id, sends SIGINT and checks that the drill exits 130
// after reverting f0 (the revert did not fail) and that nothing of the run
// is left. It returns the run's stderr for further checks.
func interruptDuring(t *testing.T, drill, action string, before func(runID string)) string {
	t.Helper()
	d := startDrill(t, drill)
	d.waitFor(t, "fault f0 ("+action)
	runID := d.runID(t)
	if before != nil {
		before(runID)
	}
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := d.wait(t); code != 130 {
		t.Fatalf("exit %d, want 130", code)
	}
	stderr := d.stderr.String()
	if !strings.Contains(stderr, "reverted f0 ("+action) {
		t.Errorf("the %s in effect was not reverted before the teardown:\n%s", action, tail(stderr, 20))
	}
	if strings.Contains(stderr, "revert of f0") {
		t.Errorf("the revert of the %s failed:\n%s", action, tail(stderr, 20))
	}
	assertNothingLeft(t, runID)
	return stderr
}

// holdAWhile lets a fault hold for a second before the interrupt.
func holdAWhile(string) { time.Sleep(time.Second) }

func firedrillCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	code := exitCode(t, cmd.Run())
	t.Logf("firedrill %s: exit %d\n%s", strings.Join(args, " "), code, out.String())
	return out.String(), code
}

// Two drills started in the same second on one Docker host both pass, and
// a `firedrill clean` run while they are in the middle of their drills
// leaves both alone and says so.
func TestIntegrationTwoDrillsAtOnce(t *testing.T) {
	a := startDrill(t, shortDrill)
	b := startDrill(t, shortDrill)
	a.waitFor(t, "fault f0 (kill")
	b.waitFor(t, "drill running")
	ida, idb := a.runID(t), b.runID(t)
	if ida == idb {
		t.Fatalf("both drills have run id %s", ida)
	}
	out, code := firedrillCmd(t, "clean")
	if code != 0 {
		t.Fatalf("clean: exit %d", code)
	}
	for _, id := range []string{ida, idb} {
		if !strings.Contains(out, "left run "+id+" alone") {
			t.Errorf("clean did not report live run %s as left alone", id)
		}
		if strings.Contains(out, "firedrill-"+id+"-") {
			t.Errorf("clean removed an object of live run %s", id)
		}
	}
	if ca, cb := a.wait(t), b.wait(t); ca != 0 || cb != 0 {
		t.Fatalf("exit codes %d and %d, want 0 and 0", ca, cb)
	}
	assertNothingLeft(t, ida)
	assertNothingLeft(t, idb)
}

// A drill killed with SIGKILL cannot tear down; its lease dies with it, so
// a plain `firedrill clean` (no --run) knows the run is dead and removes
// everything it left.
func TestIntegrationCleanAfterSIGKILL(t *testing.T) {
	d := startDrill(t, shortDrill)
	d.waitFor(t, "drill running")
	id := d.runID(t)
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	d.wait(t)
	left, err := leftovers(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) == 0 {
		t.Fatal("a SIGKILLed run left nothing: the test shows nothing")
	}
	// The lease exits once Docker has seen the harness's connection close.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, code := firedrillCmd(t, "clean")
		if code != 0 {
			t.Fatalf("clean: exit %d", code)
		}
		if !strings.Contains(out, "left run "+id+" alone") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the killed run's lease still counts as alive after 30s")
		}
		time.Sleep(time.Second)
	}
	assertNothingLeft(t, id)
}

// A container of the run removed from outside in the middle of the drill is
// Docker trouble: a one-line error naming it, exit 3, nothing left.
func TestIntegrationContainerRemovedFromOutside(t *testing.T) {
	d := startDrill(t, shortDrill)
	d.waitFor(t, "drill running")
	id := d.runID(t)
	time.Sleep(time.Second)
	name := "firedrill-" + id + "-app"
	if _, err := dockerCli.ContainerRemove(context.Background(), name, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	code := d.wait(t)
	if code != 3 {
		t.Fatalf("exit %d, want 3", code)
	}
	var line string
	for _, l := range strings.Split(d.stderr.String(), "\n") {
		if strings.Contains(l, "removed from outside") {
			line = l
		}
	}
	if !strings.HasPrefix(line, "firedrill: Docker trouble") || !strings.Contains(line, "container "+name) {
		t.Fatalf("no one-line error naming %s:\n%s", name, d.stderr.String())
	}
	if strings.Contains(d.stdout.String(), "PASS") || strings.Contains(d.stdout.String(), "FAIL") {
		t.Errorf("a verdict was printed for an abandoned drill:\n%s", d.stdout.String())
	}
	assertNothingLeft(t, id)
}

// The run's generated passwords appear nowhere in what a drill prints or
// writes (debug logs included), but in credentials.env, which exists to
// hold them.
func TestIntegrationSecretsNeverPrinted(t *testing.T) {
	d := startDrill(t, "-v", "--keep", shortDrill)
	code := d.wait(t)
	id := d.runID(t)
	// Right after a kept run, its harness is gone: clean removes it.
	defer func() {
		firedrillCmd(t, "clean", "--run", id)
		assertNothingLeft(t, id)
	}()
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	cred := filepath.Join(d.out, "credentials.env")
	st, err := os.Stat(cred)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("credentials.env has mode %v, want 0600", st.Mode().Perm())
	}
	b, err := os.ReadFile(cred)
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && (k == "PGPASSWORD" || k == "AWS_SECRET_ACCESS_KEY") {
			secrets = append(secrets, v)
		}
	}
	if len(secrets) != 2 || secrets[0] == "" || secrets[1] == "" {
		t.Fatalf("credentials.env holds no passwords:\n%s", b)
	}
	where := map[string][]byte{"stdout": []byte(d.stdout.String()), "stderr": []byte(d.stderr.String())}
	err = filepath.WalkDir(d.out, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || p == cred {
			return err
		}
		data, err := os.ReadFile(p)
		where[p] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(where) < 5 { // stdout, stderr, run.json, result.json, ledger.jsonl
		t.Fatalf("only %d places searched", len(where))
	}
	if !bytes.Contains(where["stderr"], []byte("level=DEBUG")) {
		t.Fatal("no debug logs on stderr: -v did not take effect, the search shows little")
	}
	for name, data := range where {
		for _, s := range secrets {
			if n := bytes.Count(data, []byte(s)); n > 0 {
				t.Errorf("%s holds a generated password %d times", name, n)
			}
		}
	}
}

func leftovers(runID string) ([]string, error) {
	return itest.Leftovers(context.Background(), dockerCli, runID)
}
