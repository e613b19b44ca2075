package docker

// The HA stacks' nodes (docs/architecture.md, "The HA stacks"): under
// dr.failover.manager patroni, etcd members and Postgres nodes that
// Patroni runs, in place of the builtin stack's plain servers.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/firedrill/firedrill/platform/docker/internal/hastack"
	"github.com/firedrill/firedrill/topology"
)

// Where the Patroni image reads its configuration (its CMD) and where the
// member's post-bootstrap script is put.
const (
	patroniConfigPath = "/etc/patroni.yml"
	patroniBootstrap  = "/etc/firedrill/post-bootstrap.sh"
	patroniScope      = "firedrill"
	postgresBinDir    = "/usr/lib/postgresql/15/bin" // the images' Postgres 15 (images/recipes)
	etcdHealthPath    = "/health"
)

// startEtcd starts every etcd member at once (a member alone waits for
// its peers' quorum) and waits until each reports itself healthy.
func (e *Env) startEtcd(ctx context.Context, image string) error {
	nodes := e.Topology.OfKind(topology.KindEtcd)
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	t := time.Now()
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			if _, err := e.run(ctx, service{node: n, image: image, cmd: hastack.EtcdArgs(n.Name, names, e.RunID)}); err != nil {
				errs[i] = err
				return
			}
			errs[i] = e.waitHTTP(ctx, n.Name, topology.PortEtcdClient, etcdHealthPath)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	e.say("etcd of %d member(s) ready in region(s) %s (%s)", len(nodes), strings.Join(regionsOf(nodes), ", "), time.Since(t).Round(100*time.Millisecond))
	return nil
}

func regionsOf(nodes []*topology.Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Region
	}
	return out
}

// patroniService is how a Postgres node run by Patroni starts: the same
// server settings as the builtin stack's nodes (postgresArgs), split
// between the ones every member shares and its own, the run's login as
// superuser and for replication, and the scenario's Patroni timings.
func (e *Env) patroniService(tn *topology.Node, image string) (service, error) {
	shared, params := hastack.Parameters(e.postgresArgs(tn))
	pt := e.Scenario.DR.Failover.Patroni
	if pt == nil {
		return service{}, fmt.Errorf("patroni member %s: the scenario's dr.failover.patroni has no settings (defaults not applied)", tn.Name)
	}
	var etcd []string
	for _, n := range e.Topology.OfKind(topology.KindEtcd) {
		etcd = append(etcd, n.Name)
	}
	cfg, err := hastack.PatroniConfig(hastack.PatroniMember{
		Scope: topology.PatroniScope, Member: tn.Name, Etcd: hastack.EtcdHosts(etcd),
		Settings:  *pt,
		Superuser: pgUser, SuperuserPassword: e.pgPassword,
		Replication: pgUser, ReplicationPassword: e.pgPassword,
		DataDir: topology.PostgresData, BinDir: postgresBinDir,
		Parameters: params, ClusterParameters: shared,
		PostBootstrap: patroniBootstrap,
	})
	if err != nil {
		return service{}, err
	}
	return service{node: tn, image: image, env: map[string]string{}, files: []testcontainers.ContainerFile{
		{Reader: strings.NewReader(string(cfg)), ContainerFilePath: patroniConfigPath, FileMode: 0o644},
		{Reader: strings.NewReader(hastack.PatroniPostBootstrap(pgDatabase, pgUser)), ContainerFilePath: patroniBootstrap, FileMode: 0o755},
	}}, nil
}

// startPatroni starts the etcd members, then the initial primary's
// Patroni, which initialises the cluster and takes the leader key, then
// the replicas', which clone it: each waited for as the builtin's nodes
// are (writable, or streaming from the primary).
func (e *Env) startPatroni(ctx context.Context, patroniImage, etcdImage string) error {
	if err := e.startEtcd(ctx, etcdImage); err != nil {
		return err
	}
	for _, tn := range e.Topology.OfKind(topology.KindPostgres) {
		t := time.Now()
		s, err := e.patroniService(tn, patroniImage)
		if err != nil {
			return err
		}
		n, err := e.run(ctx, s)
		if err != nil {
			return err
		}
		from := ""
		if tn.Role != topology.RolePrimary {
			from = topology.NodePrimary
		}
		wctx, cancel := context.WithTimeout(ctx, readyTimeout)
		err = e.cluster.WaitReady(wctx, tn.Name, from != "", from)
		cancel()
		if err != nil {
			return fmt.Errorf("patroni member %s not ready after %s: %w%s", tn.Name, time.Since(t).Round(time.Second), err, e.logTail(ctx, n))
		}
		e.say("patroni member %s ready as %s in region %s (%s)", tn.Name, map[bool]string{true: "replica", false: "leader"}[from != ""], tn.Region, time.Since(t).Round(100*time.Millisecond))
	}
	return nil
}
