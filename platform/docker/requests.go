package docker

import (
	"slices"

	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// ImageRequests are the images Up resolves, all at once, for the nodes of
// topo: one request per kind of node present, in the order topology.New
// starts the nodes, each with the image the scenario names for that kind
// ("" for the role's default). A kind that is absent asks for nothing: no
// MinIO when the storage is disabled. It is pure (no Docker), so that
// `firedrill plan` shows the images a run would use from this very list
// (docs/architecture.md, "One model of the topology").
//
// The last request is the sidecar image (nettools: iproute2 and
// iptables), which Exec runs in a node's network namespace
// (docs/architecture.md, "Sidecars").
//
// The run's lease is not among them: when the scenario names an app image,
// Up resolves firedrill's own app image for the lease on its own.
func ImageRequests(scn *scenarios.Scenario, topo *topology.Topology) []images.Request {
	var out []images.Request
	for _, n := range topo.All() {
		q, ok := imageRequest(scn, n.Kind)
		if ok && !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	// Sidecar jobs of Postgres's binaries run the postgres role's image
	// whichever stack runs the nodes (platform.SidecarPostgres).
	if q := (images.Request{Role: images.RolePostgres, Want: scn.Environment.Postgres.Image}); !slices.Contains(out, q) {
		out = append(out, q)
	}
	return append(out, images.Request{Role: images.RoleNetTools})
}

// ImageRole is the image role of the nodes of a kind in the scenario's
// stack: Postgres nodes run Patroni's or pg_auto_failover's image under
// those managers (docs/architecture.md, "The HA stacks").
func ImageRole(scn *scenarios.Scenario, kind string) (images.Role, bool) {
	switch kind {
	case topology.KindPostgres:
		switch scn.DR.Failover.Manager {
		case scenarios.ManagerPatroni:
			return images.RolePatroni, true
		case scenarios.ManagerPgAutoFailover:
			return images.RolePGAutoFailover, true
		}
		return images.RolePostgres, true
	case topology.KindEtcd:
		return images.RoleEtcd, true
	case topology.KindMonitor:
		return images.RolePGAutoFailover, true
	case topology.KindStorage:
		return images.RoleMinIO, true
	case topology.KindApp:
		return images.RoleApp, true
	}
	return "", false
}

func imageRequest(scn *scenarios.Scenario, kind string) (images.Request, bool) {
	role, ok := ImageRole(scn, kind)
	if !ok {
		return images.Request{}, false // a kind Up has no image for
	}
	want := map[images.Role]string{images.RolePostgres: scn.Environment.Postgres.Image,
		images.RoleMinIO: scn.Environment.Storage.Image, images.RoleApp: scn.Environment.App.Image}
	if pt := scn.DR.Failover.Patroni; pt != nil {
		want[images.RolePatroni], want[images.RoleEtcd] = pt.Image, pt.EtcdImage
	}
	if pa := scn.DR.Failover.PgAutoFailover; pa != nil {
		want[images.RolePGAutoFailover] = pa.Image
	}
	return images.Request{Role: role, Want: want[role]}, true
}

// LeaseRequest is the image of the run's lease container, which runs
// firedrill's own binary (`firedrill lease`): the app image when it is
// firedrill's own, else a separate request for it; ok is false when the
// app's own request already covers it.
func LeaseRequest(scn *scenarios.Scenario) (req images.Request, separate bool) {
	if scn.Environment.App.Image != "" {
		return images.Request{Role: images.RoleApp}, true
	}
	return images.Request{Role: images.RoleApp}, false
}
