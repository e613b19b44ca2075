package topology

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

// stackScenario loads a scenario over regions (the primary in the first,
// the replica in the last) with the manager, as a file would be.
func stackScenario(t *testing.T, regions []string, manager string) *scenarios.Scenario {
	t.Helper()
	body := "apiVersion: firedrill/v1\nname: t\nenvironment:\n  regions: [" + strings.Join(regions, ", ") + "]\n" +
		"  postgres:\n    primary: {region: " + regions[0] + "}\n    replicas: [{name: r1, region: " + regions[len(regions)-1] + "}]\n" +
		"  app: {region: " + regions[len(regions)/2] + "}\n" +
		"dr:\n  failover:\n    manager: " + manager + "\n" +
		"timeline:\n  duration: 60s\n  faults:\n    - {at: 10s, action: kill, target: postgres.primary}\n"
	scn, err := scenarios.LoadBytes("t.yaml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return scn
}

// Each manager's coordination: an etcd member per region over three
// regions, one in the first region otherwise, the monitor in the first
// region, none for the builtin manager; never among the nodes started.
func TestCoordinationNodes(t *testing.T) {
	for _, tc := range []struct {
		regions []string
		manager string
		want    []string // name@region kind service
	}{
		{[]string{"east", "west", "south"}, scenarios.ManagerPatroni, []string{"etcd-east@east etcd etcd.east", "etcd-west@west etcd etcd.west", "etcd-south@south etcd etcd.south"}},
		{[]string{"east", "west"}, scenarios.ManagerPatroni, []string{"etcd-east@east etcd etcd.east"}},
		{[]string{"east"}, scenarios.ManagerPatroni, []string{"etcd-east@east etcd etcd.east"}},
		{[]string{"east", "west", "south"}, scenarios.ManagerPgAutoFailover, []string{"monitor@east monitor monitor"}},
		{[]string{"east", "west", "south"}, scenarios.ManagerBuiltin, nil},
	} {
		topo := New(stackScenario(t, tc.regions, tc.manager))
		var got []string
		for _, n := range topo.Coordination {
			got = append(got, n.Name+"@"+n.Region+" "+n.Kind+" "+n.Service)
			if !slices.Equal(n.Networks, []string{n.Region, WAN}) || n.Volume != "" {
				t.Errorf("%s: networks %v, volume %q", n.Name, n.Networks, n.Volume)
			}
			if m, ok := topo.Node(n.Name); !ok || m != n {
				t.Errorf("Node(%s) = %v, %v", n.Name, m, ok)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s over %v: %v, want %v", tc.manager, tc.regions, got, tc.want)
		}
		for _, n := range topo.Nodes {
			if n.Kind == KindEtcd || n.Kind == KindMonitor {
				t.Errorf("%s is among the nodes started", n.Name)
			}
			if api := slices.Contains(n.Ports, PortPatroniAPI); api != (n.Kind == KindPostgres && tc.manager == scenarios.ManagerPatroni) {
				t.Errorf("%s under %s: ports %v", n.Name, tc.manager, n.Ports)
			}
		}
	}
}

// The coordination targets resolve to their node; a region to every node
// placed in it, its etcd member last; no selector picks them.
func TestResolveCoordination(t *testing.T) {
	ctx := context.Background()
	topo := New(stackScenario(t, []string{"east", "west", "south"}, scenarios.ManagerPatroni))
	for target, want := range map[string]string{
		"etcd.west":    "etcd-west",
		"etcd.south":   "etcd-south",
		"region.east":  "pg-primary minio etcd-east",
		"region.south": "pg-r1 etcd-south",
		"region.west":  "app etcd-west",
	} {
		nodes, err := topo.ResolveTarget(ctx, topo.Initial(), target)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if got := strings.Join(Names(nodes), " "); got != want {
			t.Errorf("%s resolves to %s, want %s", target, got, want)
		}
	}
	if _, err := topo.ResolveTarget(ctx, topo.Initial(), "monitor"); err == nil {
		t.Error("monitor resolves with Patroni")
	}
	nodes, err := topo.Resolve(ctx, topo.Initial(), scenarios.Fault{Selector: &scenarios.Selector{Region: "east"}}, nil)
	if err != nil || strings.Join(Names(nodes), " ") != "pg-primary minio" {
		t.Errorf("selector region east: %v, %v", Names(nodes), err)
	}

	mon := New(stackScenario(t, []string{"east", "west", "south"}, scenarios.ManagerPgAutoFailover))
	nodes, err = mon.ResolveTarget(ctx, mon.Initial(), "monitor")
	if err != nil || len(nodes) != 1 || nodes[0].Name != NodeMonitor || nodes[0].Kind != KindMonitor {
		t.Errorf("monitor: %v, %v", Names(nodes), err)
	}
}
