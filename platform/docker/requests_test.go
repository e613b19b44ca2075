package docker

import (
	"slices"
	"testing"

	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// Under an HA stack the Postgres nodes run the stack's image and its
// coordination its own; the postgres role is still resolved (sidecar
// jobs run it); an image the scenario names is asked for as named.
func TestImageRequestsOfTheStacks(t *testing.T) {
	for _, c := range []struct {
		manager, block string
		want           []images.Request
	}{
		{scenarios.ManagerPatroni, "    patroni: {ttl: 10s, loop_wait: 1s, retry_timeout: 4s, image: me/patroni:3}\n", []images.Request{
			{Role: images.RolePatroni, Want: "me/patroni:3"}, {Role: images.RoleMinIO, Want: "minio/minio"}, {Role: images.RoleApp}, {Role: images.RoleEtcd},
			{Role: images.RolePostgres, Want: "postgres:15"}, {Role: images.RoleNetTools}}},
		{scenarios.ManagerPgAutoFailover, "", []images.Request{
			{Role: images.RolePGAutoFailover}, {Role: images.RoleMinIO, Want: "minio/minio"}, {Role: images.RoleApp},
			{Role: images.RolePostgres, Want: "postgres:15"}, {Role: images.RoleNetTools}}},
	} {
		scn, err := scenarios.LoadBytes("stack.yaml", []byte(`apiVersion: firedrill/v1
name: stack
environment:
  regions: [east, west]
  postgres:
    primary: {region: east}
    replicas: [{name: replica1, region: west}]
  storage: {region: east}
  app: {region: west}
dr:
  failover:
    manager: `+c.manager+"\n"+c.block+`timeline:
  duration: 60s
`))
		if err != nil {
			t.Fatal(err)
		}
		if got := ImageRequests(scn, topology.New(scn)); !slices.Equal(got, c.want) {
			t.Errorf("%s: requests %v, want %v", c.manager, got, c.want)
		}
	}
}
