package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill/chaos/internal/chaostest"
	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
)

var bg = context.Background()

func grace(d time.Duration) scenarios.Params {
	return scenarios.Params{Grace: &scenarios.Duration{Duration: d}}
}

// effects lists the calls that changed nodes, as text.
func effects(rt *fakert.Runtime) string { return fmt.Sprint(rt.Calls(chaostest.Effecting...)) }

func wantStatus(t *testing.T, rt *fakert.Runtime, node string, want platform.Status) {
	t.Helper()
	if got := rt.Snapshot(node).Status; got != want {
		t.Errorf("%s is %s, want %s", node, got, want)
	}
}

func TestKill(t *testing.T) {
	rt := fakert.New("pg-primary", "pg-r1")
	c := chaostest.NewCall(rt, nil, "pg-primary", "pg-r1")
	ev, err := chaostest.NewFault(t, scenarios.ActionKill, scenarios.Params{}).Inject(bg, c.Target)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[kill pg-primary kill pg-r1]" {
		t.Errorf("calls %s", got)
	}
	c.CheckInstant(t, fakert.OpKill)
	wantStatus(t, rt, "pg-primary", platform.StatusExited)
	wantStatus(t, rt, "pg-r1", platform.StatusExited)
	chaostest.WantEvidence(t, ev, `pg-primary exited \(code 137\) at \d\d:\d\d:\d\d\.\d{3}`, `; pg-r1 exited \(code 137\)`)
}

func TestStop(t *testing.T) {
	rt := fakert.New("pg-primary", "app", "minio")
	c := chaostest.NewCall(rt, nil, "pg-primary", "app")
	f := chaostest.NewFault(t, scenarios.ActionStop, grace(3*time.Second))
	ev, err := f.Inject(bg, c.Target)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[stop pg-primary 3s stop app 3s]" {
		t.Errorf("calls %s", got)
	}
	c.CheckInstant(t, fakert.OpStop)
	wantStatus(t, rt, "pg-primary", platform.StatusExited)
	wantStatus(t, rt, "app", platform.StatusExited)
	wantStatus(t, rt, "minio", platform.StatusRunning)
	chaostest.WantEvidence(t, ev, `pg-primary exited \(code 0\).* 3s grace`, `app exited \(code 0\)`)

	rt.ResetCalls()
	r := chaostest.NewCall(rt, nil, "pg-primary", "app")
	rev, err := chaostest.AsReverter(t, f).Revert(bg, r.Target)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[start pg-primary start app]" {
		t.Errorf("revert calls %s", got)
	}
	r.CheckInstant(t, fakert.OpStart)
	wantStatus(t, rt, "pg-primary", platform.StatusRunning)
	wantStatus(t, rt, "app", platform.StatusRunning)
	chaostest.WantEvidence(t, rev, `pg-primary started again: running \(pid \d+\)`, `app started again: running`)

	// Idempotent: a second revert (end of for, then end of drill) leaves
	// the nodes as they are.
	pid := rt.Snapshot("app").Pid
	if _, err := chaostest.AsReverter(t, f).Revert(bg, chaostest.NewCall(rt, nil, "pg-primary", "app").Target); err != nil {
		t.Fatalf("second revert: %v", err)
	}
	if rt.Snapshot("app").Pid != pid {
		t.Error("a second revert restarted the node")
	}
	if got := rt.Count(fakert.OpStop, "") + rt.Count(fakert.OpRestart, ""); got != 0 {
		t.Errorf("a revert stopped or restarted nodes: %v", rt.Calls())
	}
}

func TestStopDefaultGrace(t *testing.T) {
	rt := fakert.New("app")
	if _, err := chaostest.NewFault(t, scenarios.ActionStop, scenarios.Params{}).Inject(bg, chaostest.NewCall(rt, nil, "app").Target); err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[stop app 10s]" {
		t.Errorf("calls %s", got)
	}
}

// TestStopRevertLeavesAFencedNodeDown: starting a node the failover manager
// fenced would make a second primary.
func TestStopRevertLeavesAFencedNodeDown(t *testing.T) {
	rt := fakert.New("pg-primary", "pg-r1")
	f := chaostest.NewFault(t, scenarios.ActionStop, grace(time.Second))
	if _, err := f.Inject(bg, chaostest.NewCall(rt, nil, "pg-primary", "pg-r1").Target); err != nil {
		t.Fatal(err)
	}
	rt.ResetCalls()
	ev, err := chaostest.AsReverter(t, f).Revert(bg, chaostest.NewCall(rt, chaostest.Fences{"pg-primary": "stonith"}, "pg-primary", "pg-r1").Target)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[start pg-r1]" {
		t.Errorf("revert calls %s, want only the unfenced node started", got)
	}
	wantStatus(t, rt, "pg-primary", platform.StatusExited)
	wantStatus(t, rt, "pg-r1", platform.StatusRunning)
	chaostest.WantEvidence(t, ev, `pg-primary left stopped: fenced .*stonith`, `pg-r1 started again: running`)
}

// TestStopRevertAfterAPartialInject: a stop that failed on its second node
// is reverted (the Runner calls Revert for it) without an error.
func TestStopRevertAfterAPartialInject(t *testing.T) {
	rt := fakert.New("a", "b")
	rt.Fail(fakert.OpStop, "b", chaostest.ErrDaemon)
	f := chaostest.NewFault(t, scenarios.ActionStop, grace(time.Second))
	if _, err := f.Inject(bg, chaostest.NewCall(rt, nil, "a", "b").Target); !errors.Is(err, chaostest.ErrDaemon) {
		t.Fatalf("inject: %v, want %v", err, chaostest.ErrDaemon)
	}
	wantStatus(t, rt, "a", platform.StatusExited)
	if _, err := chaostest.AsReverter(t, f).Revert(bg, chaostest.NewCall(rt, nil, "a", "b").Target); err != nil {
		t.Fatalf("revert: %v", err)
	}
	wantStatus(t, rt, "a", platform.StatusRunning)
	wantStatus(t, rt, "b", platform.StatusRunning)
}

// TestStopRevertFailure: a start that fails is the revert's error, and the
// other nodes are still started.
func TestStopRevertFailure(t *testing.T) {
	rt := fakert.New("a", "b")
	f := chaostest.NewFault(t, scenarios.ActionStop, grace(time.Second))
	if _, err := f.Inject(bg, chaostest.NewCall(rt, nil, "a", "b").Target); err != nil {
		t.Fatal(err)
	}
	rt.Fail(fakert.OpStart, "a", chaostest.ErrDaemon)
	if _, err := chaostest.AsReverter(t, f).Revert(bg, chaostest.NewCall(rt, nil, "a", "b").Target); !errors.Is(err, chaostest.ErrDaemon) {
		t.Errorf("revert: %v, want %v", err, chaostest.ErrDaemon)
	}
	wantStatus(t, rt, "b", platform.StatusRunning)
}

func TestRestart(t *testing.T) {
	rt := fakert.New("pg-r1", "pg-r2")
	before1, before2 := rt.Snapshot("pg-r1"), rt.Snapshot("pg-r2")
	c := chaostest.NewCall(rt, nil, "pg-r1", "pg-r2")
	ev, err := chaostest.NewFault(t, scenarios.ActionRestart, grace(5*time.Second)).Inject(bg, c.Target)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[restart pg-r1 5s restart pg-r2 5s]" {
		t.Errorf("calls %s", got)
	}
	c.CheckInstant(t, fakert.OpRestart)
	after1, after2 := rt.Snapshot("pg-r1"), rt.Snapshot("pg-r2")
	if after1.Pid == before1.Pid || after2.Pid == before2.Pid {
		t.Errorf("not restarted: pids %d -> %d, %d -> %d", before1.Pid, after1.Pid, before2.Pid, after2.Pid)
	}
	chaostest.WantEvidence(t, ev,
		fmt.Sprintf(`pg-r1 restarted: running \(pid %d\).*\(was pid %d\)`, after1.Pid, before1.Pid),
		fmt.Sprintf(`pg-r2 restarted: running \(pid %d\).*\(was pid %d\)`, after2.Pid, before2.Pid))
}

func TestPause(t *testing.T) {
	rt := fakert.New("app", "pg-r1")
	c := chaostest.NewCall(rt, nil, "app", "pg-r1")
	f := chaostest.NewFault(t, scenarios.ActionPause, scenarios.Params{})
	ev, err := f.Inject(bg, c.Target)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[pause app pause pg-r1]" {
		t.Errorf("calls %s", got)
	}
	c.CheckInstant(t, fakert.OpPause)
	wantStatus(t, rt, "app", platform.StatusPaused)
	wantStatus(t, rt, "pg-r1", platform.StatusPaused)
	chaostest.WantEvidence(t, ev, `app paused, its packets dropped`, `pg-r1 paused, its packets dropped`)
	// A frozen node's network is held too, from a sidecar, after the
	// freeze: its kernel must not keep accepting data for it.
	chaostest.WantCall(t, rt, fakert.OpHold, "app", "FIREDRILL-PAUSE -j DROP")
	chaostest.WantCall(t, rt, fakert.OpHold, "pg-r1", "FIREDRILL-PAUSE -j DROP")

	pid := rt.Snapshot("app").Pid
	rt.ResetCalls()
	r := chaostest.NewCall(rt, nil, "app", "pg-r1")
	rev, err := chaostest.AsReverter(t, f).Revert(bg, r.Target)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[resume app resume pg-r1]" {
		t.Errorf("revert calls %s", got)
	}
	r.CheckInstant(t, fakert.OpResume)
	wantStatus(t, rt, "app", platform.StatusRunning)
	wantStatus(t, rt, "pg-r1", platform.StatusRunning)
	if rt.Snapshot("app").Pid != pid {
		t.Error("the revert of a pause restarted the node instead of thawing it")
	}
	chaostest.WantEvidence(t, rev, fmt.Sprintf(`app resumed, its packets flowing: running \(pid %d\)`, pid), `pg-r1 resumed, its packets flowing: running`)
	chaostest.WantCall(t, rt, fakert.OpRelease, "app", "FIREDRILL-PAUSE")
	chaostest.WantCall(t, rt, fakert.OpRelease, "pg-r1", "FIREDRILL-PAUSE")
	// Packets flow before the thaw, so the node comes back whole at the
	// instant the revert is stamped at.
	var order []string
	for _, c := range rt.Calls(fakert.OpRelease, fakert.OpResume) {
		order = append(order, c.Op+" "+c.Node)
	}
	if got := strings.Join(order, ", "); got != "release app, resume app, release pg-r1, resume pg-r1" {
		t.Errorf("revert order %s, want each node's packets released before it is resumed", got)
	}

	if _, err := chaostest.AsReverter(t, f).Revert(bg, chaostest.NewCall(rt, nil, "app", "pg-r1").Target); err != nil {
		t.Fatalf("second revert: %v", err)
	}
	wantStatus(t, rt, "app", platform.StatusRunning)
}

// TestPauseRevertAfterAPartialInject: a pause that failed on its second
// node still thaws the first.
func TestPauseRevertAfterAPartialInject(t *testing.T) {
	rt := fakert.New("a", "b")
	rt.Fail(fakert.OpPause, "b", chaostest.ErrDaemon)
	f := chaostest.NewFault(t, scenarios.ActionPause, scenarios.Params{})
	if _, err := f.Inject(bg, chaostest.NewCall(rt, nil, "a", "b").Target); !errors.Is(err, chaostest.ErrDaemon) {
		t.Fatalf("inject: %v, want %v", err, chaostest.ErrDaemon)
	}
	if _, err := chaostest.AsReverter(t, f).Revert(bg, chaostest.NewCall(rt, nil, "a", "b").Target); err != nil {
		t.Fatalf("revert: %v", err)
	}
	wantStatus(t, rt, "a", platform.StatusRunning)
}

// TestPauseRevertOfAKilledNode: the failover manager may kill a frozen
// primary to fence it; thawing it is then nothing to do, not an error.
func TestPauseRevertOfAKilledNode(t *testing.T) {
	rt := fakert.New("pg-primary")
	f := chaostest.NewFault(t, scenarios.ActionPause, scenarios.Params{})
	if _, err := f.Inject(bg, chaostest.NewCall(rt, nil, "pg-primary").Target); err != nil {
		t.Fatal(err)
	}
	if err := rt.Kill(bg, "pg-primary"); err != nil {
		t.Fatal(err)
	}
	ev, err := chaostest.AsReverter(t, f).Revert(bg, chaostest.NewCall(rt, nil, "pg-primary").Target)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, rt, "pg-primary", platform.StatusExited)
	chaostest.WantEvidence(t, ev, `exited \(code 137\)`)
}

func TestPauseRevertFailure(t *testing.T) {
	rt := fakert.New("a")
	f := chaostest.NewFault(t, scenarios.ActionPause, scenarios.Params{})
	if _, err := f.Inject(bg, chaostest.NewCall(rt, nil, "a").Target); err != nil {
		t.Fatal(err)
	}
	rt.Fail(fakert.OpResume, "a", chaostest.ErrDaemon)
	if _, err := chaostest.AsReverter(t, f).Revert(bg, chaostest.NewCall(rt, nil, "a").Target); !errors.Is(err, chaostest.ErrDaemon) {
		t.Errorf("revert: %v, want %v", err, chaostest.ErrDaemon)
	}
}

// TestFaultErrors: a fault whose runtime call fails, or whose effect the
// node's state never shows, is an error: a fault that did not take effect
// must make the drill inconclusive, never pass (docs/architecture.md,
// "Faults as a registry").
func TestFaultErrors(t *testing.T) {
	type setup func(rt *fakert.Runtime)
	for _, c := range []struct {
		action string
		params scenarios.Params
		setup  setup
		want   string // regexp of the error
	}{
		{scenarios.ActionKill, scenarios.Params{}, func(rt *fakert.Runtime) { rt.Fail(fakert.OpKill, "b", chaostest.ErrDaemon) }, chaostest.ErrDaemon.Error()},
		{scenarios.ActionKill, scenarios.Params{}, func(rt *fakert.Runtime) { rt.NoEffect(fakert.OpKill, "b", true) }, `did not take effect.*b did not become exited.*running`},
		{scenarios.ActionKill, scenarios.Params{}, func(rt *fakert.Runtime) { rt.Fail(fakert.OpState, "", chaostest.ErrDaemon) }, `did not take effect`},
		{scenarios.ActionStop, grace(time.Second), func(rt *fakert.Runtime) { rt.Fail(fakert.OpStop, "a", chaostest.ErrDaemon) }, chaostest.ErrDaemon.Error()},
		{scenarios.ActionStop, grace(time.Second), func(rt *fakert.Runtime) { rt.NoEffect(fakert.OpStop, "b", true) }, `did not take effect.*b did not become exited`},
		{scenarios.ActionRestart, grace(time.Second), func(rt *fakert.Runtime) { rt.Fail(fakert.OpRestart, "b", chaostest.ErrDaemon) }, chaostest.ErrDaemon.Error()},
		{scenarios.ActionRestart, grace(time.Second), func(rt *fakert.Runtime) { rt.Fail(fakert.OpState, "a", chaostest.ErrDaemon) }, chaostest.ErrDaemon.Error()},
		{scenarios.ActionRestart, grace(time.Second), func(rt *fakert.Runtime) { rt.NoEffect(fakert.OpRestart, "a", true) }, `did not take effect.*a did not become running again`},
		{scenarios.ActionPause, scenarios.Params{}, func(rt *fakert.Runtime) { rt.Fail(fakert.OpPause, "a", chaostest.ErrDaemon) }, chaostest.ErrDaemon.Error()},
		{scenarios.ActionPause, scenarios.Params{}, func(rt *fakert.Runtime) { rt.NoEffect(fakert.OpPause, "b", true) }, `did not take effect.*b did not become paused`},
		// A node that exited meanwhile cannot be frozen.
		{scenarios.ActionPause, scenarios.Params{}, func(rt *fakert.Runtime) {
			rt.Set("b", platform.State{Status: platform.StatusExited, ExitCode: 1})
		}, `not running`},
	} {
		t.Run(c.action+" "+c.want, func(t *testing.T) {
			// The state wait's deadline passes on the bubble's clock,
			// instantly.
			synctest.Test(t, func(t *testing.T) {
				rt := fakert.New("a", "b")
				c.setup(rt)
				_, err := chaostest.NewFault(t, c.action, c.params).Inject(bg, chaostest.NewCall(rt, nil, "a", "b").Target)
				if err == nil {
					t.Fatal("no error")
				}
				if !regexp.MustCompile(c.want).MatchString(err.Error()) {
					t.Errorf("error %q does not match %q", err, c.want)
				}
			})
		})
	}
}

// TestRevertErrorsWhenTheStateNeverShowsIt: a revert the node's state does
// not show is an error too (the node would be left down or frozen).
func TestRevertErrorsWhenTheStateNeverShowsIt(t *testing.T) {
	for _, c := range []struct {
		action string
		op     string
	}{{scenarios.ActionStop, fakert.OpStart}, {scenarios.ActionPause, fakert.OpResume}} {
		t.Run(c.action, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rt := fakert.New("a")
				f := chaostest.NewFault(t, c.action, grace(time.Second))
				if _, err := f.Inject(bg, chaostest.NewCall(rt, nil, "a").Target); err != nil {
					t.Fatal(err)
				}
				rt.NoEffect(c.op, "a", true)
				_, err := chaostest.AsReverter(t, f).Revert(bg, chaostest.NewCall(rt, nil, "a").Target)
				if err == nil || !strings.Contains(err.Error(), "a did not become") {
					t.Errorf("revert: %v", err)
				}
			})
		})
	}
}

// TestFaultsHonourTheirContext: an interrupt ends a fault waiting for its
// effect.
func TestFaultsHonourTheirContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := fakert.New("a")
		rt.NoEffect(fakert.OpStop, "a", true)
		ctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		start := time.Now()
		_, err := chaostest.NewFault(t, scenarios.ActionStop, grace(time.Second)).Inject(ctx, chaostest.NewCall(rt, nil, "a").Target)
		if err == nil {
			t.Fatal("no error")
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("the fault waited %s after its context ended", took)
		}
	})
}
