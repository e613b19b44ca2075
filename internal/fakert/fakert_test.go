package fakert

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill/platform"
)

var ctx = context.Background()

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func status(t *testing.T, r *Runtime, node string) platform.Status {
	t.Helper()
	st, err := r.State(ctx, node)
	must(t, err)
	return st.Status
}

func TestLifecycle(t *testing.T) {
	r := New("a")
	first := r.Snapshot("a")
	if first.Status != platform.StatusRunning || first.Pid == 0 || first.StartedAt.IsZero() {
		t.Fatalf("a new node: %+v", first)
	}

	must(t, r.Kill(ctx, "a"))
	if st := r.Snapshot("a"); st.Status != platform.StatusExited || st.ExitCode != ExitKilled || st.Pid != 0 || st.FinishedAt.IsZero() {
		t.Fatalf("after kill: %+v", st)
	}
	must(t, r.Kill(ctx, "a")) // idempotent

	must(t, r.Start(ctx, "a"))
	again := r.Snapshot("a")
	if again.Status != platform.StatusRunning || again.Pid == first.Pid || !again.StartedAt.After(first.StartedAt) {
		t.Fatalf("after start: %+v (first %+v)", again, first)
	}
	must(t, r.Start(ctx, "a")) // a no-op on a running node
	if st := r.Snapshot("a"); st.Pid != again.Pid {
		t.Errorf("start of a running node changed its pid: %d -> %d", again.Pid, st.Pid)
	}

	must(t, r.Stop(ctx, "a", 3*time.Second))
	if st := r.Snapshot("a"); st.Status != platform.StatusExited || st.ExitCode != ExitStopped {
		t.Fatalf("after stop: %+v", st)
	}
	must(t, r.Stop(ctx, "a", 3*time.Second)) // idempotent
	if err := r.Pause(ctx, "a"); err == nil {
		t.Error("pausing an exited node succeeded")
	}
	must(t, r.Resume(ctx, "a")) // a no-op: a revert after the node was killed
	if got := status(t, r, "a"); got != platform.StatusExited {
		t.Errorf("resume of an exited node: %s", got)
	}

	must(t, r.Restart(ctx, "a", time.Second))
	restarted := r.Snapshot("a")
	if restarted.Status != platform.StatusRunning || !restarted.StartedAt.After(again.StartedAt) {
		t.Fatalf("after restart: %+v", restarted)
	}

	must(t, r.Pause(ctx, "a"))
	must(t, r.Pause(ctx, "a")) // idempotent
	if got := status(t, r, "a"); got != platform.StatusPaused {
		t.Fatalf("after pause: %s", got)
	}
	if err := r.Start(ctx, "a"); err == nil {
		t.Error("starting a paused node succeeded")
	}
	must(t, r.Resume(ctx, "a"))
	if st := r.Snapshot("a"); st.Status != platform.StatusRunning || st.Pid != restarted.Pid {
		t.Errorf("after resume: %+v, want running with pid %d", st, restarted.Pid)
	}
	must(t, r.Resume(ctx, "a")) // idempotent

	must(t, r.Pause(ctx, "a"))
	must(t, r.Stop(ctx, "a", time.Second))
	if st := r.Snapshot("a"); st.ExitCode != ExitKilled {
		t.Errorf("a frozen node stopped with code %d, want %d (killed after its grace)", st.ExitCode, ExitKilled)
	}
}

func TestCallsAreRecordedInOrder(t *testing.T) {
	r := New("a", "b")
	must(t, r.Stop(ctx, "a", 10*time.Second))
	_, err := r.State(ctx, "a")
	must(t, err)
	must(t, r.Connect(ctx, "b", "east"))
	_, err = r.Exec(ctx, "b", []string{"tc", "qdisc"})
	must(t, err)
	got := fmt.Sprint(r.Calls())
	want := "[stop a 10s state a connect b east exec b tc qdisc]"
	if got != want {
		t.Errorf("calls %s, want %s", got, want)
	}
	if got := fmt.Sprint(r.Calls(OpStop, OpExec)); got != "[stop a 10s exec b tc qdisc]" {
		t.Errorf("filtered calls %s", got)
	}
	if r.Count(OpState, "a") != 1 || r.Count(OpState, "b") != 0 || r.Count(OpConnect, "") != 1 {
		t.Errorf("counts: state a %d, state b %d, connect %d", r.Count(OpState, "a"), r.Count(OpState, "b"), r.Count(OpConnect, ""))
	}
	r.ResetCalls()
	if len(r.Calls()) != 0 {
		t.Errorf("calls after reset: %v", r.Calls())
	}
}

func TestFail(t *testing.T) {
	r := New("a", "b")
	boom := errors.New("daemon gone")
	r.Fail(OpKill, "a", boom)
	if err := r.Kill(ctx, "a"); !errors.Is(err, boom) {
		t.Fatalf("kill a: %v, want %v", err, boom)
	}
	if got := r.Snapshot("a").Status; got != platform.StatusRunning {
		t.Errorf("a failed kill changed the state to %s", got)
	}
	must(t, r.Kill(ctx, "b")) // another node
	r.Fail(OpKill, "a", nil)
	must(t, r.Kill(ctx, "a"))

	r.Fail(OpState, "", boom) // every node
	if _, err := r.State(ctx, "b"); !errors.Is(err, boom) {
		t.Errorf("state b: %v", err)
	}
	if len(r.Calls(OpKill)) != 3 {
		t.Errorf("failed calls are recorded too: %v", r.Calls())
	}
}

func TestNoEffect(t *testing.T) {
	r := New("a")
	r.NoEffect(OpPause, "a", true)
	must(t, r.Pause(ctx, "a"))
	if got := status(t, r, "a"); got != platform.StatusRunning {
		t.Fatalf("a pause without effect left the node %s", got)
	}
	r.NoEffect(OpPause, "a", false)
	must(t, r.Pause(ctx, "a"))
	if got := status(t, r, "a"); got != platform.StatusPaused {
		t.Fatalf("after the effect is restored: %s", got)
	}
}

func TestSlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := New("a")
		r.Slow(OpStop, "", 5*time.Second)
		start := time.Now()
		must(t, r.Stop(ctx, "a", 0))
		if took := time.Since(start); took < 5*time.Second {
			t.Errorf("a slow stop took %s", took)
		}

		r.Slow(OpStart, "a", time.Hour)
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if err := r.Start(cctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("start cut short: %v", err)
		}
		if got := r.Snapshot("a").Status; got != platform.StatusExited {
			t.Errorf("a start cut short by its context changed the state to %s", got)
		}
	})
}

func TestOnCallRunsBeforeTheEffect(t *testing.T) {
	r := New("a")
	var seen []platform.Status
	r.OnCall(func(c Call) {
		if c.Op == OpKill {
			seen = append(seen, r.Snapshot(c.Node).Status) // outside the lock: must not deadlock
		}
	})
	must(t, r.Kill(ctx, "a"))
	if !slices.Equal(seen, []platform.Status{platform.StatusRunning}) {
		t.Errorf("the hook saw %v, want the state before the kill", seen)
	}
}

func TestUnknownAndRemovedNodes(t *testing.T) {
	r := New("a")
	if err := r.Kill(ctx, "nope"); !errors.Is(err, platform.ErrNoNode) {
		t.Errorf("kill of an unknown node: %v", err)
	}
	if _, err := r.State(ctx, "nope"); !errors.Is(err, platform.ErrNoNode) {
		t.Errorf("state of an unknown node: %v", err)
	}
	r.Remove("a")
	if got := status(t, r, "a"); got != platform.StatusMissing {
		t.Errorf("a removed node is %s", got)
	}
	if err := r.Start(ctx, "a"); !errors.Is(err, platform.ErrNoNode) {
		t.Errorf("start of a removed node: %v", err)
	}
}

func TestNetworksEndpointsExec(t *testing.T) {
	r := New()
	r.Add("a", "east", "wan")
	must(t, r.Disconnect(ctx, "a", "wan"))
	must(t, r.Disconnect(ctx, "a", "wan")) // idempotent
	nets, err := r.Networks(ctx, "a")
	must(t, err)
	if !slices.Equal(nets, []string{"east"}) {
		t.Errorf("networks after disconnect: %v", nets)
	}
	must(t, r.Connect(ctx, "a", "wan"))
	must(t, r.Connect(ctx, "a", "wan"))
	nets, _ = r.Networks(ctx, "a")
	if !slices.Equal(nets, []string{"east", "wan"}) {
		t.Errorf("networks after connect: %v", nets)
	}

	if ep, err := r.Endpoint(ctx, "a", "5432/tcp"); err != nil || ep != "a:5432" {
		t.Errorf("endpoint %q, %v", ep, err)
	}
	r.SetEndpoint("a", "5432/tcp", "127.0.0.1:49153")
	if ep, _ := r.Endpoint(ctx, "a", "5432/tcp"); ep != "127.0.0.1:49153" {
		t.Errorf("set endpoint %q", ep)
	}

	r.HandleExec(func(node string, cmd []string) (platform.ExecResult, error) {
		return platform.ExecResult{ExitCode: 2, Output: node + ":" + cmd[0]}, nil
	})
	res, err := r.Exec(ctx, "a", []string{"nft", "list"})
	if err != nil || res.ExitCode != 2 || res.Output != "a:nft" {
		t.Errorf("exec %+v, %v", res, err)
	}

	must(t, r.Kill(ctx, "a"))
	if _, err := r.Endpoint(ctx, "a", "5432/tcp"); err == nil {
		t.Error("an exited node has an endpoint")
	}
	if _, err := r.Exec(ctx, "a", []string{"true"}); err == nil {
		t.Error("exec in an exited node succeeded")
	}
}

// TestConcurrentUse is for the race detector: faults, reverts and pollers
// call one Runtime from many goroutines.
func TestConcurrentUse(t *testing.T) {
	r := New("a", "b", "c")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			n := []string{"a", "b", "c"}[i%3]
			for range 50 {
				_ = r.Pause(ctx, n)
				_ = r.Resume(ctx, n)
				_, _ = r.State(ctx, n)
				_ = r.Restart(ctx, n, 0)
				r.Fail(OpKill, n, nil)
				_ = r.Calls(OpState)
			}
		})
	}
	wg.Wait()
	if got := r.Count(OpState, ""); got != 8*50 {
		t.Errorf("%d state calls recorded, want %d", got, 8*50)
	}
}

// A held sidecar streams what Print makes it print, until EndOutput (it
// died) or Release; only live sidecars print.
func TestHeldSidecarStreamsLines(t *testing.T) {
	r := New("app")
	h, err := r.Hold(ctx, "app", []string{"agent", "watch"})
	must(t, err)
	if n := r.Holding("app"); n != 1 {
		t.Fatalf("holding %d sidecars, want 1", n)
	}
	if n := r.Print("app", "round 0"); n != 1 {
		t.Fatalf("Print reached %d sidecars, want 1", n)
	}
	if l := <-h.Lines(); l != "round 0" {
		t.Fatalf("line %q", l)
	}
	if n := r.EndOutput("app"); n != 1 {
		t.Fatalf("EndOutput ended %d sidecars, want 1", n)
	}
	if _, ok := <-h.Lines(); ok {
		t.Fatal("Lines still open after the sidecar's output ended")
	}
	if r.Print("app", "too late") != 0 || r.Holding("app") != 0 {
		t.Error("an ended sidecar still prints")
	}

	h2, err := r.Hold(ctx, "app", []string{"agent", "watch"})
	must(t, err)
	_, err = h2.Release(ctx)
	must(t, err)
	if _, ok := <-h2.Lines(); ok || r.Print("app", "x") != 0 {
		t.Error("a released sidecar still streams")
	}
	if got := r.Count(OpRelease, "app"); got != 1 {
		t.Errorf("%d releases recorded, want 1 (the ended sidecar was never released)", got)
	}
}
