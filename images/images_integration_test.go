//go:build integration

package images

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/images/internal/buildlog"
)

// imagesTestRunLabel marks every container these tests start, so a failed run's
// leftovers can be found and removed.
const imagesTestRunLabel = "test-images"

func imagesTestDocker(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		t.Fatalf("docker unavailable (integration tests need a Docker Engine): %v", err)
	}
	imagesTestRemoveContainers(t, cli)
	t.Cleanup(func() { imagesTestRemoveContainers(t, cli) })
	return cli
}

func imagesTestRemoveContainers(t *testing.T, cli *client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", "firedrill.run="+imagesTestRunLabel),
	})
	if err != nil {
		t.Logf("list test containers: %v", err)
		return
	}
	for _, c := range res.Items {
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			t.Logf("remove container %s: %v", c.ID, err)
		}
	}
}

// imagesTestWriter turns progress lines into test log lines.
type imagesTestWriter struct {
	t  *testing.T
	mu sync.Mutex
}

func (w *imagesTestWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// imagesTestCapture keeps the progress lines and passes them on.
type imagesTestCapture struct {
	mu  sync.Mutex
	buf strings.Builder
	w   io.Writer
}

func (c *imagesTestCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.buf.Write(p)
	c.mu.Unlock()
	return c.w.Write(p)
}

func (c *imagesTestCapture) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Split(strings.TrimSpace(c.buf.String()), "\n")
}

// imagesTestAppBinary builds ./cmd/firedrill statically, or a tiny static program
// printing its arguments when the CLI does not exist or does not build (yet).
func imagesTestAppBinary(t *testing.T) (path string, tiny bool) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "firedrill")
	if matches, _ := filepath.Glob("../cmd/firedrill/*.go"); len(matches) > 0 {
		cmd := exec.Command("go", "build", "-o", out, "./cmd/firedrill")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		b, err := cmd.CombinedOutput()
		if err == nil {
			return out, false
		}
		t.Logf("cannot build ./cmd/firedrill (%v), using a tiny static program instead:\n%s", err, b)
	}
	return buildStaticTestBinary(t, "tiny-firedrill"), true
}

func TestImagesIntegration(t *testing.T) {
	cli := imagesTestDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	app, tiny := imagesTestAppBinary(t)
	progress := &imagesTestWriter{t: t}
	logger := slog.New(slog.NewTextHandler(progress, &slog.HandlerOptions{Level: slog.LevelInfo}))
	im := NewImages(cli, WithAppBinary(app), WithProgress(progress), WithLogger(logger))

	// Resolve every role at once, as Up does, and nettools once more from
	// another goroutine: the per-role lock must make one wait for the other's
	// build and then reuse it.
	var reqs []Request
	for _, role := range Roles() {
		reqs = append(reqs, Request{Role: role})
	}
	var (
		wg         sync.WaitGroup
		resolved   map[Role]Image
		allErr     error
		extra      Image
		extraErr   error
		start      = time.Now()
		progressed = &imagesTestCapture{w: progress}
	)
	im.progress = progressed
	wg.Go(func() { resolved, allErr = im.ResolveAll(ctx, reqs) })
	wg.Go(func() { extra, extraErr = im.Resolve(ctx, RoleNetTools, "") })
	wg.Wait()
	if allErr != nil || extraErr != nil {
		t.Fatalf("resolve all: %v; resolve nettools: %v", allErr, extraErr)
	}
	t.Logf("resolved every role in %s", imgDur(time.Since(start)))
	for _, role := range Roles() {
		img, ok := resolved[role]
		if !ok || img.Role != role || img.ID == "" {
			t.Fatalf("resolve all: %s gave %+v", role, img)
		}
		t.Logf("resolved %s: %s %s (%s)", role, img.Ref, img.Source, img.ID)
	}
	if extra.ID != resolved[RoleNetTools].ID {
		t.Fatalf("concurrent resolves of nettools gave two images: %s and %s", extra.ID, resolved[RoleNetTools].ID)
	}
	// Every progress line of a build or pull names its role.
	var names []string
	for _, role := range Roles() {
		names = append(names, string(role))
	}
	prefixed := regexp.MustCompile(`^ *\[(` + strings.Join(names, "|") + `)\] `)
	for _, line := range progressed.lines() {
		if !prefixed.MatchString(line) {
			t.Errorf("progress line without its role: %q", line)
		}
	}

	// Recipe images carry their labels and not the per-run label.
	for role, img := range resolved {
		if img.Source == SourceLocal || img.Source == SourcePulled {
			continue // an official image: not ours to check
		}
		res, err := cli.ImageInspect(ctx, img.Ref)
		if err != nil {
			t.Fatal(err)
		}
		labels := res.Config.Labels
		if labels[ImageLabelRole] != string(role) || len(labels[ImageLabelRecipeHash]) != 64 ||
			!strings.HasSuffix(img.Ref, "-"+labels[ImageLabelRecipeHash][:12]) {
			t.Errorf("%s labels %v for %s", role, labels, img.Ref)
		}
		if _, ok := labels["firedrill.run"]; ok {
			t.Errorf("%s image carries firedrill.run", role)
		}
	}

	// A second resolver (as in the next run) reuses every image, quickly.
	im2 := NewImages(cli, WithAppBinary(app), WithProgress(progress))
	for _, role := range Roles() {
		start := time.Now()
		img, err := im2.Resolve(ctx, role, "")
		if err != nil {
			t.Fatalf("second resolve %s: %v", role, err)
		}
		d := time.Since(start)
		if img.ID != resolved[role].ID {
			t.Errorf("second resolve of %s: image %s, first %s", role, img.ID, resolved[role].ID)
		}
		if resolved[role].Source != SourceLocal && img.Source != SourceRecipeCached {
			t.Errorf("second resolve of %s: source %s, want %s", role, img.Source, SourceRecipeCached)
		}
		t.Logf("second resolve %s: %s in %s", role, img.Source, imgDur(d))
	}

	st, err := im2.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		t.Logf("list: %+v", s)
		if !s.RecipePresent || s.Size == 0 || s.Created.IsZero() {
			t.Errorf("list %s: %+v", s.Role, s)
		}
	}

	t.Run("postgres", func(t *testing.T) { imagesTestPostgres(t, cli, resolved[RolePostgres]) })
	t.Run("minio", func(t *testing.T) { imagesTestMinIO(t, cli, resolved[RoleMinIO]) })
	t.Run("nettools", func(t *testing.T) { imagesTestNetTools(t, cli, resolved[RoleNetTools]) })
	t.Run("app", func(t *testing.T) { imagesTestApp(t, cli, resolved[RoleApp], tiny) })
}

// imagesTestRun creates and starts a labelled container; the caller's cleanup
// (imagesTestDocker) removes it with its volumes.
func imagesTestRun(t *testing.T, cli *client.Client, cfg *container.Config, host *container.HostConfig, files map[string]string) string {
	t.Helper()
	ctx := context.Background()
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	cfg.Labels["firedrill.run"] = imagesTestRunLabel
	if host == nil {
		host = &container.HostConfig{}
	}
	res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: host})
	if err != nil {
		t.Fatalf("create container from %s: %v", cfg.Image, err)
	}
	id := res.ID
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cli.ContainerRemove(cctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	})
	if len(files) > 0 {
		// Copied before start rather than bind-mounted: the daemon need not share
		// our filesystem.
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for name, body := range files {
			mode := int64(0o644)
			if strings.HasSuffix(name, ".x.sh") {
				mode = 0o755
			}
			tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), ModTime: time.Now(), Uid: 0, Gid: 0})
			tw.Write([]byte(body))
		}
		tw.Close()
		if _, err := cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: &buf}); err != nil {
			t.Fatalf("copy files: %v", err)
		}
	}
	if _, err := cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start container from %s: %v", cfg.Image, err)
	}
	return id
}

func imagesTestHostPort(t *testing.T, cli *client.Client, id, port string) string {
	t.Helper()
	for range 50 {
		res, err := cli.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ns := res.Container.NetworkSettings; ns != nil {
			for _, b := range ns.Ports[network.MustParsePort(port)] {
				if b.HostPort != "" {
					return b.HostPort
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no host port for %s", port)
	return ""
}

func imagesTestPublish(port string) network.PortMap {
	return network.PortMap{network.MustParsePort(port): {{HostIP: netip.MustParseAddr("127.0.0.1")}}}
}

func imagesTestLogs(t *testing.T, cli *client.Client, id string) string {
	t.Helper()
	rc, err := cli.ContainerLogs(context.Background(), id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, rc); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// imagesTestWait waits for a container to exit and returns its status code.
func imagesTestWait(t *testing.T, cli *client.Client, id string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case r := <-w.Result:
		return r.StatusCode
	case err := <-w.Error:
		t.Fatalf("wait: %v", err)
	}
	return -1
}

func imagesTestPostgres(t *testing.T, cli *client.Client, img Image) {
	const password = "s3cret-firedrill-pw"
	initFiles := map[string]string{
		"docker-entrypoint-initdb.d/01-schema.sql": "CREATE TABLE init_marker (step text PRIMARY KEY);\nINSERT INTO init_marker VALUES ('sql');\n",
		// Not executable: sourced, with the entrypoint's helpers at hand.
		"docker-entrypoint-initdb.d/02-sourced.sh": "docker_process_sql <<<\"INSERT INTO init_marker VALUES ('sourced');\"\n",
		// Executable: run, with the POSTGRES_* environment.
		"docker-entrypoint-initdb.d/03-run.x.sh": "#!/bin/bash\nset -e\npsql -v ON_ERROR_STOP=1 --username \"$POSTGRES_USER\" --dbname \"$POSTGRES_DB\" -c \"INSERT INTO init_marker VALUES ('executed:$(id -u)')\"\n",
	}
	id := imagesTestRun(t, cli, &container.Config{
		Image: img.Ref,
		Env:   []string{"POSTGRES_USER=drill", "POSTGRES_PASSWORD=" + password, "POSTGRES_DB=drilldb"},
	}, &container.HostConfig{PortBindings: imagesTestPublish("5432/tcp")}, initFiles)
	port := imagesTestHostPort(t, cli, id, "5432/tcp")

	dsn := fmt.Sprintf("postgres://drill:%s@127.0.0.1:%s/drilldb?sslmode=disable&connect_timeout=3", password, port)
	conn := imagesTestPGConnect(t, dsn, 90*time.Second)
	defer conn.Close(context.Background())
	ctx := context.Background()

	rows, err := conn.Query(ctx, "SELECT step FROM init_marker ORDER BY step")
	if err != nil {
		t.Fatal(err)
	}
	steps, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(steps, ","); got != "executed:999,sourced,sql" {
		t.Errorf("init steps %q", got)
	}
	var user, db, listen, version string
	if err := conn.QueryRow(ctx, "SELECT current_user, current_database(), current_setting('listen_addresses'), current_setting('server_version')").Scan(&user, &db, &listen, &version); err != nil {
		t.Fatal(err)
	}
	if user != "drill" || db != "drilldb" || listen != "*" || !strings.HasPrefix(version, "15.") {
		t.Errorf("user %s db %s listen %s version %s", user, db, listen, version)
	}
	t.Logf("postgres %s up as %s on 127.0.0.1:%s", version, user, port)

	// A wrong password is refused (scram-sha-256 for every host).
	bad := fmt.Sprintf("postgres://drill:wrong@127.0.0.1:%s/drilldb?sslmode=disable&connect_timeout=3", port)
	if c, err := pgx.Connect(ctx, bad); err == nil {
		c.Close(ctx)
		t.Error("a wrong password was accepted")
	}

	// The server runs as uid 999 and owns PGDATA.
	out := imagesTestExec(t, cli, id, "", "sh", "-c", `stat -c %u /proc/1; stat -c '%u %a' "$PGDATA"; id -u postgres`)
	if f := strings.Fields(out); len(f) != 4 || f[0] != "999" || f[1] != "999" || f[2] != "700" || f[3] != "999" {
		t.Errorf("uid/ownership: %q", out)
	}

	logs := imagesTestLogs(t, cli, id)
	if n := strings.Count(logs, "database system is ready to accept connections"); n != 2 {
		t.Errorf("first start logged ready %d times, want 2:\n%s", n, logs)
	}
	if strings.Contains(logs, password) {
		t.Error("the password appears in the logs")
	}

	// A restart with data skips initialisation: ready once more.
	timeout := 30
	if _, err := cli.ContainerRestart(ctx, id, client.ContainerRestartOptions{Timeout: &timeout}); err != nil {
		t.Fatal(err)
	}
	port = imagesTestHostPort(t, cli, id, "5432/tcp")
	dsn = fmt.Sprintf("postgres://drill:%s@127.0.0.1:%s/drilldb?sslmode=disable&connect_timeout=3", password, port)
	conn2 := imagesTestPGConnect(t, dsn, 60*time.Second)
	conn2.Close(ctx)
	logs = imagesTestLogs(t, cli, id)
	if n := strings.Count(logs, "database system is ready to accept connections"); n != 3 {
		t.Errorf("after restart ready logged %d times in all, want 3", n)
	}
	if !strings.Contains(logs, "skipping initialization") {
		t.Error("restart did not skip initialization")
	}

	// Without a password the container refuses to initialise.
	noPW := imagesTestRun(t, cli, &container.Config{Image: img.Ref}, nil, nil)
	if code := imagesTestWait(t, cli, noPW); code == 0 {
		t.Error("started without POSTGRES_PASSWORD")
	} else if l := imagesTestLogs(t, cli, noPW); !strings.Contains(l, "POSTGRES_PASSWORD") {
		t.Errorf("no-password logs: %s", l)
	}

	// Any other command runs as given (a replica's pg_basebackup script does this),
	// here as user postgres as a replica would.
	other := imagesTestRun(t, cli, &container.Config{
		Image: img.Ref, User: "postgres",
		Cmd: []string{"bash", "-c", "id -u; command -v pg_basebackup; echo $PGDATA"},
	}, nil, nil)
	if code := imagesTestWait(t, cli, other); code != 0 {
		t.Errorf("bash -c exited %d", code)
	}
	if l := imagesTestLogs(t, cli, other); !strings.Contains(l, "999\n/usr/lib/postgresql/15/bin/pg_basebackup\n/var/lib/postgresql/data") {
		t.Errorf("bash -c output %q", l)
	}
}

func imagesTestPGConnect(t *testing.T, dsn string, within time.Duration) *pgx.Conn {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, dsn)
		cancel()
		if err == nil {
			if err = conn.Ping(context.Background()); err == nil {
				return conn
			}
			conn.Close(context.Background())
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres not reachable: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func imagesTestExec(t *testing.T, cli *client.Client, id, user string, cmd ...string) string {
	t.Helper()
	ctx := context.Background()
	ex, err := cli.ExecCreate(ctx, id, client.ExecCreateOptions{User: user, Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	att, err := cli.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, att.Reader); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// imagesTestModes returns the mode of each path in an image's filesystem (from
// an exported, never started container).
func imagesTestModes(t *testing.T, cli *client.Client, ref string, paths ...string) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{
		Image: ref, Labels: map[string]string{"firedrill.run": imagesTestRunLabel},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.ContainerRemove(ctx, res.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	rc, err := cli.ContainerExport(ctx, res.ID, client.ContainerExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	want := map[string]bool{}
	for _, p := range paths {
		want[p] = true
	}
	out := map[string]int64{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := "/" + strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		if want[name] {
			out[name] = h.Mode & 0o7777
		}
	}
	return out
}

func imagesTestMinIO(t *testing.T, cli *client.Client, img Image) {
	modes := imagesTestModes(t, cli, img.Ref, "/usr/bin/minio", "/data", "/tmp")
	if modes["/usr/bin/minio"] != 0o755 || modes["/data"] != 0o755 || modes["/tmp"] != 0o1777 {
		t.Errorf("minio image modes %v (decimal)", modes)
	}
	id := imagesTestRun(t, cli, &container.Config{
		Image: img.Ref,
		Env:   []string{"MINIO_ROOT_USER=firedrill", "MINIO_ROOT_PASSWORD=firedrill-secret"},
		// What callers pass; the official image accepts it too.
		Cmd: []string{"server", "/data", "--console-address", ":9001"},
	}, &container.HostConfig{PortBindings: imagesTestPublish("9000/tcp")}, nil)
	port := imagesTestHostPort(t, cli, id, "9000/tcp")
	url := "http://127.0.0.1:" + port + "/minio/health/live"
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Logf("minio live at %s", url)
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("minio not live: %v\n%s", err, imagesTestLogs(t, cli, id))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func imagesTestNetTools(t *testing.T, cli *client.Client, img Image) {
	id := imagesTestRun(t, cli, &container.Config{
		Image: img.Ref,
		Cmd:   []string{"sh", "-c", "ip link && iptables -L -n && iptables -A OUTPUT -p tcp --dport 9 -j DROP && iptables -S OUTPUT"},
	}, &container.HostConfig{CapAdd: []string{"NET_ADMIN"}}, nil)
	code := imagesTestWait(t, cli, id)
	logs := imagesTestLogs(t, cli, id)
	if code != 0 || !strings.Contains(logs, "lo:") || !strings.Contains(logs, "Chain INPUT") || !strings.Contains(logs, "--dport 9 -j DROP") {
		t.Fatalf("nettools exit %d:\n%s", code, logs)
	}
	// The default command keeps a sidecar alive.
	side := imagesTestRun(t, cli, &container.Config{Image: img.Ref}, &container.HostConfig{CapAdd: []string{"NET_ADMIN"}}, nil)
	time.Sleep(500 * time.Millisecond)
	res, err := cli.ContainerInspect(context.Background(), side, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Container.State.Running {
		t.Fatalf("sidecar not running: %+v", res.Container.State)
	}
}

func imagesTestApp(t *testing.T, cli *client.Client, img Image, tiny bool) {
	res, err := cli.ImageInspect(context.Background(), img.Ref)
	if err != nil {
		t.Fatal(err)
	}
	cfg := res.Config
	if strings.Join(cfg.Entrypoint, " ") != "/firedrill" || strings.Join(cfg.Cmd, " ") != "app" {
		t.Errorf("entrypoint %v cmd %v", cfg.Entrypoint, cfg.Cmd)
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v", cfg.ExposedPorts)
	}
	if modes := imagesTestModes(t, cli, img.Ref, "/firedrill", "/tmp"); modes["/firedrill"] != 0o755 || modes["/tmp"] != 0o1777 {
		t.Errorf("app image modes %v (decimal)", modes)
	}
	if !tiny {
		return // the real CLI's behaviour is tested with the CLI
	}
	id := imagesTestRun(t, cli, &container.Config{Image: img.Ref}, nil, nil)
	if code := imagesTestWait(t, cli, id); code != 0 {
		t.Errorf("app exited %d", code)
	}
	if l := imagesTestLogs(t, cli, id); !strings.Contains(l, "tiny-firedrill [app]") {
		t.Errorf("app output %q", l)
	}
}

// An app image made from a dynamically linked firedrill (cgo on, as plain
// go build makes it) runs: the loader and the libraries are in the image.
func TestImagesAppFromCgoBinary(t *testing.T) {
	cli := imagesTestDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "firedrill")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/firedrill")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=1 go build ./cmd/firedrill: %v\n%s", err, b)
	}
	if StaticBinary(bin) == nil {
		t.Fatal("CGO_ENABLED=1 gave a static binary: this test would prove nothing")
	}
	im := NewImages(cli, WithAppBinary(bin), WithProgress(&imagesTestWriter{t: t}))
	img, err := im.Build(ctx, RoleApp, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := cli.ImageRemove(context.Background(), img.Ref, client.ImageRemoveOptions{}); err != nil {
			t.Logf("remove %s: %v", img.Ref, err)
		}
	})
	for _, args := range [][]string{{"version"}, {"app", "--help"}} {
		id := imagesTestRun(t, cli, &container.Config{Image: img.Ref, Cmd: args}, nil, nil)
		code := imagesTestWait(t, cli, id)
		logs := imagesTestLogs(t, cli, id)
		if code != 0 || !strings.Contains(logs, "firedrill") {
			t.Fatalf("firedrill %s in the image of a cgo binary: exit %d\n%s", strings.Join(args, " "), code, logs)
		}
		t.Logf("firedrill %s: %s", strings.Join(args, " "), buildlog.FirstLine(logs))
	}
}

// BenchmarkImagesMinIOGoInstall measures the slowest step of a first build:
// `go install` of the pinned MinIO into a fresh cache directory, GOCACHE and
// GOMODCACHE (4-5 minutes on 2 cores, docs/benchmarks.md). It is a benchmark,
// not a test, because the test tier may reuse a cached binary.
// Run: go test -tags integration -run '^$' -bench MinIOGoInstall -benchtime 1x ./images/
func BenchmarkImagesMinIOGoInstall(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		// First-run numbers: nothing compiled or downloaded before.
		b.Setenv("GOCACHE", filepath.Join(dir, "gocache"))
		b.Setenv("GOMODCACHE", filepath.Join(dir, "gomodcache"))
		// The module cache is read-only; TempDir's removal, which runs after
		// this, needs it writable.
		b.Cleanup(func() { _ = exec.Command("chmod", "-R", "u+w", dir).Run() })
		im := NewImages(nil, WithCacheDir(dir), WithProgress(os.Stderr))
		tmp := filepath.Join(dir, "tmp", "minio-test")
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		err := im.minioBinary(ctx, tmp)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if err := StaticBinary(imgMinIOBinaryPath(dir)); err != nil { // the path keyed by the build flags
			b.Fatal(err)
		}
	}
}
