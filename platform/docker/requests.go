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
// The run's lease is not among them: when the scenario names an app image,
// Up resolves firedrill's own app image for the lease on its own.
func ImageRequests(scn *scenarios.Scenario, topo *topology.Topology) []images.Request {
	env := &scn.Environment
	var out []images.Request
	for _, n := range topo.Nodes {
		var q images.Request
		switch n.Kind {
		case topology.KindPostgres:
			q = images.Request{Role: images.RolePostgres, Want: env.Postgres.Image}
		case topology.KindStorage:
			q = images.Request{Role: images.RoleMinIO, Want: env.Storage.Image}
		case topology.KindApp:
			q = images.Request{Role: images.RoleApp, Want: env.App.Image}
		default:
			continue // a kind Up has no image for
		}
		if !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	return out
}
