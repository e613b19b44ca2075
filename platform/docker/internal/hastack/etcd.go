package hastack

import (
	"fmt"
	"strings"
)

// etcd's ports: clients (Patroni) and peers.
const (
	EtcdClientPort = 2379
	EtcdPeerPort   = 2380
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
		peers[i] = fmt.Sprintf("%s=http://%s:%d", m, m, EtcdPeerPort)
	}
	return []string{"etcd",
		"--name", member,
		"--listen-client-urls", fmt.Sprintf("http://0.0.0.0:%d", EtcdClientPort),
		"--advertise-client-urls", fmt.Sprintf("http://%s:%d", member, EtcdClientPort),
		"--listen-peer-urls", fmt.Sprintf("http://0.0.0.0:%d", EtcdPeerPort),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://%s:%d", member, EtcdPeerPort),
		"--initial-cluster", strings.Join(peers, ","),
		"--initial-cluster-token", token,
		"--initial-cluster-state", "new",
	}
}

// EtcdHosts are the members' client addresses, as Patroni's etcd3 section
// lists them.
func EtcdHosts(members []string) []string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = fmt.Sprintf("%s:%d", m, EtcdClientPort)
	}
	return out
}
