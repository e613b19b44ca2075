//go:build integration

package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

// eventsOf returns the events of one kind in a result read from
// result.json, in time order, with At and Span filled from their
// millisecond fields.
func eventsOf(res firedrill.Result, kind firedrill.EventKind) []firedrill.Event {
	var out []firedrill.Event
	for _, e := range res.Events {
		if e.Kind == kind {
			e.At = time.Duration(e.AtMS * float64(time.Millisecond))
			e.Span = time.Duration(e.SpanMS * float64(time.Millisecond))
			out = append(out, e)
		}
	}
	return out
}

// A replica frozen with pause while the primary keeps acknowledging, then
// the primary killed: the manager can promote the replica only once it
// thaws, behind the primary by what did not fit in its socket buffers (a
// frozen process's kernel still accepts some WAL). firedrill's lost-write count
// must equal an independent count read from the survivor, and be > 0. The
// pause's effect (the container paused) and its revert are on the
// timeline with their evidence.
func TestIntegrationPausedReplicaThenPrimaryKill(t *testing.T) {
	d := runFiredrill(t, "run", "--keep", "--seed", "7", "testdata/drills/pause-replica-kill-primary.yaml")
	res := readResult(t, d.out)
	if res.RunID == "" {
		t.Fatal("no run id in result.json")
	}
	defer func() {
		exec.Command(bin, "clean", "--run", res.RunID).Run()
		assertNothingLeft(t, res.RunID)
	}()
	injected := eventsOf(res, firedrill.EventFaultInjected)
	if len(injected) != 2 || injected[0].Injection != "f0" || !strings.Contains(injected[0].Evidence, "paused") {
		t.Fatalf("fault.injected events %+v, want f0 (pause, evidence: paused) then f1", injected)
	}
	reverted := eventsOf(res, firedrill.EventFaultReverted)
	if len(reverted) != 1 || reverted[0].Injection != "f0" || !strings.Contains(reverted[0].Evidence, "resumed") {
		t.Fatalf("fault.reverted events %+v, want the pause resumed", reverted)
	}
	if lasted := reverted[0].At - injected[0].At; lasted < 15*time.Second {
		t.Errorf("the pause lasted %s, want at least its for of 15s", lasted)
	}
	ops := readLedger(t, d.out)
	stored := readSurvivingPrimary(t, d.out, res.RunID)
	lost := 0
	for _, op := range ops {
		if op.Outcome == firedrill.OutcomeOK && !stored[op.ID] {
			lost++
		}
	}
	if res.Writes.Lost == nil || *res.Writes.Lost != lost {
		t.Fatalf("result.json lost = %v, independent count on the survivor = %d", res.Writes.Lost, lost)
	}
	if lost == 0 {
		t.Fatal("no write lost: the frozen replica should have been promoted behind the primary")
	}
	if res.RPOMS == nil || *res.RPOMS <= 0 {
		t.Errorf("RPO %v with %d writes lost, want > 0", res.RPOMS, lost)
	}
	t.Logf("lost %d acked writes, RPO %v ms", lost, *res.RPOMS)
}

// A known freeze of the app: the measured RTO matches its length within
// 0.3 s, no write is lost.
func TestIntegrationAppFreezeRTO(t *testing.T) {
	d := runFiredrill(t, "run", "testdata/drills/app-freeze.yaml")
	res := readResult(t, d.out)
	defer assertNothingLeft(t, res.RunID)
	injected := eventsOf(res, firedrill.EventFaultInjected)
	reverted := eventsOf(res, firedrill.EventFaultReverted)
	if len(injected) != 1 || len(reverted) != 1 {
		t.Fatalf("injected %+v reverted %+v, want one each", injected, reverted)
	}
	freeze := reverted[0].At + reverted[0].Span - injected[0].At
	if len(res.Faults) != 1 || res.Faults[0].RTOMS == nil {
		t.Fatalf("faults %+v, want one recovered", res.Faults)
	}
	rto := time.Duration(*res.Faults[0].RTOMS * float64(time.Millisecond))
	if diff := rto - freeze; diff < -300*time.Millisecond || diff > 300*time.Millisecond {
		t.Fatalf("RTO %s for a freeze of %s: off by more than 0.3s", rto, freeze)
	}
	if d.code != 0 || res.Writes.Lost == nil || *res.Writes.Lost != 0 {
		t.Fatalf("exit %d, lost %v: want 0 and none lost (reasons %v)", d.code, res.Writes.Lost, res.Reasons)
	}
	t.Logf("freeze %s, RTO %s", freeze, rto)
}

// A clean stop of the primary with no failover: no write lost, and the
// outage is the stop plus the restart: at least the fault's for, and not
// much more than for + the time Postgres takes to start again.
func TestIntegrationCleanStopNoFailover(t *testing.T) {
	d := runFiredrill(t, "run", "testdata/drills/stop-primary-no-failover.yaml")
	res := readResult(t, d.out)
	defer assertNothingLeft(t, res.RunID)
	if d.code != 0 || res.Verdict != firedrill.VerdictPass {
		t.Fatalf("exit %d verdict %s (reasons %v), want a pass", d.code, res.Verdict, res.Reasons)
	}
	injected := eventsOf(res, firedrill.EventFaultInjected)
	reverted := eventsOf(res, firedrill.EventFaultReverted)
	if len(injected) != 1 || !strings.Contains(injected[0].Evidence, "exited") {
		t.Fatalf("injected %+v, want the stop's evidence (exited)", injected)
	}
	if len(reverted) != 1 || !strings.Contains(reverted[0].Evidence, "started again") {
		t.Fatalf("reverted %+v, want the restart's evidence", reverted)
	}
	if res.Writes.Lost == nil || *res.Writes.Lost != 0 {
		t.Fatalf("lost %v, want 0 after a clean stop", res.Writes.Lost)
	}
	rto := time.Duration(*res.Faults[0].RTOMS * float64(time.Millisecond))
	down := reverted[0].At + reverted[0].Span - injected[0].At
	if rto < down {
		t.Fatalf("RTO %s shorter than the time the primary was down (%s)", rto, down)
	}
	if rto > down+10*time.Second {
		t.Fatalf("RTO %s: more than 10s beyond the %s the primary was down", rto, down)
	}
	t.Logf("down %s, RTO %s", down, rto)
}

// Ctrl-C while a pause or a stop is in effect: the fault is reverted, the
// environment removed, exit 130.
func TestIntegrationInterruptDuringFault(t *testing.T) {
	for _, name := range []string{"pause", "stop"} {
		t.Run(name, func(t *testing.T) {
			interruptDuring(t, "testdata/drills/long-"+name+".yaml", name, holdAWhile)
		})
	}
}

// The built-in process-fault drills run and pass.
func TestIntegrationBuiltinProcessFaults(t *testing.T) {
	for _, name := range []string{"replica-restart", "app-pause"} {
		t.Run(name, func(t *testing.T) {
			d := runFiredrill(t, "run", name)
			res := readResult(t, d.out)
			defer assertNothingLeft(t, res.RunID)
			if d.code != 0 || res.Verdict != firedrill.VerdictPass {
				t.Fatalf("exit %d verdict %s (reasons %v), want 0 pass", d.code, res.Verdict, res.Reasons)
			}
			if ev := eventsOf(res, firedrill.EventFaultInjected); len(ev) == 0 || ev[0].Evidence == "" {
				t.Fatalf("no fault.injected event with evidence: %+v", ev)
			}
		})
	}
}
