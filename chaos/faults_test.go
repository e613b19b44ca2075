package chaos

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

var bg = context.Background()

var errDaemon = errors.New("the daemon does not answer")

// effecting are the runtime operations that change a node.
var effecting = []string{fakert.OpStart, fakert.OpStop, fakert.OpKill, fakert.OpRestart, fakert.OpPause, fakert.OpResume}

// fences is a Fences a test sets: node -> method.
type fences map[string]string

func (f fences) Fenced(node string) (string, bool) {
	m, ok := f[node]
	return m, ok
}

// call is one Fault call on a fake runtime, with what the test needs to
// check about its injection instant.
type call struct {
	rt *fakert.Runtime
	t  *Target
	// applying counts Applying calls; callsAtApplying is how many runtime
	// calls had been made at the first one.
	applying        int
	callsAtApplying int
}

func newCall(rt *fakert.Runtime, f Fences, names ...string) *call {
	c := &call{rt: rt, callsAtApplying: -1}
	var nodes []*topology.Node
	for _, n := range names {
		nodes = append(nodes, &topology.Node{Name: n})
	}
	c.t = &Target{Nodes: nodes, Runtime: rt, Fences: f, Applying: func() {
		c.applying++
		if c.callsAtApplying < 0 {
			c.callsAtApplying = len(rt.Calls())
		}
	}}
	return c
}

// checkInstant checks that Applying was called, right before the first
// call that changes a node: preparation (reading the state first) is not
// part of the injection instant, and nothing was changed before it.
func (c *call) checkInstant(t *testing.T, firstOp string) {
	t.Helper()
	if c.applying == 0 {
		t.Fatal("Applying was never called: the injection instant is not the effect's")
	}
	calls := c.rt.Calls()
	for _, x := range calls[:c.callsAtApplying] {
		if slices.Contains(effecting, x.Op) {
			t.Errorf("%s was called before Applying", x)
		}
	}
	if c.callsAtApplying >= len(calls) || calls[c.callsAtApplying].Op != firstOp {
		t.Errorf("the call right after Applying is not %s: calls %v, Applying after %d", firstOp, calls, c.callsAtApplying)
	}
}

func newFault(t *testing.T, action string, p scenarios.Params) Fault {
	t.Helper()
	spec, ok := Lookup(action)
	if !ok {
		t.Fatalf("%s is not registered", action)
	}
	f, err := spec.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func reverter(t *testing.T, f Fault) Reverter {
	t.Helper()
	r, ok := f.(Reverter)
	if !ok {
		t.Fatalf("%T cannot be reverted", f)
	}
	return r
}

func grace(d time.Duration) scenarios.Params {
	return scenarios.Params{Grace: &scenarios.Duration{Duration: d}}
}

// effects lists the calls that changed nodes, as text.
func effects(rt *fakert.Runtime) string { return fmt.Sprint(rt.Calls(effecting...)) }

func wantStatus(t *testing.T, rt *fakert.Runtime, node string, want platform.Status) {
	t.Helper()
	if got := rt.Snapshot(node).Status; got != want {
		t.Errorf("%s is %s, want %s", node, got, want)
	}
}

// wantCall checks that a call op whose argument contains want was made
// on node.
func wantCall(t *testing.T, rt *fakert.Runtime, op, node, want string) {
	t.Helper()
	for _, c := range rt.Calls(op) {
		if c.Node == node && strings.Contains(c.Arg, want) {
			return
		}
	}
	t.Errorf("no %s with %q on %s (calls %v)", op, want, node, rt.Calls(op))
}

func wantEvidence(t *testing.T, ev string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(ev) {
			t.Errorf("evidence %q does not match %q", ev, p)
		}
	}
}

func TestKill(t *testing.T) {
	rt := fakert.New("pg-primary", "pg-r1")
	c := newCall(rt, nil, "pg-primary", "pg-r1")
	ev, err := newFault(t, scenarios.ActionKill, scenarios.Params{}).Inject(bg, c.t)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[kill pg-primary kill pg-r1]" {
		t.Errorf("calls %s", got)
	}
	c.checkInstant(t, fakert.OpKill)
	wantStatus(t, rt, "pg-primary", platform.StatusExited)
	wantStatus(t, rt, "pg-r1", platform.StatusExited)
	wantEvidence(t, ev, `pg-primary exited \(code 137\) at \d\d:\d\d:\d\d\.\d{3}`, `; pg-r1 exited \(code 137\)`)
}

func TestStop(t *testing.T) {
	rt := fakert.New("pg-primary", "app", "minio")
	c := newCall(rt, nil, "pg-primary", "app")
	f := newFault(t, scenarios.ActionStop, grace(3*time.Second))
	ev, err := f.Inject(bg, c.t)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[stop pg-primary 3s stop app 3s]" {
		t.Errorf("calls %s", got)
	}
	c.checkInstant(t, fakert.OpStop)
	wantStatus(t, rt, "pg-primary", platform.StatusExited)
	wantStatus(t, rt, "app", platform.StatusExited)
	wantStatus(t, rt, "minio", platform.StatusRunning)
	wantEvidence(t, ev, `pg-primary exited \(code 0\).* 3s grace`, `app exited \(code 0\)`)

	rt.ResetCalls()
	r := newCall(rt, nil, "pg-primary", "app")
	rev, err := reverter(t, f).Revert(bg, r.t)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[start pg-primary start app]" {
		t.Errorf("revert calls %s", got)
	}
	r.checkInstant(t, fakert.OpStart)
	wantStatus(t, rt, "pg-primary", platform.StatusRunning)
	wantStatus(t, rt, "app", platform.StatusRunning)
	wantEvidence(t, rev, `pg-primary started again: running \(pid \d+\)`, `app started again: running`)

	// Idempotent: a second revert (end of for, then end of drill) leaves
	// the nodes as they are.
	pid := rt.Snapshot("app").Pid
	if _, err := reverter(t, f).Revert(bg, newCall(rt, nil, "pg-primary", "app").t); err != nil {
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
	if _, err := newFault(t, scenarios.ActionStop, scenarios.Params{}).Inject(bg, newCall(rt, nil, "app").t); err != nil {
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
	f := newFault(t, scenarios.ActionStop, grace(time.Second))
	if _, err := f.Inject(bg, newCall(rt, nil, "pg-primary", "pg-r1").t); err != nil {
		t.Fatal(err)
	}
	rt.ResetCalls()
	ev, err := reverter(t, f).Revert(bg, newCall(rt, fences{"pg-primary": "stonith"}, "pg-primary", "pg-r1").t)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[start pg-r1]" {
		t.Errorf("revert calls %s, want only the unfenced node started", got)
	}
	wantStatus(t, rt, "pg-primary", platform.StatusExited)
	wantStatus(t, rt, "pg-r1", platform.StatusRunning)
	wantEvidence(t, ev, `pg-primary left stopped: fenced .*stonith`, `pg-r1 started again: running`)
}

// TestStopRevertAfterAPartialInject: a stop that failed on its second node
// is reverted (the Runner calls Revert for it) without an error.
func TestStopRevertAfterAPartialInject(t *testing.T) {
	rt := fakert.New("a", "b")
	rt.Fail(fakert.OpStop, "b", errDaemon)
	f := newFault(t, scenarios.ActionStop, grace(time.Second))
	if _, err := f.Inject(bg, newCall(rt, nil, "a", "b").t); !errors.Is(err, errDaemon) {
		t.Fatalf("inject: %v, want %v", err, errDaemon)
	}
	wantStatus(t, rt, "a", platform.StatusExited)
	if _, err := reverter(t, f).Revert(bg, newCall(rt, nil, "a", "b").t); err != nil {
		t.Fatalf("revert: %v", err)
	}
	wantStatus(t, rt, "a", platform.StatusRunning)
	wantStatus(t, rt, "b", platform.StatusRunning)
}

// TestStopRevertFailure: a start that fails is the revert's error, and the
// other nodes are still started.
func TestStopRevertFailure(t *testing.T) {
	rt := fakert.New("a", "b")
	f := newFault(t, scenarios.ActionStop, grace(time.Second))
	if _, err := f.Inject(bg, newCall(rt, nil, "a", "b").t); err != nil {
		t.Fatal(err)
	}
	rt.Fail(fakert.OpStart, "a", errDaemon)
	if _, err := reverter(t, f).Revert(bg, newCall(rt, nil, "a", "b").t); !errors.Is(err, errDaemon) {
		t.Errorf("revert: %v, want %v", err, errDaemon)
	}
	wantStatus(t, rt, "b", platform.StatusRunning)
}

func TestRestart(t *testing.T) {
	rt := fakert.New("pg-r1", "pg-r2")
	before1, before2 := rt.Snapshot("pg-r1"), rt.Snapshot("pg-r2")
	c := newCall(rt, nil, "pg-r1", "pg-r2")
	ev, err := newFault(t, scenarios.ActionRestart, grace(5*time.Second)).Inject(bg, c.t)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[restart pg-r1 5s restart pg-r2 5s]" {
		t.Errorf("calls %s", got)
	}
	c.checkInstant(t, fakert.OpRestart)
	after1, after2 := rt.Snapshot("pg-r1"), rt.Snapshot("pg-r2")
	if after1.Pid == before1.Pid || after2.Pid == before2.Pid {
		t.Errorf("not restarted: pids %d -> %d, %d -> %d", before1.Pid, after1.Pid, before2.Pid, after2.Pid)
	}
	wantEvidence(t, ev,
		fmt.Sprintf(`pg-r1 restarted: running \(pid %d\).*\(was pid %d\)`, after1.Pid, before1.Pid),
		fmt.Sprintf(`pg-r2 restarted: running \(pid %d\).*\(was pid %d\)`, after2.Pid, before2.Pid))
}

func TestPause(t *testing.T) {
	rt := fakert.New("app", "pg-r1")
	c := newCall(rt, nil, "app", "pg-r1")
	f := newFault(t, scenarios.ActionPause, scenarios.Params{})
	ev, err := f.Inject(bg, c.t)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[pause app pause pg-r1]" {
		t.Errorf("calls %s", got)
	}
	c.checkInstant(t, fakert.OpPause)
	wantStatus(t, rt, "app", platform.StatusPaused)
	wantStatus(t, rt, "pg-r1", platform.StatusPaused)
	wantEvidence(t, ev, `app paused, its packets dropped`, `pg-r1 paused, its packets dropped`)
	// A frozen node's network is held too, from a sidecar, after the
	// freeze: its kernel must not keep accepting data for it.
	wantCall(t, rt, fakert.OpHold, "app", "FIREDRILL-PAUSE -j DROP")
	wantCall(t, rt, fakert.OpHold, "pg-r1", "FIREDRILL-PAUSE -j DROP")

	pid := rt.Snapshot("app").Pid
	rt.ResetCalls()
	r := newCall(rt, nil, "app", "pg-r1")
	rev, err := reverter(t, f).Revert(bg, r.t)
	if err != nil {
		t.Fatal(err)
	}
	if got := effects(rt); got != "[resume app resume pg-r1]" {
		t.Errorf("revert calls %s", got)
	}
	r.checkInstant(t, fakert.OpResume)
	wantStatus(t, rt, "app", platform.StatusRunning)
	wantStatus(t, rt, "pg-r1", platform.StatusRunning)
	if rt.Snapshot("app").Pid != pid {
		t.Error("the revert of a pause restarted the node instead of thawing it")
	}
	wantEvidence(t, rev, fmt.Sprintf(`app resumed, its packets flowing: running \(pid %d\)`, pid), `pg-r1 resumed, its packets flowing: running`)
	wantCall(t, rt, fakert.OpRelease, "app", "FIREDRILL-PAUSE")
	wantCall(t, rt, fakert.OpRelease, "pg-r1", "FIREDRILL-PAUSE")
	// Packets flow before the thaw, so the node comes back whole at the
	// instant the revert is stamped at.
	var order []string
	for _, c := range rt.Calls(fakert.OpRelease, fakert.OpResume) {
		order = append(order, c.Op+" "+c.Node)
	}
	if got := strings.Join(order, ", "); got != "release app, resume app, release pg-r1, resume pg-r1" {
		t.Errorf("revert order %s, want each node's packets released before it is resumed", got)
	}

	if _, err := reverter(t, f).Revert(bg, newCall(rt, nil, "app", "pg-r1").t); err != nil {
		t.Fatalf("second revert: %v", err)
	}
	wantStatus(t, rt, "app", platform.StatusRunning)
}

// TestPauseRevertAfterAPartialInject: a pause that failed on its second
// node still thaws the first.
func TestPauseRevertAfterAPartialInject(t *testing.T) {
	rt := fakert.New("a", "b")
	rt.Fail(fakert.OpPause, "b", errDaemon)
	f := newFault(t, scenarios.ActionPause, scenarios.Params{})
	if _, err := f.Inject(bg, newCall(rt, nil, "a", "b").t); !errors.Is(err, errDaemon) {
		t.Fatalf("inject: %v, want %v", err, errDaemon)
	}
	if _, err := reverter(t, f).Revert(bg, newCall(rt, nil, "a", "b").t); err != nil {
		t.Fatalf("revert: %v", err)
	}
	wantStatus(t, rt, "a", platform.StatusRunning)
}

// TestPauseRevertOfAKilledNode: the failover manager may kill a frozen
// primary to fence it; thawing it is then nothing to do, not an error.
func TestPauseRevertOfAKilledNode(t *testing.T) {
	rt := fakert.New("pg-primary")
	f := newFault(t, scenarios.ActionPause, scenarios.Params{})
	if _, err := f.Inject(bg, newCall(rt, nil, "pg-primary").t); err != nil {
		t.Fatal(err)
	}
	if err := rt.Kill(bg, "pg-primary"); err != nil {
		t.Fatal(err)
	}
	ev, err := reverter(t, f).Revert(bg, newCall(rt, nil, "pg-primary").t)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, rt, "pg-primary", platform.StatusExited)
	wantEvidence(t, ev, `exited \(code 137\)`)
}

func TestPauseRevertFailure(t *testing.T) {
	rt := fakert.New("a")
	f := newFault(t, scenarios.ActionPause, scenarios.Params{})
	if _, err := f.Inject(bg, newCall(rt, nil, "a").t); err != nil {
		t.Fatal(err)
	}
	rt.Fail(fakert.OpResume, "a", errDaemon)
	if _, err := reverter(t, f).Revert(bg, newCall(rt, nil, "a").t); !errors.Is(err, errDaemon) {
		t.Errorf("revert: %v, want %v", err, errDaemon)
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
		{scenarios.ActionKill, scenarios.Params{}, func(rt *fakert.Runtime) { rt.Fail(fakert.OpKill, "b", errDaemon) }, errDaemon.Error()},
		{scenarios.ActionKill, scenarios.Params{}, func(rt *fakert.Runtime) { rt.NoEffect(fakert.OpKill, "b", true) }, `did not take effect.*b did not become exited.*running`},
		{scenarios.ActionKill, scenarios.Params{}, func(rt *fakert.Runtime) { rt.Fail(fakert.OpState, "", errDaemon) }, `did not take effect`},
		{scenarios.ActionStop, grace(time.Second), func(rt *fakert.Runtime) { rt.Fail(fakert.OpStop, "a", errDaemon) }, errDaemon.Error()},
		{scenarios.ActionStop, grace(time.Second), func(rt *fakert.Runtime) { rt.NoEffect(fakert.OpStop, "b", true) }, `did not take effect.*b did not become exited`},
		{scenarios.ActionRestart, grace(time.Second), func(rt *fakert.Runtime) { rt.Fail(fakert.OpRestart, "b", errDaemon) }, errDaemon.Error()},
		{scenarios.ActionRestart, grace(time.Second), func(rt *fakert.Runtime) { rt.Fail(fakert.OpState, "a", errDaemon) }, errDaemon.Error()},
		{scenarios.ActionRestart, grace(time.Second), func(rt *fakert.Runtime) { rt.NoEffect(fakert.OpRestart, "a", true) }, `did not take effect.*a did not become running again`},
		{scenarios.ActionPause, scenarios.Params{}, func(rt *fakert.Runtime) { rt.Fail(fakert.OpPause, "a", errDaemon) }, errDaemon.Error()},
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
				_, err := newFault(t, c.action, c.params).Inject(bg, newCall(rt, nil, "a", "b").t)
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
				f := newFault(t, c.action, grace(time.Second))
				if _, err := f.Inject(bg, newCall(rt, nil, "a").t); err != nil {
					t.Fatal(err)
				}
				rt.NoEffect(c.op, "a", true)
				_, err := reverter(t, f).Revert(bg, newCall(rt, nil, "a").t)
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
		_, err := newFault(t, scenarios.ActionStop, grace(time.Second)).Inject(ctx, newCall(rt, nil, "a").t)
		if err == nil {
			t.Fatal("no error")
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("the fault waited %s after its context ended", took)
		}
	})
}
