package hastack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill/sampleapp"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// Host is what starting a stack needs of the runtime (platform/docker's
// Env): containers, waits and the Postgres administration.
type Host interface {
	// Start starts the node's container as spec says and returns once it
	// runs; its errors carry the container's last log lines.
	Start(ctx context.Context, n *topology.Node, spec Spec) error
	// WaitHTTP waits until GET path on the node's port answers 200.
	WaitHTTP(ctx context.Context, node, port, path string) error
	// WaitPostgres waits until node is the writable primary (from "") or
	// a standby streaming from from.
	WaitPostgres(ctx context.Context, node, from string) error
	// Poll asks ready every 200 ms, within the runtime's ready timeout,
	// until it says yes; its error names what and the node's last log
	// lines.
	Poll(ctx context.Context, node, what string, ready func(context.Context) (bool, error)) error
	// Endpoint is where the harness reaches a node's port.
	Endpoint(ctx context.Context, node, port string) (string, error)
	// SetStandbyName tells the Postgres administration the
	// application_name the stack gives a node as a standby.
	SetStandbyName(node, applicationName string)
	// Say reports progress.
	Say(format string, args ...any)
}

// Spec is how one node's container runs: its image's entrypoint with Cmd,
// Env, and Files put in before it starts.
type Spec struct {
	Image string
	Env   map[string]string
	Cmd   []string
	Files []File
}

// File is a file put into a container before it starts.
type File struct {
	Path, Content string
	Mode          int64
}

// Stack is what a stack is started from.
type Stack struct {
	Scenario *scenarios.Scenario
	Topology *topology.Topology
	// RunID keeps etcd clusters of different runs apart (its token).
	RunID string
	// Images by role: the stack's Postgres nodes' and its coordination's.
	NodeImage, CoordinationImage string
	// User, Password and Database are the run's login and the app's
	// database; Password is a secret.
	User, Password, Database string
	// ServerArgs are a Postgres node's settings as the builtin stack
	// starts it ("-c", "name=value"): the stacks run with the same.
	ServerArgs func(*topology.Node) []string
}

// Where the Patroni image reads its configuration (its CMD) and where the
// member's post-bootstrap script is put; the images' Postgres 15 binaries.
const (
	patroniConfigPath = "/etc/patroni.yml"
	patroniBootstrap  = "/etc/firedrill/post-bootstrap.sh"
	postgresBinDir    = "/usr/lib/postgresql/15/bin"
	etcdHealthPath    = "/health"
)

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

func names(nodes []*topology.Node) (out []string) {
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	return out
}

// StartPatroni starts the etcd members, all at once (a member alone
// waits for its peers' quorum), each waited for until healthy; then the
// initial primary's Patroni, which initialises the cluster and takes the
// leader key, then the replicas', which clone it: each waited for as the
// builtin's nodes are (writable, or streaming from the primary).
func StartPatroni(ctx context.Context, h Host, s Stack) error {
	pt := s.Scenario.DR.Failover.Patroni
	if pt == nil {
		return fmt.Errorf("patroni: the scenario's dr.failover.patroni has no settings (defaults not applied)")
	}
	etcd := s.Topology.OfKind(topology.KindEtcd)
	members := names(etcd)
	t := time.Now()
	errs := make([]error, len(etcd))
	var wg sync.WaitGroup
	for i, n := range etcd {
		wg.Go(func() {
			if errs[i] = h.Start(ctx, n, Spec{Image: s.CoordinationImage, Cmd: EtcdArgs(n.Name, members, s.RunID)}); errs[i] == nil {
				errs[i] = h.WaitHTTP(ctx, n.Name, topology.PortEtcdClient, etcdHealthPath)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var regions []string
	for _, n := range etcd {
		regions = append(regions, n.Region)
	}
	h.Say("etcd of %d member(s) ready in region(s) %s (%s)", len(etcd), strings.Join(regions, ", "), since(t))
	for _, tn := range s.Topology.OfKind(topology.KindPostgres) {
		t := time.Now()
		// The builtin's server settings, split between the ones every
		// member shares and its own; the run's login as superuser and
		// for replication.
		shared, own := Parameters(s.ServerArgs(tn))
		cfg, err := PatroniConfig(PatroniMember{
			Scope: topology.PatroniScope, Member: tn.Name, Etcd: EtcdHosts(members), Settings: *pt,
			Superuser: s.User, SuperuserPassword: s.Password, Replication: s.User, ReplicationPassword: s.Password,
			DataDir: topology.PostgresData, BinDir: postgresBinDir, Parameters: own, ClusterParameters: shared,
			PostBootstrap: patroniBootstrap,
		})
		if err != nil {
			return err
		}
		if err := h.Start(ctx, tn, Spec{Image: s.NodeImage, Files: []File{
			{Path: patroniConfigPath, Content: string(cfg), Mode: 0o644},
			{Path: patroniBootstrap, Content: PatroniPostBootstrap(s.Database, s.User), Mode: 0o755},
		}}); err != nil {
			return err
		}
		if err := waitNode(ctx, h, tn, "patroni member", t, map[bool]string{true: "replica", false: "leader"}); err != nil {
			return err
		}
	}
	return nil
}

// waitNode waits for a Postgres node as the builtin's are waited for and
// says so, as role[standby] names it.
func waitNode(ctx context.Context, h Host, tn *topology.Node, what string, t time.Time, role map[bool]string) error {
	from := ""
	if tn.Role != topology.RolePrimary {
		from = topology.NodePrimary
	}
	if err := h.WaitPostgres(ctx, tn.Name, from); err != nil {
		return fmt.Errorf("%s %s not ready after %s: %w", what, tn.Name, since(t), err)
	}
	h.Say("%s %s ready as %s in region %s (%s)", what, tn.Name, role[from != ""], tn.Region, since(t))
	return nil
}

// StartPgAutoFailover starts the monitor (its health-check settings the
// scenario's) and waits until it answers, then each keeper in turn: the
// initial primary, which initialises the cluster and creates the run's
// login, then the replicas, which clone it. Each is waited for as the
// builtin's nodes are, once the monitor has registered it and its
// standby name is known (pg_auto_failover names standbys by node id).
func StartPgAutoFailover(ctx context.Context, h Host, s Stack) error {
	pa := s.Scenario.DR.Failover.PgAutoFailover
	if pa == nil {
		return fmt.Errorf("pg_auto_failover: the scenario's dr.failover.pg_auto_failover has no settings (defaults not applied)")
	}
	t := time.Now()
	mon := s.Topology.MustNode(topology.NodeMonitor)
	monConf := PgafMonitorSettings(*pa)
	monConf[sampleapp.NodeSetting] = mon.Name
	if err := h.Start(ctx, mon, Spec{Image: s.CoordinationImage, Env: PgafEnv(mon.Name, mon.Name),
		Cmd: []string{"bash", "-c", PgafMonitorScript()}, Files: pgafFiles(PgafMonitorHBA(), PgafConf(monConf))}); err != nil {
		return err
	}
	ep, err := h.Endpoint(ctx, mon.Name, topology.PortPostgres)
	if err != nil {
		return err
	}
	dsn := MonitorDSN(ep)
	// The monitor answers once its formation exists.
	if err := h.Poll(ctx, mon.Name, "pg_auto_failover monitor", func(ctx context.Context) (bool, error) {
		_, _, err := MonitorNodeID(ctx, dsn, "")
		return err == nil, err
	}); err != nil {
		return err
	}
	h.Say("pg_auto_failover monitor ready in region %s (%s)", mon.Region, since(t))
	for _, tn := range s.Topology.OfKind(topology.KindPostgres) {
		t := time.Now()
		shared, own := Parameters(s.ServerArgs(tn))
		maps.Copy(own, shared)
		env := PgafEnv(tn.Name, mon.Name)
		env["FIREDRILL_DB"] = s.Database
		if tn.Role == topology.RolePrimary {
			maps.Copy(env, map[string]string{"FIREDRILL_FIRST": "1", "FIREDRILL_PG_USER": s.User, "FIREDRILL_PG_PASSWORD": s.Password})
		} else {
			env["FIREDRILL_CLONE_FROM"] = topology.NodePrimary
		}
		if err := h.Start(ctx, tn, Spec{Image: s.NodeImage, Env: env, Cmd: []string{"bash", "-c", PgafKeeperScript()},
			Files: pgafFiles(PgafKeeperHBA(), PgafConf(own))}); err != nil {
			return err
		}
		var id int
		if err := h.Poll(ctx, tn.Name, tn.Name+"'s registration with the monitor", func(ctx context.Context) (ok bool, err error) {
			id, ok, err = MonitorNodeID(ctx, dsn, tn.Name)
			return ok, err
		}); err != nil {
			return err
		}
		h.SetStandbyName(tn.Name, PgafStandbyName(id))
		if err := waitNode(ctx, h, tn, "pg_auto_failover node", t, map[bool]string{true: "secondary", false: "primary"}); err != nil {
			return err
		}
	}
	return nil
}

// pgafFiles are a pg_auto_failover node's pg_hba.conf and own settings.
func pgafFiles(hba, conf string) []File {
	return []File{{Path: PgafHBA, Content: hba, Mode: 0o644}, {Path: PgafNodeConf, Content: conf, Mode: 0o644}}
}
