//go:build integration

package docker_test

import (
	"context"
	"testing"
	"time"

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
