package topology

import (
	"fmt"
	"slices"

	"github.com/firedrill/firedrill/scenarios"
)

// Service kinds: what a node runs.
const (
	KindPostgres = "postgres"
	KindStorage  = "storage"
	KindApp      = "app"
)

// Coordination kinds: the HA stacks' own coordination, which decides their
// failovers (docs/scenario.md, "Failover managers"). They are the target
// kinds of the same names.
const (
	KindEtcd    = "etcd"    // a member of Patroni's etcd cluster
	KindMonitor = "monitor" // pg_auto_failover's monitor
)

// Roles a node has when the drill starts. A Postgres node's role changes
// with failovers; resolution asks the State for the current one.
const (
	RolePrimary = scenarios.RolePrimary
	RoleReplica = scenarios.RoleReplica
	RoleStorage = scenarios.RoleStorage
	RoleApp     = scenarios.RoleApp
)

// Node names. A replica is "pg-" + its scenario name.
const (
	NodePrimary = "pg-primary"
	NodeStorage = "minio"
	NodeApp     = "app"
	NodeMonitor = "monitor"
)

// PatroniScope is the name of the Patroni cluster of a run, in its etcd
// (each run has etcd members of its own): Patroni's scope, which is also
// its Postgres cluster_name.
const PatroniScope = "firedrill"

// pg_auto_failover's monitor is reached, by the keepers and the harness,
// as this user on this database: the names pg_autoctl gives them.
const (
	MonitorUser     = "autoctl_node"
	MonitorDatabase = "pg_auto_failover"
)

// EtcdNode is the node name of Patroni's etcd member in region.
func EtcdNode(region string) string { return "etcd-" + region }

// WAN is the network that joins the regions: every node is on its
// region's network and on the WAN, so cross-region traffic (replication,
// the app reaching a remote replica) crosses it, and cutting a node or a
// region off the WAN is a region partition. Scenario regions may not be
// called "wan".
const WAN = "wan"

// Ports every node of a kind serves, as "port/proto".
const (
	PortPostgres = "5432/tcp"
	PortS3       = "9000/tcp"
	PortConsole  = "9001/tcp"
	PortApp      = "8080/tcp"
	// etcd's client port (Patroni's) and peer port (the members' raft).
	PortEtcdClient = "2379/tcp"
	PortEtcdPeer   = "2380/tcp"
	// PortPatroniAPI is Patroni's REST API, on every Postgres node it
	// runs: the stack's own view of its members, read for its events.
	PortPatroniAPI = "8008/tcp"
)

// Data directories of the nodes that keep a volume. AppUploads holds the
// files uploaded to the app, which a files backup saves.
const (
	PostgresData = "/var/lib/postgresql/data"
	StorageData  = "/data"
	AppUploads   = "/uploads"
)

// Node is one service of the environment, one container (or pod).
type Node struct {
	Name    string // pg-primary, pg-replica1, minio, app; etcd-<region>, monitor
	Service string // postgres.primary, postgres.replica1, storage, app; etcd.<region>, monitor: as scenarios name it
	Kind    string // postgres, storage, app; etcd, monitor
	Role    string // primary, replica, storage or app, at the start of the drill; etcd, monitor
	Region  string
	Labels  map[string]string
	// Networks are the logical networks the node joins, home region first,
	// then WAN.
	Networks []string
	// Ports are the ports it serves ("5432/tcp").
	Ports []string
	// Volume is where its data volume is mounted, "" for none.
	Volume string
	// VolumeSize is the size of its data volume in bytes, 0 when the
	// volume is not size-limited: a Postgres node's is
	// environment.postgres.disk_size, the disk disk-fill fills.
	VolumeSize int64
}

// roles are the selector roles a node answers to, given whether it is the
// primary now: a Postgres node is "postgres" and "primary" or "replica".
func (n *Node) roles(primary bool) []string {
	switch n.Kind {
	case KindPostgres:
		if primary {
			return []string{scenarios.RolePostgres, RolePrimary}
		}
		return []string{scenarios.RolePostgres, RoleReplica}
	case KindStorage:
		return []string{RoleStorage}
	case KindApp:
		return []string{RoleApp}
	}
	return nil // the coordination answers to no selector role
}

// Topology is the environment a scenario describes. Build it with New.
type Topology struct {
	// Regions are the scenario's regions, in its order.
	Regions []string
	// Nodes are in start order: the primary, the replicas in scenario
	// order, the storage, the app.
	Nodes []*Node
	// Coordination are the chosen HA stack's coordination nodes: Patroni's
	// etcd members in region order, or pg_auto_failover's monitor; none
	// for the builtin manager. They are apart from Nodes because nothing
	// starts them yet (the engine refuses these managers, Unsupported):
	// they are fault targets, in their region, and what plan shows.
	Coordination []*Node
	// Bucket is the storage's bucket.
	Bucket string

	byName map[string]*Node
}

// ReplicaNode is the node name of the scenario replica called name.
func ReplicaNode(name string) string { return "pg-" + name }

// New derives the topology of a loaded scenario (defaults applied).
func New(scn *scenarios.Scenario) *Topology {
	env := &scn.Environment
	t := &Topology{Regions: slices.Clone(env.Regions), Bucket: env.Storage.Bucket, byName: map[string]*Node{}}
	add := func(n *Node) {
		n.Networks = []string{n.Region, WAN}
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		t.Nodes = append(t.Nodes, n)
		t.byName[n.Name] = n
	}
	// A scenario loaded is validated; one built in code without a
	// disk_size gets a volume that is not size-limited.
	diskSize, _ := scenarios.ParseSize(env.Postgres.DiskSize)
	add(&Node{Name: NodePrimary, Service: scenarios.TargetPrimary, Kind: KindPostgres, Role: RolePrimary,
		Region: scn.RegionOf(scenarios.TargetPrimary), Labels: clone(env.Postgres.Primary.Labels),
		Ports: []string{PortPostgres}, Volume: PostgresData, VolumeSize: diskSize})
	for _, r := range env.Postgres.Replicas {
		add(&Node{Name: ReplicaNode(r.Name), Service: "postgres." + r.Name, Kind: KindPostgres, Role: RoleReplica,
			Region: r.Region, Labels: clone(r.Labels), Ports: []string{PortPostgres}, Volume: PostgresData, VolumeSize: diskSize})
	}
	if env.Storage.IsEnabled() {
		add(&Node{Name: NodeStorage, Service: scenarios.TargetStorage, Kind: KindStorage, Role: RoleStorage,
			Region: scn.RegionOf(scenarios.TargetStorage), Labels: clone(env.Storage.Labels),
			Ports: []string{PortS3, PortConsole}, Volume: StorageData})
	}
	add(&Node{Name: NodeApp, Service: scenarios.TargetApp, Kind: KindApp, Role: RoleApp,
		Region: scn.RegionOf(scenarios.TargetApp), Labels: clone(env.App.Labels), Ports: []string{PortApp}, Volume: AppUploads})
	t.addCoordination(scn)
	return t
}

// addCoordination derives the nodes of the chosen manager's coordination:
// an etcd member per region of scenarios.EtcdRegions for Patroni (whose
// Postgres nodes serve its REST API too), the monitor in
// scenarios.MonitorRegion for pg_auto_failover.
func (t *Topology) addCoordination(scn *scenarios.Scenario) {
	add := func(n *Node) {
		n.Networks, n.Labels = []string{n.Region, WAN}, map[string]string{}
		t.Coordination = append(t.Coordination, n)
		t.byName[n.Name] = n
	}
	switch scn.DR.Failover.Manager {
	case scenarios.ManagerPatroni:
		for _, n := range t.OfKind(KindPostgres) {
			n.Ports = append(n.Ports, PortPatroniAPI)
		}
		for _, r := range scenarios.EtcdRegions(t.Regions) {
			add(&Node{Name: EtcdNode(r), Service: "etcd." + r, Kind: KindEtcd, Role: KindEtcd, Region: r,
				Ports: []string{PortEtcdClient, PortEtcdPeer}})
		}
	case scenarios.ManagerPgAutoFailover:
		// The monitor is a Postgres server of its own (the formation's
		// state), reached on Postgres's port.
		add(&Node{Name: NodeMonitor, Service: NodeMonitor, Kind: KindMonitor, Role: KindMonitor,
			Region: scenarios.MonitorRegion(t.Regions), Ports: []string{PortPostgres}})
	}
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Node returns the node called name.
func (t *Topology) Node(name string) (*Node, bool) {
	n, ok := t.byName[name]
	return n, ok
}

// MustNode returns the node called name and panics if there is none: for
// the well-known nodes every topology has (NodePrimary, NodeApp).
func (t *Topology) MustNode(name string) *Node {
	n, ok := t.byName[name]
	if !ok {
		panic(fmt.Sprintf("topology: no node %q", name))
	}
	return n
}

// OfKind returns the nodes of a kind, in start order.
func (t *Topology) OfKind(kind string) []*Node {
	var out []*Node
	for _, n := range t.All() {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// Postgres returns the Postgres nodes' names, the initial primary first.
func (t *Topology) Postgres() []string {
	var out []string
	for _, n := range t.OfKind(KindPostgres) {
		out = append(out, n.Name)
	}
	return out
}

// Standbys are the Postgres nodes that start as replicas: the failover
// manager's candidates.
func (t *Topology) Standbys() []string {
	var out []string
	for _, n := range t.OfKind(KindPostgres) {
		if n.Role == RoleReplica {
			out = append(out, n.Name)
		}
	}
	return out
}

// InRegion returns the nodes placed in region, in start order, then its
// coordination nodes: a region's faults reach what runs there.
func (t *Topology) InRegion(region string) []*Node {
	var out []*Node
	for _, n := range t.All() {
		if n.Region == region {
			out = append(out, n)
		}
	}
	return out
}

// All are the nodes, then the coordination nodes.
func (t *Topology) All() []*Node { return append(slices.Clone(t.Nodes), t.Coordination...) }

// Networks are the logical networks of the drill: every region, then WAN.
func (t *Topology) Networks() []string { return append(slices.Clone(t.Regions), WAN) }
