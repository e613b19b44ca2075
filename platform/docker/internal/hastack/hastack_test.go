package hastack

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill/scenarios"
)

func dur(d time.Duration) scenarios.Duration { return scenarios.Duration{Duration: d} }

func member() PatroniMember {
	return PatroniMember{
		Scope: "firedrill", Member: "pg-replica1",
		Etcd:     EtcdHosts([]string{"etcd-east", "etcd-west", "etcd-north"}),
		Settings: scenarios.Patroni{TTL: dur(10 * time.Second), LoopWait: dur(time.Second), RetryTimeout: dur(4 * time.Second), MaximumLagOnFailover: 1 << 20},
		// A password YAML would misread unquoted.
		Superuser: "firedrill", SuperuserPassword: `a: b #c'"`,
		Replication: "replicator", ReplicationPassword: "- [x]",
		DataDir: "/var/lib/postgresql/data", BinDir: "/usr/lib/postgresql/15/bin",
		Parameters:        map[string]string{"firedrill.node": "pg-replica1"},
		ClusterParameters: map[string]string{"max_wal_senders": "10"},
		PostBootstrap:     "/etc/firedrill/post-bootstrap.sh",
	}
}

func TestPatroniConfig(t *testing.T) {
	out, err := PatroniConfig(member())
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Scope, Name string
		Restapi     struct {
			Listen         string
			ConnectAddress string `yaml:"connect_address"`
		}
		Etcd3     struct{ Hosts string }
		Bootstrap struct {
			DCS struct {
				TTL          int   `yaml:"ttl"`
				LoopWait     int   `yaml:"loop_wait"`
				RetryTimeout int   `yaml:"retry_timeout"`
				MaxLag       int64 `yaml:"maximum_lag_on_failover"`
				Postgresql   struct {
					UsePgRewind bool              `yaml:"use_pg_rewind"`
					UseSlots    bool              `yaml:"use_slots"`
					Parameters  map[string]string `yaml:"parameters"`
				}
			} `yaml:"dcs"`
			PostBootstrap string `yaml:"post_bootstrap"`
		}
		Postgresql struct {
			ConnectAddress string `yaml:"connect_address"`
			Authentication map[string]map[string]string
			Parameters     map[string]string
			PgHba          []string `yaml:"pg_hba"`
			Basebackup     []map[string]string
		}
		Watchdog struct{ Mode string }
	}
	if err := yaml.Unmarshal(out, &c); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	d := c.Bootstrap.DCS
	if c.Scope != "firedrill" || c.Name != "pg-replica1" || c.Restapi.ConnectAddress != "pg-replica1:8008" ||
		c.Etcd3.Hosts != "etcd-east:2379,etcd-west:2379,etcd-north:2379" {
		t.Errorf("identity: %+v", c)
	}
	if d.TTL != 10 || d.LoopWait != 1 || d.RetryTimeout != 4 || d.MaxLag != 1<<20 || !d.Postgresql.UsePgRewind || !d.Postgresql.UseSlots {
		t.Errorf("dcs: %+v", d)
	}
	if p := d.Postgresql.Parameters; p["max_wal_senders"] != "10" || p["wal_log_hints"] != "on" {
		t.Errorf("cluster parameters: %v", p)
	}
	if a := c.Postgresql.Authentication; a["superuser"]["password"] != `a: b #c'"` || a["replication"]["password"] != "- [x]" ||
		a["superuser"]["username"] != "firedrill" {
		t.Errorf("authentication does not round-trip: %v", a)
	}
	if c.Postgresql.Parameters["firedrill.node"] != "pg-replica1" || c.Postgresql.ConnectAddress != "pg-replica1:5432" {
		t.Errorf("member parameters: %+v", c.Postgresql)
	}
	if b := c.Postgresql.Basebackup; len(b) != 1 || b[0]["checkpoint"] != "fast" {
		t.Errorf("basebackup: %v", b)
	}
	if !slices.Contains(c.Postgresql.PgHba, "host replication replicator all scram-sha-256") || c.Watchdog.Mode != "off" ||
		c.Bootstrap.PostBootstrap != "/etc/firedrill/post-bootstrap.sh" {
		t.Errorf("hba, watchdog, post_bootstrap: %+v %+v", c.Postgresql.PgHba, c)
	}
	m := member()
	m.Etcd = nil
	if _, err := PatroniConfig(m); err == nil {
		t.Error("no etcd hosts: no error")
	}
}

func TestEtcdArgs(t *testing.T) {
	args := strings.Join(EtcdArgs("etcd-west", []string{"etcd-east", "etcd-west"}, "run-1"), " ")
	for _, want := range []string{
		"--name etcd-west",
		"--advertise-client-urls http://etcd-west:2379",
		"--initial-advertise-peer-urls http://etcd-west:2380",
		"--initial-cluster etcd-east=http://etcd-east:2380,etcd-west=http://etcd-west:2380",
		"--initial-cluster-token run-1",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("missing %q in %s", want, args)
		}
	}
}

// The post-bootstrap script is valid shell that quotes the statement as
// one argument.
func TestPatroniPostBootstrap(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal("the test needs sh: ", err)
	}
	dir := t.TempDir()
	// A psql that prints its arguments, one per line.
	fake := "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n"
	if err := os.WriteFile(filepath.Join(dir, "psql"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "post.sh")
	if err := os.WriteFile(script, []byte(PatroniPostBootstrap("app", "firedrill")), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh, script, "postgres://x@/postgres")
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := "-v\nON_ERROR_STOP=1\n-d\npostgres://x@/postgres\n-c\nCREATE DATABASE \"app\" OWNER \"firedrill\"\n"
	if string(out) != want {
		t.Errorf("psql got:\n%s\nwant:\n%s", out, want)
	}
}

func TestParametersSplitSharedFromLocal(t *testing.T) {
	shared, local := Parameters([]string{"-c", "firedrill.node=pg-replica1", "-c", "cluster_name=pg-replica1",
		"-c", "wal_level=replica", "-c", "max_wal_senders=10", "-c", "wal_keep_size=256MB", "-c", "hot_standby=on", "stray"})
	if want := map[string]string{"wal_level": "replica", "max_wal_senders": "10", "hot_standby": "on"}; !maps.Equal(shared, want) {
		t.Errorf("shared %v, want %v", shared, want)
	}
	if want := map[string]string{"firedrill.node": "pg-replica1", "wal_keep_size": "256MB"}; !maps.Equal(local, want) {
		t.Errorf("local %v, want %v (cluster_name is Patroni's)", local, want)
	}
}

// The pg_auto_failover scripts are valid bash, and the keeper's
// password reaches psql through its input, never its command line.
func TestPgafScripts(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("no bash to check the scripts with: %v", err)
	}
	for name, script := range map[string]string{"monitor": PgafMonitorScript(), "keeper": PgafKeeperScript()} {
		if out, err := exec.Command(bash, "-n", "-c", script).CombinedOutput(); err != nil {
			t.Errorf("%s script: %v: %s", name, err, out)
		}
	}
	keeper := PgafKeeperScript()
	for _, line := range strings.Split(keeper, "\n") {
		if strings.Contains(line, "FIREDRILL_PG_PASSWORD") && !strings.Contains(line, "PASSWORD '$FIREDRILL_PG_PASSWORD'") {
			t.Errorf("the password is used outside psql's input: %q", line)
		}
	}
	if !strings.Contains(keeper, "--skip-pg-hba") || !strings.Contains(PgafMonitorScript(), "--skip-pg-hba") {
		t.Error("pg_autoctl would write its own pg_hba rules, by address")
	}
}
