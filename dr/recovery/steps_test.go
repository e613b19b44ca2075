package recovery

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func TestPromoteReplicaPicksTheMostAdvanced(t *testing.T) {
	r := newRig(3, scenarios.Recovery{})
	losePrimary(r.c)
	r.c.lsn = map[string]uint64{"pg-r1": 10, "pg-r2": 30, "pg-r3": 50}
	r.c.down["pg-r3"] = true // the most advanced does not answer
	out, err := r.deps().promoteReplica(context.Background(), Failure{})
	if err != nil || out.Target != "pg-r2" || !slices.Equal(r.c.promoted, []string{"pg-r2"}) || out.Skipped {
		t.Errorf("promote: %+v %v, promoted %v: want pg-r2", out, err, r.c.promoted)
	}
	r.c.set(func(c *fakeCluster) { c.primary = ""; c.down["pg-r1"], c.down["pg-r2"] = true, true })
	if _, err := r.deps().promoteReplica(context.Background(), Failure{}); err == nil {
		t.Error("no standby answers: want an error")
	}
}

func TestRebuildReplicas(t *testing.T) {
	r := newRig(2, scenarios.Recovery{})
	r.c.follows["pg-r2"] = "pg-gone"
	out, err := r.deps().rebuildReplicas(context.Background(), Failure{})
	if err != nil || out.Skipped || out.Detail != "re-seeded pg-r2 from pg-primary; pg-r1 already streaming" ||
		!slices.Equal(r.rb.Calls(), []string{"replica pg-r2 from pg-primary"}) {
		t.Errorf("rebuild: %+v %v, calls %v", out, err, r.rb.Calls())
	}
	r.rb.replica = func(context.Context, string, string) error { return errors.New("pg_basebackup: no space") }
	if _, err := r.deps().rebuildReplicas(context.Background(), Failure{}); err == nil {
		t.Error("a failed re-seed: want an error")
	}
	losePrimary(r.c)
	if _, err := r.deps().rebuildReplicas(context.Background(), Failure{}); err == nil {
		t.Error("no primary: want an error")
	}
}

// reconnect-network joins the running nodes to the networks they are off,
// except one fenced by disconnection.
func TestReconnectNetwork(t *testing.T) {
	r := newRig(2, scenarios.Recovery{})
	if out, err := r.deps().reconnectNetwork(context.Background(), Failure{}); err != nil || !out.Skipped {
		t.Errorf("every node on its networks: %+v %v, want skipped", out, err)
	}
	r.rt.nets["pg-r1"] = []string{"east"}
	r.rt.nets["pg-r2"] = nil
	r.rt.nets["app"] = nil
	r.rt.states["app"] = platform.State{Status: platform.StatusExited}
	r.c.fenced["pg-r2"] = scenarios.FenceDisconnect
	out, err := r.deps().reconnectNetwork(context.Background(), Failure{})
	if err != nil || out.Skipped || !slices.Equal(r.rt.joined, []string{"pg-r1 " + topology.WAN}) {
		t.Errorf("reconnect: %+v %v, joined %v: want only pg-r1 to the WAN", out, err, r.rt.joined)
	}
}

func TestRestartServices(t *testing.T) {
	r := newRig(0, scenarios.Recovery{})
	if out, err := r.deps().restartServices(context.Background(), Failure{Type: TypeNetwork}); err != nil || !slices.Equal(r.rt.restarts, []string{"app"}) {
		t.Errorf("restart: %+v %v, restarts %v", out, err, r.rt.restarts)
	}
	r.app.ready = errors.New("no answer")
	if _, err := r.deps().restartServices(context.Background(), Failure{Type: TypeNetwork}); err == nil {
		t.Error("an app that does not answer after the restart: want an error")
	}
	// In a complete failure an app that is down is rebuilt, as is a
	// missing one in any.
	r.rt.states["app"] = platform.State{Status: platform.StatusExited}
	if _, err := r.deps().restartServices(context.Background(), Failure{Type: TypeComplete}); err != nil || !slices.Equal(r.rb.Calls(), []string{"app"}) {
		t.Errorf("complete: %v, rebuilt %v", err, r.rb.Calls())
	}
	delete(r.rt.states, "app")
	if _, err := r.deps().restartServices(context.Background(), Failure{Type: TypeNetwork}); err != nil || len(r.rb.Calls()) != 2 {
		t.Errorf("missing: %v, rebuilt %v", err, r.rb.Calls())
	}
}

func TestEveryStepOfTheLanguageIsImplemented(t *testing.T) {
	if got, want := Implemented(), scenarios.StepNames(); !slices.Equal(got, want) {
		t.Errorf("Implemented() = %v, want the language's steps %v", got, want)
	}
}
