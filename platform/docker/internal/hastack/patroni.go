package hastack

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill/platform/docker/internal/pgnode"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// Patroni's REST API and Postgres's ports on every member, the topology's.
var (
	patroniAPIPort = portNumber(topology.PortPatroniAPI)
	postgresPort   = portNumber(topology.PortPostgres)
)

// portNumber is the number of a topology port ("8008/tcp").
func portNumber(p string) string { return strings.TrimSuffix(p, "/tcp") }

// PatroniMember is what one member's patroni.yml is made from.
type PatroniMember struct {
	// Scope names the cluster in the DCS; Member is this member's name,
	// its topology node name, which is also its host name on the run's
	// networks.
	Scope, Member string
	// Etcd are the etcd members' client addresses (host:port).
	Etcd []string
	// Settings are the scenario's dr.failover.patroni, defaults applied.
	Settings scenarios.Patroni
	// Superuser is the run's login (the app's, a superuser as in the
	// builtin stack); Replication the streaming replicas'. Passwords are
	// secrets: the file is written into the container, never printed.
	Superuser, SuperuserPassword     string
	Replication, ReplicationPassword string
	// DataDir and BinDir are Postgres's data directory and binaries.
	DataDir, BinDir string
	// Parameters are server settings of this member alone (its local
	// configuration): firedrill.node, WAL sizing.
	Parameters map[string]string
	// ClusterParameters are the server settings every member shares
	// (bootstrap.dcs.postgresql.parameters): max_wal_senders and the like.
	ClusterParameters map[string]string
	// PostBootstrap is the path of the script Patroni runs once, on the
	// member that initialises the cluster, to create the app's database.
	PostBootstrap string
}

// wholeSeconds is d in Patroni's unit; the scenario loader has already
// refused anything but whole seconds.
func wholeSeconds(d time.Duration) int { return int(math.Round(d.Seconds())) }

// PatroniConfig is the member's patroni.yml: etcd3 as the DCS (the v3 API;
// Patroni's etcd section speaks the deprecated v2), the scenario's timings
// as the bootstrap's dynamic configuration, slots and pg_rewind as
// Patroni's documentation recommends, a fast checkpoint for a replica's
// clone, no watchdog (a container has none),
// and client authentication by password from any address of the run's
// networks (addresses change when a fault reconnects a member).
func PatroniConfig(m PatroniMember) ([]byte, error) {
	if m.Scope == "" || m.Member == "" || len(m.Etcd) == 0 {
		return nil, fmt.Errorf("patroni member: scope, member and etcd hosts are required")
	}
	s := m.Settings
	cfg := map[string]any{
		"scope": m.Scope,
		"name":  m.Member,
		"restapi": map[string]any{
			"listen":          "0.0.0.0:" + patroniAPIPort,
			"connect_address": m.Member + ":" + patroniAPIPort,
		},
		"etcd3": map[string]any{"hosts": strings.Join(m.Etcd, ",")},
		"bootstrap": map[string]any{
			"dcs": map[string]any{
				"ttl":                     wholeSeconds(s.TTL.Duration),
				"loop_wait":               wholeSeconds(s.LoopWait.Duration),
				"retry_timeout":           wholeSeconds(s.RetryTimeout.Duration),
				"maximum_lag_on_failover": s.MaximumLagOnFailover,
				"postgresql": map[string]any{
					"use_pg_rewind": true,
					"use_slots":     true,
					"parameters":    withDefault(m.ClusterParameters, "wal_log_hints", "on"), // pg_rewind needs it
				},
			},
			"initdb":         []any{map[string]string{"encoding": "UTF8"}, "data-checksums"},
			"post_bootstrap": m.PostBootstrap,
		},
		"postgresql": map[string]any{
			"listen":          "0.0.0.0:" + postgresPort,
			"connect_address": m.Member + ":" + postgresPort,
			"data_dir":        m.DataDir,
			"bin_dir":         m.BinDir,
			"authentication": map[string]any{
				"superuser":   map[string]string{"username": m.Superuser, "password": m.SuperuserPassword},
				"replication": map[string]string{"username": m.Replication, "password": m.ReplicationPassword},
			},
			"parameters": m.Parameters,
			// A replica's clone starts at once instead of waiting a spread
			// checkpoint out (tens of seconds on an idle primary).
			"basebackup": []any{map[string]string{"checkpoint": "fast"}},
			"pg_hba": []string{
				"local all all trust",
				"host replication " + m.Replication + " all scram-sha-256",
				"host all all all scram-sha-256",
			},
		},
		"watchdog": map[string]any{"mode": "off"},
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("patroni member %s: %w", m.Member, err)
	}
	return out, nil
}

// withDefault is m with key set to value unless m sets it.
func withDefault(m map[string]string, key, value string) map[string]string {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]string{}
	}
	if _, ok := out[key]; !ok {
		out[key] = value
	}
	return out
}

// PatroniPostBootstrap is the script Patroni runs once the cluster is
// initialised, with a connection string to it as its argument: it creates
// the app's database, owned by the run's login.
func PatroniPostBootstrap(database, owner string) string {
	return "#!/bin/sh\nset -e\npsql -v ON_ERROR_STOP=1 -d \"$1\" -c " +
		pgnode.ShellQuote([]string{"CREATE DATABASE " + pgx.Identifier{database}.Sanitize() + " OWNER " + pgx.Identifier{owner}.Sanitize()}) + "\n"
}

// clusterParameters are the settings Patroni wants the same on every
// member: bootstrap.dcs.postgresql.parameters, never a member's own.
var clusterParameters = []string{"wal_level", "max_wal_senders", "max_replication_slots", "hot_standby"}

// Parameters turns the Postgres command-line settings of a node ("-c",
// "name=value", as the builtin stack starts its servers) into a Patroni
// member's: the ones every member shares and its own, so that a member
// runs with the very settings of the builtin's nodes. cluster_name is
// left out: Patroni sets it to the scope.
func Parameters(args []string) (shared, local map[string]string) {
	shared, local = map[string]string{}, map[string]string{}
	for i := 0; i+1 < len(args); i++ {
		if args[i] != "-c" {
			continue
		}
		k, v, ok := strings.Cut(args[i+1], "=")
		i++
		switch {
		case !ok || k == "cluster_name":
		case slices.Contains(clusterParameters, k):
			shared[k] = v
		default:
			local[k] = v
		}
	}
	return shared, local
}
