//go:build integration

package main

// Network faults in whole drills: interrupted while in effect, a harness
// killed while a partition holds, the app cut off everything for a known
// time without a failover manager, and the built-in region-drop.

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill"
)

// Ctrl-C while a partition or a region drop is in effect: the fault is
// reverted, the environment removed, exit 130.
func TestIntegrationInterruptDuringNetworkFault(t *testing.T) {
	for _, c := range []struct{ drill, action string }{{"long-partition", "partition"}, {"long-region-drop", "region-drop"}} {
		t.Run(c.action, func(t *testing.T) {
			interruptDuring(t, "testdata/drills/"+c.drill+".yaml", c.action, holdAWhile)
		})
	}
}

// A harness killed outright while a partition holds: nobody reverts, yet
// the sidecar holding the rules sees its input end and removes them by
// itself, saying so, before `clean` removes the rest.
func TestIntegrationPartitionUndoneWhenTheHarnessDies(t *testing.T) {
	d := startDrill(t, "testdata/drills/long-partition.yaml")
	d.waitFor(t, "fault f0 (partition")
	runID := d.runID(t)
	defer func() {
		firedrillCmd(t, "clean", "--run", runID)
		assertNothingLeft(t, runID)
	}()
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	d.wait(t)
	ctx := context.Background()
	f := make(client.Filters).Add("label", "firedrill.run="+runID).Add("label", "firedrill.sidecar-of")
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := dockerCli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
		if err != nil {
			t.Fatal(err)
		}
		running, holds := 0, 0
		var said []string
		for _, c := range list.Items {
			if c.State == "running" {
				running++
				continue
			}
			logs, err := dockerCli.ContainerLogs(ctx, c.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
			if err != nil {
				continue // an exec sidecar removed meanwhile
			}
			var out strings.Builder
			stdcopy.StdCopy(&out, &out, logs)
			logs.Close()
			if strings.Contains(out.String(), "held") {
				holds++
				said = append(said, out.String())
			}
		}
		if running == 0 && holds > 0 {
			for _, s := range said {
				if !strings.Contains(s, "released") {
					t.Errorf("a hold sidecar ended without undoing its effect: %q", s)
				}
			}
			t.Logf("%d hold sidecars undid their effect by themselves: %q", holds, said)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %d sidecars still running, %d finished holds", running, holds)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// reconnection bounds how long after a cut heals the app writes again:
// a write sent as the cut heals may wait for a dial begun during the cut
// to give up (the app's connect bound per host, 2s) and for its own
// timeout (1s) before the next one goes through a fresh connection.
const reconnection = 3 * time.Second

// The app cut off every other node for a known time, failover off (the
// held-out check of a partition): the measured RTO lies between the cut
// and the cut plus the reconnection, and nothing is lost.
func TestIntegrationAppIsolatedWithoutFailover(t *testing.T) {
	d := runFiredrill(t, "run", "testdata/drills/app-isolated-no-failover.yaml")
	res := readResult(t, d.out)
	defer assertNothingLeft(t, res.RunID)
	injected := eventsOf(res, firedrill.EventFaultInjected)
	reverted := eventsOf(res, firedrill.EventFaultReverted)
	if len(injected) != 1 || len(reverted) != 1 {
		t.Fatalf("injected %+v reverted %+v, want one each", injected, reverted)
	}
	if !strings.Contains(injected[0].Evidence, "app cut off") || !strings.Contains(injected[0].Evidence, "no answer") {
		t.Errorf("evidence %q does not show the cut from inside", injected[0].Evidence)
	}
	if !strings.Contains(reverted[0].Evidence, "app reconnected") {
		t.Errorf("revert evidence %q", reverted[0].Evidence)
	}
	if len(res.Faults) != 1 || res.Faults[0].RTOMS == nil {
		t.Fatalf("faults %+v, want one recovered", res.Faults)
	}
	rto := time.Duration(*res.Faults[0].RTOMS * float64(time.Millisecond))
	cutFrom, healing, healed := injected[0].At, reverted[0].At, reverted[0].At+reverted[0].Span
	if rto < healing-cutFrom {
		t.Errorf("RTO %s shorter than the cut (%s): a write succeeded while the app was cut off", rto, healing-cutFrom)
	}
	if rto > healed-cutFrom+reconnection {
		t.Errorf("RTO %s: more than %s beyond the cut of %s", rto, reconnection, healed-cutFrom)
	}
	if d.code != 0 || res.Writes.Lost == nil || *res.Writes.Lost != 0 {
		t.Fatalf("exit %d, lost %v: want 0 and none lost (reasons %v)", d.code, res.Writes.Lost, res.Reasons)
	}
	t.Logf("cut %s (healed by %s), RTO %s", healing-cutFrom, healed-cutFrom, rto)
}

// The built-in region-drop runs and passes: the primary's region dark,
// the replica in the other region promoted, the fenced old primary left
// cut off at the revert.
func TestIntegrationBuiltinRegionDrop(t *testing.T) {
	d := runFiredrill(t, "run", "region-drop")
	res := readResult(t, d.out)
	defer assertNothingLeft(t, res.RunID)
	if d.code != 0 || res.Verdict != firedrill.VerdictPass {
		t.Fatalf("exit %d verdict %s (reasons %v), want 0 pass", d.code, res.Verdict, res.Reasons)
	}
	injected := eventsOf(res, firedrill.EventFaultInjected)
	if len(injected) != 1 || !strings.Contains(injected[0].Evidence, "pg-primary cut off east, wan") || !strings.Contains(injected[0].Evidence, "no interface but lo") {
		t.Fatalf("fault.injected %+v, want the primary's region cut off, seen from inside", injected)
	}
	reverted := eventsOf(res, firedrill.EventFaultReverted)
	if len(reverted) != 1 || !strings.Contains(reverted[0].Evidence, "pg-primary left cut off: fenced") || !strings.Contains(reverted[0].Evidence, "minio back on east, wan") {
		t.Fatalf("fault.reverted %+v, want the fenced primary left cut off and the storage back", reverted)
	}
	if promotes := eventsOf(res, firedrill.EventPromote); len(promotes) != 1 || promotes[0].Target != "pg-replica1" || res.ReadFrom != "pg-replica1" {
		t.Errorf("promote %+v, read from %q: want pg-replica1", promotes, res.ReadFrom)
	}
}
