package docker

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/postgres"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// testEnv is an Env of the built-in primary-kill scenario, with dr.backups
// set to backups, and no Docker: for the pure parts of starting nodes.
func testEnv(t *testing.T, backups ...scenarios.Backup) *Env {
	t.Helper()
	scn, err := scenarios.Builtin("primary-kill")
	if err != nil {
		t.Fatal(err)
	}
	scn.DR.Backups = backups
	e := &Env{RunID: "unit", Scenario: scn, Topology: topology.New(scn), Bucket: "firedrill",
		pgPassword: "pg-secret-1234", s3Password: "s3-secret-5678", postgresImage: "postgres:15", byName: map[string]*node{}}
	e.cluster = postgres.New(e, e.Topology, e.PostgresCredentials())
	return e
}

func physical(timeout time.Duration) scenarios.Backup {
	return scenarios.Backup{Kind: scenarios.BackupPhysical, Every: scenarios.Duration{Duration: time.Minute}, Keep: 1,
		ArchiveTimeout: scenarios.Duration{Duration: timeout}}
}

// settings are the values of a server command line's -c pairs.
func settings(t *testing.T, args []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i := 0; i < len(args); i++ {
		if args[i] != "-c" || i+1 == len(args) {
			continue
		}
		k, v, _ := strings.Cut(args[i+1], "=")
		out[k] = v
		i++
	}
	return out
}

func TestArchiveArgs(t *testing.T) {
	logical := scenarios.Backup{Kind: scenarios.BackupLogical, Every: scenarios.Duration{Duration: time.Minute}}
	for _, tc := range []struct {
		name    string
		backups []scenarios.Backup
		timeout string // "" when nothing is archived
	}{
		{"no backups", nil, ""},
		{"logical only", []scenarios.Backup{logical}, ""},
		{"physical, default", []scenarios.Backup{logical, physical(0)}, "60s"},
		{"physical, 90s", []scenarios.Backup{physical(90 * time.Second)}, "90s"},
		{"rounded up to whole seconds", []scenarios.Backup{physical(1500 * time.Millisecond)}, "2s"},
		{"the shortest of two", []scenarios.Backup{physical(time.Minute), physical(5 * time.Second)}, "5s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := testEnv(t, tc.backups...)
			got := settings(t, e.postgresArgs(e.Topology.MustNode(topology.NodePrimary)))
			if tc.timeout == "" {
				if _, ok := got["archive_mode"]; ok {
					t.Fatalf("archiving on without a physical backup: %v", got)
				}
				return
			}
			want := map[string]string{"archive_mode": "on", "archive_command": AgentPath + " agent wal-push %p", "archive_timeout": tc.timeout}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			if got["cluster_name"] != topology.NodePrimary {
				t.Errorf("the other settings are gone: %v", got)
			}
		})
	}
}

func TestPostgresServiceArchiving(t *testing.T) {
	replica := topology.ReplicaNode("replica1")
	for _, archiving := range []bool{false, true} {
		var backups []scenarios.Backup
		if archiving {
			backups = append(backups, physical(0))
		}
		e := testEnv(t, backups...)
		for _, tc := range []struct {
			node string
			how  pgStart
		}{
			{topology.NodePrimary, pgStart{}},
			{replica, pgStart{from: topology.NodePrimary}},
		} {
			s := e.postgresService(e.Topology.MustNode(tc.node), tc.how)
			if s.agent != archiving || (s.env[EnvS3Endpoint] != "") != archiving {
				t.Errorf("archiving %v, %s: binary copied %v, S3 env %q", archiving, tc.node, s.agent, s.env[EnvS3Endpoint])
			}
			if _, ok := s.env[EnvPostgresDSN]; ok {
				t.Errorf("%s: a Postgres node is given the job's DSN", tc.node)
			}
			if _, ok := settings(t, s.cmd)["archive_mode"]; ok != archiving {
				t.Errorf("archiving %v, %s: archive_mode in the command line %v: %q", archiving, tc.node, ok, s.cmd)
			}
		}
	}
}

func TestPostgresServiceReplicaClonesFrom(t *testing.T) {
	e := testEnv(t)
	node := topology.NodePrimary // the old primary, re-seeded from the promoted replica
	s := e.postgresService(e.Topology.MustNode(node), pgStart{from: topology.ReplicaNode("replica1")})
	if s.env["FIREDRILL_PRIMARY"] != topology.ReplicaNode("replica1") || s.env["FIREDRILL_SLOT"] != "pg_primary" || s.user != "postgres" {
		t.Fatalf("replica service: env %v user %q", s.env, s.user)
	}
	if _, ok := s.env["POSTGRES_PASSWORD"]; ok {
		t.Fatal("a replica is given a primary's initdb environment")
	}
}

func TestPostgresServiceRestores(t *testing.T) {
	e := testEnv(t)
	tn := e.Topology.MustNode(topology.NodePrimary)

	s := e.postgresService(tn, pgStart{restore: Replacement{InitDB: []string{"agent", "restore", "logical", "--dsn-socket"}}})
	if !s.agent || s.env[EnvS3SecretKey] != e.s3Password || s.env["POSTGRES_DB"] != pgDatabase || s.user != "" {
		t.Fatalf("logical restore: binary %v, env %v, user %q", s.agent, s.env, s.user)
	}
	var paths []string
	for _, f := range s.files {
		paths = append(paths, f.ContainerFilePath)
	}
	if !slices.Equal(paths, []string{"/docker-entrypoint-initdb.d/10-firedrill-replication.sh", "/docker-entrypoint-initdb.d/20-firedrill-restore.sh"}) || s.files[1].FileMode != 0o755 {
		t.Fatalf("logical restore: init files %v", paths)
	}
	if s.cmd[0] != "postgres" || len(s.entrypoint) != 0 {
		t.Fatalf("logical restore: the image's entrypoint must start %q", s.cmd)
	}

	s = e.postgresService(tn, pgStart{restore: Replacement{BeforeStart: []string{"agent", "restore", "physical"}}})
	if !s.agent || s.user != "postgres" || s.env["PGDATA"] != topology.PostgresData || len(s.entrypoint) != 4 || s.entrypoint[0] != "bash" {
		t.Fatalf("physical restore: binary %v, user %q, entrypoint %q", s.agent, s.user, s.entrypoint)
	}
	if !strings.Contains(s.entrypoint[2], "'"+AgentPath+"' 'agent' 'restore' 'physical'") || !strings.Contains(s.entrypoint[2], `exec postgres "$@"`) {
		t.Fatalf("physical restore script:\n%s", s.entrypoint[2])
	}
	if settings(t, s.cmd)["cluster_name"] != tn.Name {
		t.Fatalf("physical restore: server arguments %q", s.cmd)
	}
}

func TestJobEnv(t *testing.T) {
	e := testEnv(t)
	env := e.JobEnv()
	if env[EnvS3Endpoint] != "http://minio:9000" || env[EnvS3Bucket] != "firedrill" || env[EnvS3AccessKey] != s3User ||
		env[EnvS3SecretKey] != e.s3Password || env[EnvS3Region] != "us-east-1" {
		t.Fatalf("S3 env: %v", env)
	}
	dsn := env[EnvPostgresDSN]
	for _, want := range []string{"@pg-primary:5432,pg-replica1:5432/app?", "target_session_attrs=read-write"} {
		if !strings.Contains(dsn, want) {
			t.Errorf("DSN %q lacks %q", e.redact(dsn), want)
		}
	}
	// What a job may print of its environment reaches no one unredacted.
	var printed strings.Builder
	for k, v := range env {
		printed.WriteString(k + "=" + v + "\n")
	}
	red := e.redact(printed.String())
	if strings.Contains(red, e.pgPassword) || strings.Contains(red, e.s3Password) || !strings.Contains(red, "[redacted]") {
		t.Fatalf("redacted env still holds a secret:\n%s", red)
	}
}

func TestOwnRemovalOncePerExpected(t *testing.T) {
	e := testEnv(t)
	e.expectRemoval("vol")
	if !e.ownRemoval("vol") || e.ownRemoval("vol") || e.ownRemoval("other") {
		t.Fatal("an expected removal must be excused once, and only it")
	}
}

func TestReplaceableRefusesOtherKinds(t *testing.T) {
	e := testEnv(t)
	if _, err := e.replaceable(topology.NodeStorage, topology.KindPostgres); err == nil {
		t.Fatal("minio replaced as a Postgres node")
	}
	if _, err := e.replaceable("pg-nope", topology.KindPostgres); err == nil {
		t.Fatal("an unknown node replaced")
	}
}
