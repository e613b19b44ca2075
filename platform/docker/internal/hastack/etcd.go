package hastack

import (
	"strings"

	"github.com/firedrill/firedrill/topology"
)

// etcd's ports, the topology's: clients (Patroni) and peers.
var (
	etcdClientPort = portNumber(topology.PortEtcdClient)
	etcdPeerPort   = portNumber(topology.PortEtcdPeer)
)

// EtcdArgs is the command line of the etcd member called member, one of
// members (every member's name, which is also its host name on the run's
// networks), as etcd's clustering guide sets up a static cluster: each
// member knows every peer from the start, the token keeps runs apart. Its
// data stays in the container (etcd's default directory under the
// image's working directory): a kill and a restart keep it, as a real
// member's disk would.
func EtcdArgs(member string, members []string, token string) []string {
	peers := make([]string, len(members))
	for i, m := range members {
		peers[i] = m + "=http://" + m + ":" + etcdPeerPort
	}
	return []string{"etcd",
		"--name", member,
		"--listen-client-urls", "http://0.0.0.0:" + etcdClientPort,
		"--advertise-client-urls", "http://" + member + ":" + etcdClientPort,
		"--listen-peer-urls", "http://0.0.0.0:" + etcdPeerPort,
		"--initial-advertise-peer-urls", "http://" + member + ":" + etcdPeerPort,
		"--initial-cluster", strings.Join(peers, ","),
		"--initial-cluster-token", token,
		"--initial-cluster-state", "new",
		// A member cut off from its peers campaigns in vain, raising its
		// term; without pre-vote it makes the cluster elect a new leader
		// when it comes back, and no member answers a linearizable read
		// (nor Patroni's lock renewal) meanwhile. etcd 3.5 turns it on by
		// default; 3.4 has it off.
		"--pre-vote",
	}
}

// EtcdHosts are the members' client addresses, as Patroni's etcd3 section
// lists them.
func EtcdHosts(members []string) []string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = m + ":" + etcdClientPort
	}
	return out
}
