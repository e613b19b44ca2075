package chaostest

import (
	"context"
	"testing"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// NetScenario places the primary and the storage in east, the replica
// and the app in west: region.west's traffic to east crosses the WAN. The
// unit tests' world (NewNetWorld) and the integration rig (UpNetRig) share it.
const NetScenario = `apiVersion: firedrill/v1
name: network-faults
environment:
  regions: [east, west]
  postgres:
    primary: {region: east}
    replicas: [{name: replica1, region: west}]
  storage: {region: east}
  app: {region: west}
timeline:
  duration: 30s
`

// NetWorld is a topology on a fake runtime whose nodes are on their
// networks, so that each has an address on each (10.1.0.x on its region,
// 10.2.0.x on the WAN).
type NetWorld struct {
	Topo *topology.Topology
	RT   *fakert.Runtime
}

// NewNetWorld is the world of a scenario with a primary and the storage
// in east, a replica and the app in west.
func NewNetWorld(t *testing.T) *NetWorld { t.Helper(); return NewNetWorldOf(t, NetScenario) }

// NewNetWorldOf is the world of the scenario text, its HA stack's
// coordination nodes (Topology.All) on their networks too.
func NewNetWorldOf(t *testing.T, scenario string) *NetWorld {
	t.Helper()
	scn, err := scenarios.LoadBytes("network-faults.yaml", []byte(scenario))
	if err != nil {
		t.Fatal(err)
	}
	w := &NetWorld{Topo: topology.New(scn), RT: fakert.New()}
	for _, n := range w.Topo.All() {
		w.RT.Add(n.Name, n.Networks...)
	}
	return w
}

// Target is the Target of target (a service or region.<r>), resolved on
// the initial state, with a counter of Applying and Applied calls.
func (w *NetWorld) Target(t *testing.T, target string) (*chaos.Target, *Instants) {
	t.Helper()
	nodes, err := w.Topo.ResolveTarget(context.Background(), w.Topo.Initial(), target)
	if err != nil {
		t.Fatal(err)
	}
	in := &Instants{rt: w.RT, applyingAt: -1, appliedAt: -1}
	return &chaos.Target{Nodes: nodes, Runtime: w.RT, Topology: w.Topo, State: w.Topo.Initial(), Name: target,
		Applying: in.applying, Applied: in.applied}, in
}

// Instants records how many runtime calls had been made when Applying and
// Applied were first called.
type Instants struct {
	rt                    *fakert.Runtime
	applyingAt, appliedAt int
}

func (in *Instants) applying() {
	if in.applyingAt < 0 {
		in.applyingAt = len(in.rt.Calls())
	}
}

func (in *Instants) applied() {
	if in.appliedAt < 0 {
		in.appliedAt = len(in.rt.Calls())
	}
}

// Check says that Applying came right before the first call of op and
// Applied after the last call of op, before any probe.
func (in *Instants) Check(t *testing.T, op string) {
	t.Helper()
	calls := in.rt.Calls()
	if in.applyingAt < 0 || in.applyingAt >= len(calls) || calls[in.applyingAt].Op != op {
		t.Errorf("Applying is not right before the first %s: at %d of %v", op, in.applyingAt, calls)
	}
	if in.appliedAt < 0 {
		t.Fatalf("Applied was never called")
	}
	for _, c := range calls[in.appliedAt:] {
		if c.Op == op {
			t.Errorf("a %s came after Applied: the span must end when the effect is certain", c)
		}
	}
}
