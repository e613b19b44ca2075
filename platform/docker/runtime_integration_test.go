//go:build integration

package docker_test

import (
	"testing"

	"github.com/firedrill/firedrill/platform/platformtest"
	"github.com/firedrill/firedrill/topology"
)

// The Docker runtime passes the runtime contract, and reaches containers
// at their network addresses, not through the userland port proxy.
func TestIntegrationRuntimeContract(t *testing.T) {
	env := upPrimaryKillEnv(t)
	if !env.Direct() {
		t.Error("on a Linux host the harness must reach containers at their addresses on the run's networks")
	}
	platformtest.Contract(t, env, platformtest.Nodes{
		Victim: topology.ReplicaNode("replica1"), Observer: topology.NodeApp, Port: topology.PortPostgres,
	})
}
