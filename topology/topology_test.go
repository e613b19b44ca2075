package topology

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

// threeRegions has a node of every kind, labels, the storage and the app in
// regions of their own choosing, and replicas listed out of name order (the
// start order is the scenario's, not sorted).
const threeRegions = `apiVersion: firedrill/v1
name: three
environment:
  regions: [east, west, north]
  postgres:
    primary:
      region: east
      labels: {tier: db, zone: e1}
    replicas:
      - {name: zeta, region: west, labels: {tier: db, zone: w1}}
      - {name: alpha, region: north, labels: {tier: db}}
      - {name: mid, region: west}
  storage:
    region: north
    bucket: drills
    labels: {tier: s3}
  app:
    region: west
    labels: {tier: web}
timeline:
  duration: 1m
`

func load(t *testing.T, text string) *scenarios.Scenario {
	t.Helper()
	scn, err := scenarios.LoadBytes("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return scn
}

func TestNewNodesInStartOrder(t *testing.T) {
	topo := New(load(t, threeRegions))
	type row struct{ name, service, kind, role, region, volume, ports, labels string }
	var got []row
	for _, n := range topo.Nodes {
		var labels []string
		for _, k := range slices.Sorted(maps.Keys(n.Labels)) {
			labels = append(labels, k+"="+n.Labels[k])
		}
		got = append(got, row{n.Name, n.Service, n.Kind, n.Role, n.Region, n.Volume,
			strings.Join(n.Ports, ","), strings.Join(labels, ",")})
	}
	want := []row{
		{"pg-primary", "postgres.primary", KindPostgres, RolePrimary, "east", PostgresData, "5432/tcp", "tier=db,zone=e1"},
		{"pg-zeta", "postgres.zeta", KindPostgres, RoleReplica, "west", PostgresData, "5432/tcp", "tier=db,zone=w1"},
		{"pg-alpha", "postgres.alpha", KindPostgres, RoleReplica, "north", PostgresData, "5432/tcp", "tier=db"},
		{"pg-mid", "postgres.mid", KindPostgres, RoleReplica, "west", PostgresData, "5432/tcp", ""},
		{"minio", "storage", KindStorage, RoleStorage, "north", StorageData, "9000/tcp,9001/tcp", "tier=s3"},
		{"app", "app", KindApp, RoleApp, "west", AppUploads, "8080/tcp", "tier=web"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("nodes:\n got %+v\nwant %+v", got, want)
	}
	if topo.Bucket != "drills" {
		t.Errorf("bucket %q", topo.Bucket)
	}
	for _, n := range topo.Nodes {
		if n.Labels == nil {
			t.Errorf("%s: nil labels (plan prints {} for none)", n.Name)
		}
		if m, ok := topo.Node(n.Name); !ok || m != n {
			t.Errorf("Node(%q) = %v, %v", n.Name, m, ok)
		}
	}
	if _, ok := topo.Node("pg-nope"); ok {
		t.Error("Node found a node that does not exist")
	}
}

// Every node is on its home region's network first, then the WAN; the
// drill's networks are the regions in scenario order, then the WAN.
func TestNewNetworks(t *testing.T) {
	topo := New(load(t, threeRegions))
	for _, n := range topo.Nodes {
		if want := []string{n.Region, WAN}; !slices.Equal(n.Networks, want) {
			t.Errorf("%s networks %q, want %q", n.Name, n.Networks, want)
		}
	}
	if got, want := topo.Networks(), []string{"east", "west", "north", WAN}; !slices.Equal(got, want) {
		t.Errorf("Networks() = %q, want %q", got, want)
	}
	// Networks returns a copy: appending to it must not grow the regions.
	_ = append(topo.Networks()[:1], "x")
	if !slices.Equal(topo.Regions, []string{"east", "west", "north"}) {
		t.Errorf("Networks() aliases Regions: %q", topo.Regions)
	}
}

// The storage and app regions default as the language documents: storage
// in the first region, the app beside the primary; disabled storage has no
// node at all.
func TestNewDefaultsAndDisabledStorage(t *testing.T) {
	scn := load(t, `apiVersion: firedrill/v1
name: small
environment:
  regions: [west, east]
  postgres:
    primary: {region: east}
    replicas: [{name: r1, region: west}]
  storage: {enabled: false}
timeline:
  duration: 1m
`)
	topo := New(scn)
	if got := Names(topo.Nodes); !slices.Equal(got, []string{"pg-primary", "pg-r1", "app"}) {
		t.Errorf("nodes %q", got)
	}
	if _, ok := topo.Node(NodeStorage); ok {
		t.Error("disabled storage has a node")
	}
	if app := topo.MustNode(NodeApp); app.Region != "east" {
		t.Errorf("app region %q, want the primary's (east)", app.Region)
	}

	scn = load(t, `apiVersion: firedrill/v1
name: small
environment:
  regions: [west, east]
  postgres:
    primary: {region: east}
    replicas: [{name: r1, region: west}]
timeline:
  duration: 1m
`)
	if s := New(scn).MustNode(NodeStorage); s.Region != "west" {
		t.Errorf("storage region %q, want the first region (west)", s.Region)
	}
}

func TestMustNodePanicsOnUnknown(t *testing.T) {
	topo := New(load(t, threeRegions))
	defer func() {
		if recover() == nil {
			t.Error("MustNode of an unknown node did not panic")
		}
	}()
	topo.MustNode("pg-nope")
}

func TestQueries(t *testing.T) {
	topo := New(load(t, threeRegions))
	if got := topo.Postgres(); !slices.Equal(got, []string{"pg-primary", "pg-zeta", "pg-alpha", "pg-mid"}) {
		t.Errorf("Postgres() = %q", got)
	}
	if got := topo.Standbys(); !slices.Equal(got, []string{"pg-zeta", "pg-alpha", "pg-mid"}) {
		t.Errorf("Standbys() = %q", got)
	}
	if got := Names(topo.InRegion("west")); !slices.Equal(got, []string{"pg-zeta", "pg-mid", "app"}) {
		t.Errorf("InRegion(west) = %q", got)
	}
	if got := Names(topo.OfKind(KindStorage)); !slices.Equal(got, []string{"minio"}) {
		t.Errorf("OfKind(storage) = %q", got)
	}
	if got := topo.InRegion("south"); len(got) != 0 {
		t.Errorf("InRegion(south) = %q", Names(got))
	}
}

// The topology owns its labels: a fault or the runtime changing a node's
// labels cannot change the scenario, nor the other way round.
func TestNewClonesLabels(t *testing.T) {
	scn := load(t, threeRegions)
	topo := New(scn)
	topo.MustNode(NodePrimary).Labels["tier"] = "changed"
	if got := scn.Environment.Postgres.Primary.Labels["tier"]; got != "db" {
		t.Errorf("the scenario's label changed to %q", got)
	}
	scn.Environment.App.Labels["tier"] = "changed"
	if got := topo.MustNode(NodeApp).Labels["tier"]; got != "web" {
		t.Errorf("the topology's label changed to %q", got)
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ObjectPrefix("r1"), "firedrill-r1-"},
		{ContainerName("r1", "pg-primary"), "firedrill-r1-pg-primary"},
		{NetworkName("r1", WAN), "firedrill-r1-wan"},
		{NetworkName(RunPlaceholder, "east"), "firedrill-<run>-east"},
		{VolumeName("r1", "minio"), "firedrill-r1-minio"},
		{ReplicaNode("replica1"), "pg-replica1"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}

// Every Postgres node's data volume is environment.postgres.disk_size
// (default 1GiB); the other nodes' volumes are not size-limited.
func TestVolumeSize(t *testing.T) {
	sized := strings.Replace(threeRegions, "  postgres:\n", "  postgres:\n    disk_size: 256MiB\n", 1)
	for _, tc := range []struct {
		name, text string
		want       int64
	}{
		{"default", threeRegions, 1 << 30},
		{"disk_size", sized, 256 << 20},
	} {
		topo := New(load(t, tc.text))
		for _, n := range topo.Nodes {
			want := int64(0)
			if n.Kind == KindPostgres {
				want = tc.want
			}
			if n.VolumeSize != want {
				t.Errorf("%s: %s volume size %d, want %d", tc.name, n.Name, n.VolumeSize, want)
			}
		}
	}
}
