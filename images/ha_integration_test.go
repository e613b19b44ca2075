//go:build integration

package images

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// The HA stacks' images, resolved (built when absent: the three share one
// debootstrap base) and smoke-checked: each contains what the failover
// managers that run them need. Their configuration is the managers' own.
func TestImagesHAStacks(t *testing.T) {
	cli := imagesTestDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	progress := &imagesTestWriter{t: t}
	im := NewImages(cli, WithProgress(progress))
	resolved, err := im.ResolveAll(ctx, []Request{{Role: RolePatroni}, {Role: RoleEtcd}, {Role: RolePGAutoFailover}})
	if err != nil {
		t.Fatalf("resolve the HA images (a build needs debootstrap and root: `sudo firedrill images build patroni etcd pg_auto_failover`): %v", err)
	}
	for role, img := range resolved {
		t.Logf("resolved %s: %s %s", role, img.Ref, img.Source)
	}
	t.Run("etcd", func(t *testing.T) { imagesTestEtcd(t, cli, resolved[RoleEtcd]) })
	t.Run("patroni", func(t *testing.T) { imagesTestPatroni(t, cli, resolved[RolePatroni], resolved[RoleEtcd]) })
	t.Run("pg_auto_failover", func(t *testing.T) { imagesTestPGAutoFailover(t, cli, resolved[RolePGAutoFailover]) })
}

// imagesTestOutput runs cmd in a new container of ref (its entrypoint
// included) and returns what it printed, failing unless it exits 0.
func imagesTestOutput(t *testing.T, cli *client.Client, ref string, host *container.HostConfig, cmd ...string) string {
	t.Helper()
	id := imagesTestRun(t, cli, &container.Config{Image: ref, Cmd: cmd}, host, nil)
	code := imagesTestWait(t, cli, id)
	out := imagesTestLogs(t, cli, id)
	if code != 0 {
		t.Fatalf("%s %q exited %d:\n%s", ref, cmd, code, out)
	}
	return out
}

func imagesTestMatch(t *testing.T, what, pattern, out string) {
	t.Helper()
	if !regexp.MustCompile(pattern).MatchString(out) {
		t.Errorf("%s: no match for %s in:\n%s", what, pattern, out)
	}
}

// imagesTestEtcdMember starts a one-member etcd serving the v3 API and, with
// --enable-v2, the v2 API on 2379 (published), and waits until etcdctl says
// it is healthy.
func imagesTestEtcdMember(t *testing.T, cli *client.Client, ref string) string {
	t.Helper()
	id := imagesTestRun(t, cli, &container.Config{Image: ref, Cmd: []string{
		"etcd", "--name", "fd1", "--enable-v2",
		"--listen-client-urls", "http://0.0.0.0:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
	}}, &container.HostConfig{PortBindings: imagesTestPublish("2379/tcp")}, nil)
	deadline := time.Now().Add(60 * time.Second)
	for {
		out := imagesTestExec(t, cli, id, "", "etcdctl", "endpoint", "health")
		if strings.Contains(out, "127.0.0.1:2379 is healthy") {
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcd not healthy: %s\n%s", out, imagesTestLogs(t, cli, id))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func imagesTestEtcd(t *testing.T, cli *client.Client, img Image) {
	out := imagesTestOutput(t, cli, img.Ref, nil, "etcd", "--version")
	imagesTestMatch(t, "etcd --version", `(?m)^etcd Version: 3\.4\.\d+$`, out)
	out = imagesTestOutput(t, cli, img.Ref, nil, "etcdctl", "version")
	imagesTestMatch(t, "etcdctl version", `(?m)^etcdctl version: 3\.4\.\d+$`, out)

	id := imagesTestEtcdMember(t, cli, img.Ref)
	// The v3 API, through etcdctl.
	if out := imagesTestExec(t, cli, id, "", "etcdctl", "put", "/firedrill/v3", "yes"); !strings.Contains(out, "OK") {
		t.Fatalf("etcdctl put: %s", out)
	}
	if out := imagesTestExec(t, cli, id, "", "etcdctl", "get", "--print-value-only", "/firedrill/v3"); strings.TrimSpace(out) != "yes" {
		t.Fatalf("etcdctl get: %q", out)
	}
	// The v2 API, over HTTP from the host, as python3-etcd speaks it.
	base := "http://127.0.0.1:" + imagesTestHostPort(t, cli, id, "2379/tcp")
	req, err := http.NewRequest(http.MethodPut, base+"/v2/keys/firedrill", strings.NewReader(url.Values{"value": {"v2"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if body := imagesTestHTTP(t, req, http.StatusCreated); !strings.Contains(body, `"value":"v2"`) {
		t.Fatalf("v2 set: %s", body)
	}
	get, _ := http.NewRequest(http.MethodGet, base+"/v2/keys/firedrill", nil)
	var node struct {
		Action string
		Node   struct{ Key, Value string }
	}
	if err := json.Unmarshal([]byte(imagesTestHTTP(t, get, http.StatusOK)), &node); err != nil || node.Action != "get" || node.Node.Value != "v2" {
		t.Fatalf("v2 get: %+v %v", node, err)
	}
}

func imagesTestHTTP(t *testing.T, req *http.Request, want int) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %s, want %d: %s", req.Method, req.URL, resp.Status, want, body)
	}
	return string(body)
}

func imagesTestPatroni(t *testing.T, cli *client.Client, img, etcd Image) {
	// The entrypoint runs the command as the postgres user, uid 999.
	out := imagesTestOutput(t, cli, img.Ref, nil, "sh", "-c",
		`id -u && patroni --version && patronictl version && pg_basebackup --version && command -v initdb pg_ctl && python3 -c 'import etcd'`)
	imagesTestMatch(t, "uid", `^999\n`, out)
	imagesTestMatch(t, "patroni --version", `(?m)^patroni 3\.0\.\d+$`, out)
	imagesTestMatch(t, "patronictl version", `(?m)^patronictl version 3\.0\.\d+$`, out)
	imagesTestMatch(t, "pg_basebackup", `(?m)^pg_basebackup \(PostgreSQL\) 15\.\d+`, out)
	imagesTestMatch(t, "server binaries", `(?m)^/usr/lib/postgresql/15/bin/initdb$`, out)

	// Patroni's own etcd clients against the etcd image: etcd3 (the v3 JSON
	// gateway) and etcd (v2, served because of --enable-v2). The patroni
	// container shares the member's network namespace.
	member := imagesTestEtcdMember(t, cli, etcd.Ref)
	shared := &container.HostConfig{NetworkMode: container.NetworkMode("container:" + member)}
	for _, section := range []string{"etcd3", "etcd"} {
		// patronictl's --dcs-url knows no etcd3 scheme: a configuration file,
		// as the manager will write, names the section.
		out := imagesTestOutput(t, cli, img.Ref, shared, "sh", "-c",
			`printf 'scope: firedrill\n`+section+`:\n  hosts: 127.0.0.1:2379\n' >/tmp/ctl.yml && patronictl -c /tmp/ctl.yml list`)
		imagesTestMatch(t, "patronictl list over "+section, `Cluster: firedrill`, out)
	}
}

func imagesTestPGAutoFailover(t *testing.T, cli *client.Client, img Image) {
	out := imagesTestOutput(t, cli, img.Ref, nil, "sh", "-c",
		`id -u && pg_autoctl --version && pg_autoctl create postgres --help >/dev/null 2>&1 && `+
			`pg_autoctl create monitor --pgdata "$PGDATA" --hostname localhost --auth trust --no-ssl && `+
			`test -s "$PGDATA/PG_VERSION" && pg_autoctl show uri --pgdata "$PGDATA" --formation monitor`)
	imagesTestMatch(t, "uid", `^999\n`, out)
	imagesTestMatch(t, "pg_autoctl --version", `(?m)^pg_autoctl version 2\.0\b`, out)
	imagesTestMatch(t, "monitor uri", `postgres://autoctl_node@localhost:5432/pg_auto_failover`, out)
}
