//go:build integration

package docker_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// stackScenario is the builtin scenario run under an HA stack, with the
// stack's defaults (as `firedrill run --manager` makes it).
func stackScenario(t testing.TB, name, manager string) *scenarios.Scenario {
	t.Helper()
	scn, err := scenarios.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	f := &scn.DR.Failover
	f.Manager = manager
	f.CheckInterval, f.CheckTimeout, f.FailuresBeforeAction, f.Fencing = scenarios.Duration{}, scenarios.Duration{}, 0, ""
	scn.ApplyDefaults()
	return scn
}

// patroniRole is what a member's REST API says it is now.
func patroniRole(ctx context.Context, env *docker.Env, member string) (role, state string, err error) {
	ep, err := env.Endpoint(ctx, member, topology.PortPatroniAPI)
	if err != nil {
		return "", "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ep+"/patroni", nil)
	if err != nil {
		return "", "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	var st struct{ Role, State string }
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st.Role, st.State, err
}

func TestIntegrationPatroniStackUp(t *testing.T) {
	scn := stackScenario(t, "primary-kill", scenarios.ManagerPatroni)
	env := upEnv(t, scn)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for member, want := range map[string]string{topology.NodePrimary: "master", topology.ReplicaNode("replica1"): "replica"} {
		role, state, err := patroniRole(ctx, env, member)
		if err != nil || role != want || state != "running" {
			t.Errorf("%s: role %q state %q (%v), want %s running", member, role, state, err, want)
		}
	}
}

func TestIntegrationPgAutoFailoverStackUp(t *testing.T) {
	scn := stackScenario(t, "primary-kill", scenarios.ManagerPgAutoFailover)
	env := upEnv(t, scn)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Up waited for the replica to stream under the name the monitor
	// gave it; the lag reader finds it by that name too.
	lag, err := env.Cluster().LagReader().ReplicationLag(ctx)
	if err != nil || lag.Primary != topology.NodePrimary || len(lag.Replicas) != 1 || !lag.Replicas[0].Streaming ||
		lag.Replicas[0].Node != topology.ReplicaNode("replica1") {
		t.Errorf("lag %+v (%v): want pg-replica1 streaming from pg-primary", lag, err)
	}
}
