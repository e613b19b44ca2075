//go:build integration

package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
)

// fillFiles lists the disk-fill files in the primary's data volume of a
// run, as its holder container sees the volume (the holder mounts it at
// /firedrill-volume and runs as long as the environment does).
func fillFiles(t *testing.T, runID string) string {
	t.Helper()
	holder := "firedrill-" + runID + "-pg-primary.volume"
	out, err := exec.Command("docker", "exec", holder, "sh", "-c", "ls -a /firedrill-volume | grep firedrill-disk-fill || true").CombinedOutput()
	if err != nil {
		t.Fatalf("list the volume through %s: %v: %s", holder, err, out)
	}
	return strings.TrimSpace(string(out))
}

// Ctrl-C while the primary's disk is full: the fill is reverted (its file
// deleted) before the teardown, everything is removed, exit 130. A watcher
// in the volume's holder, started before the interrupt, sees the file go
// while the environment still stands (the teardown removes the holder
// too, which would end the watcher without it).
func TestIntegrationInterruptDuringDiskFill(t *testing.T) {
	var seen bytes.Buffer
	var watcher *exec.Cmd
	interruptDuring(t, "testdata/drills/long-disk-fill.yaml", "disk-fill", func(runID string) {
		file := fillFiles(t, runID)
		if file == "" || strings.Contains(file, "\n") {
			t.Fatalf("fill files in the primary's volume while the fault is in effect: %q, want one", file)
		}
		watcher = exec.Command("docker", "exec", "firedrill-"+runID+"-pg-primary.volume", "sh", "-c",
			`while [ -e "/firedrill-volume/`+file+`" ]; do sleep 0.05; done; echo gone`)
		watcher.Stdout, watcher.Stderr = &seen, &seen
		if err := watcher.Start(); err != nil {
			t.Fatal(err)
		}
	})
	_ = watcher.Wait()
	if !strings.Contains(seen.String(), "gone") {
		t.Errorf("the fill file was not deleted before the teardown (the watcher said %q)", seen.String())
	}
}

// The built-in disk-full runs and passes: writes fail while the disk is
// full and recover after the revert, nothing is lost, no failover; the
// evidence shows the disk full and Postgres running throughout.
func TestIntegrationBuiltinDiskFull(t *testing.T) {
	d := runFiredrill(t, "run", "disk-full")
	res := readResult(t, d.out)
	defer assertNothingLeft(t, res.RunID)
	if d.code != 0 || res.Verdict != firedrill.VerdictPass {
		t.Fatalf("exit %d verdict %s (reasons %v), want 0 pass", d.code, res.Verdict, res.Reasons)
	}
	injected := eventsOf(res, firedrill.EventFaultInjected)
	if len(injected) != 1 || !strings.Contains(injected[0].Evidence, "100.0% used during (0 B free)") {
		t.Fatalf("fault.injected %+v, want the disk full in the evidence", injected)
	}
	reverted := eventsOf(res, firedrill.EventFaultReverted)
	if len(reverted) != 1 || !strings.Contains(reverted[0].Evidence, "fill file deleted") {
		t.Fatalf("fault.reverted %+v, want the fill file deleted", reverted)
	}
	t.Logf("evidence: %s; at the revert: %s", injected[0].Evidence, reverted[0].Evidence)
	if promoted := append(eventsOf(res, firedrill.EventFence), eventsOf(res, firedrill.EventPromote)...); len(promoted) != 0 {
		t.Errorf("the manager failed over for a full disk: %+v", promoted)
	}
	// Writes failed during the fill: it took effect on the workload too.
	failed := 0
	for _, op := range readLedger(t, d.out) {
		if op.Outcome == firedrill.OutcomeFailed {
			failed++
		}
	}
	if failed == 0 {
		t.Error("no write failed while the primary's disk was full")
	}
}
