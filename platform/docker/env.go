package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"

	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/scenarios"
)

// Node kinds.
const (
	KindPostgres = "postgres"
	KindStorage  = "storage"
	KindApp      = "app"
)

// Well-known node names. Replicas are named pg-<replica name>.
const (
	NodePrimary = "pg-primary"
	NodeStorage = "minio"
	NodeApp     = "app"
)

const (
	pgUser     = "firedrill"
	pgDatabase = "app"
	s3User     = "firedrill"
	// wanRegion is the network that joins every region: cross-region
	// traffic (replication, the app reading a remote replica) crosses it,
	// so cutting a node or a region off the wan is a region partition.
	wanRegion = "wan"
	// readyTimeout bounds how long one service may take to become ready.
	readyTimeout = 2 * time.Minute
)

// Node is one service of the environment, running in one container.
type Node struct {
	Name          string // pg-primary, pg-replica1, minio, app
	Kind          string // postgres, storage, app
	Region        string
	ContainerName string
	Image         string

	ctr *testcontainers.DockerContainer
}

// ContainerID is the Docker id of the node's container.
func (n *Node) ContainerID() string { return n.ctr.GetContainerID() }

// Env is a running drill environment. Create it with Up; always call Down.
type Env struct {
	RunID    string
	Scenario *scenarios.Scenario
	Bucket   string

	docker   *client.Client
	log      *slog.Logger
	progress io.Writer

	pgPassword string
	s3Password string

	lease *lease // held from before the first object is created to Down

	mu      sync.Mutex
	nodes   []*Node
	byName  map[string]*Node
	primary string // the primary as the DR engine last set it
}

// Option configures Up.
type Option func(*Env)

// WithRunLogger sends the environment's logs to l.
func WithRunLogger(l *slog.Logger) Option { return func(e *Env) { e.log = l } }

// WithRunProgress writes one human line per step (network created, primary
// ready...) to w.
func WithRunProgress(w io.Writer) Option { return func(e *Env) { e.progress = w } }

// WithRunID sets the run id instead of generating one.
func WithRunID(id string) Option { return func(e *Env) { e.RunID = id } }

// Up builds the environment the scenario describes: networks, Postgres
// primary and replicas, MinIO with its bucket, and the app. It returns once
// every service is ready: the replicas stream from the primary and the app's
// health check passes. On error everything already created is removed.
func Up(ctx context.Context, docker *client.Client, imgs *images.Images, scn *scenarios.Scenario, opts ...Option) (env *Env, err error) {
	e := &Env{
		Scenario:   scn,
		docker:     docker,
		log:        slog.New(slog.DiscardHandler),
		progress:   io.Discard,
		pgPassword: newSecret(),
		s3Password: newSecret(),
		byName:     map[string]*Node{},
		primary:    NodePrimary,
		Bucket:     scn.Environment.Storage.Bucket,
	}
	for _, o := range opts {
		o(e)
	}
	if e.RunID == "" {
		e.RunID = NewRunID()
	}
	if err := checkRunID(e.RunID); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && !errors.Is(err, ErrRunIDTaken) {
			// Nothing half-created is left behind, even when ctx was cancelled.
			// Once the lease is ours every object labelled with the run id is
			// ours too; without it (ErrRunIDTaken) nothing may be removed.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if derr := e.Down(cctx); derr != nil {
				err = errors.Join(err, fmt.Errorf("tear down after failed start: %w", derr))
			}
		}
		// Log tails quoted in errors may carry what a container printed.
		err = e.redactErr(err)
	}()
	start := time.Now()

	// All at once: on a fresh machine the builds are independent and run
	// concurrently, after one check of what they need (docs/benchmarks.md).
	resolved, err := imgs.ResolveAll(ctx, []images.Request{
		{Role: images.RolePostgres, Want: scn.Environment.Postgres.Image},
		{Role: images.RoleMinIO, Want: scn.Environment.Storage.Image},
		{Role: images.RoleApp, Want: scn.Environment.App.Image},
	})
	if err != nil {
		return e, fmt.Errorf("resolve images: %w", err)
	}
	pgImg, s3Img, appImg := resolved[images.RolePostgres], resolved[images.RoleMinIO], resolved[images.RoleApp]

	// The lease runs firedrill's own binary: the app image the scenario
	// names, if any, may be anything.
	leaseImg := appImg
	if scn.Environment.App.Image != "" {
		if leaseImg, err = imgs.Resolve(ctx, images.RoleApp, ""); err != nil {
			return e, fmt.Errorf("resolve firedrill's app image for the run's lease: %w", err)
		}
	}
	lease, err := acquireLease(ctx, docker, e.RunID, leaseImg.Ref)
	e.lease = lease
	if err != nil {
		return e, err
	}

	for _, region := range append(append([]string(nil), scn.Environment.Regions...), wanRegion) {
		if err := e.createNetwork(ctx, region); err != nil {
			return e, err
		}
	}

	// MinIO does not depend on Postgres: start both at once.
	var wg sync.WaitGroup
	var s3Err error
	wg.Go(func() { s3Err = e.startMinIO(ctx, s3Img.Ref) })

	pgErr := e.startPrimary(ctx, pgImg.Ref)
	if pgErr == nil {
		for _, r := range scn.Environment.Postgres.Replicas {
			if pgErr = e.startReplica(ctx, pgImg.Ref, r); pgErr != nil {
				break
			}
		}
	}
	wg.Wait()
	if err := errors.Join(pgErr, s3Err); err != nil {
		return e, err
	}
	if err := e.startApp(ctx, appImg.Ref); err != nil {
		return e, err
	}
	e.say("environment %s ready in %s", e.RunID, time.Since(start).Round(100*time.Millisecond))
	return e, nil
}

func (e *Env) say(format string, args ...any) {
	fmt.Fprintf(e.progress, "  "+format+"\n", args...)
}

func (e *Env) labels(node, kind string) map[string]string {
	l := map[string]string{LabelRun: e.RunID}
	if node != "" {
		l[LabelNode] = node
		l[LabelRole] = kind
	}
	return l
}

// NetworkName is the Docker network of a region in this run.
func (e *Env) NetworkName(region string) string { return ObjectPrefix(e.RunID) + region }

func (e *Env) createNetwork(ctx context.Context, region string) error {
	name := e.NetworkName(region)
	if _, err := e.docker.NetworkCreate(ctx, name, client.NetworkCreateOptions{
		Driver: "bridge",
		Labels: map[string]string{LabelRun: e.RunID, "firedrill.region": region},
	}); err != nil {
		return fmt.Errorf("create network for region %s: %w", region, err)
	}
	e.log.Debug("network created", "network", name)
	return nil
}

func (e *Env) createVolume(ctx context.Context, node string) (string, error) {
	name := ObjectPrefix(e.RunID) + node
	if _, err := e.docker.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name, Labels: e.labels(node, "")}); err != nil {
		return "", fmt.Errorf("create volume for %s: %w", node, err)
	}
	return name, nil
}

// service describes one container to start.
type service struct {
	node, kind, region, image string
	ports                     []string
	env                       map[string]string
	cmd                       []string
	entrypoint                []string
	user                      string
	files                     []testcontainers.ContainerFile
	volumeAt                  string
}

func (e *Env) run(ctx context.Context, s service) (*Node, error) {
	n := &Node{Name: s.node, Kind: s.kind, Region: s.region, Image: s.image,
		ContainerName: ContainerName(e.RunID, s.node)}
	var mounts []mount.Mount
	if s.volumeAt != "" {
		vol, err := e.createVolume(ctx, s.node)
		if err != nil {
			return nil, err
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeVolume, Source: vol, Target: s.volumeAt})
	}
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithName(n.ContainerName),
		testcontainers.WithLabels(e.labels(s.node, s.kind)),
		testcontainers.WithExposedPorts(s.ports...),
		testcontainers.WithEnv(s.env),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			// Publish on loopback only: the harness never reaches a
			// container any other way, and nothing outside this host can.
			hc.PortBindings = network.PortMap{}
			for _, p := range s.ports {
				port, err := network.ParsePort(p)
				if err == nil {
					hc.PortBindings[port] = []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1")}}
				}
			}
			hc.Mounts = append(hc.Mounts, mounts...)
		}),
		// Home region first, then the wan that joins the regions.
		tcnetwork.WithNetworkName([]string{s.node}, e.NetworkName(s.region)),
		tcnetwork.WithNetworkName([]string{s.node}, e.NetworkName(wanRegion)),
		testcontainers.WithLogger(tcLogger{e.log}),
	}
	if len(s.cmd) > 0 {
		opts = append(opts, testcontainers.WithCmd(s.cmd...))
	}
	if len(s.entrypoint) > 0 {
		opts = append(opts, testcontainers.WithEntrypoint(s.entrypoint...))
	}
	if s.user != "" {
		opts = append(opts, testcontainers.WithConfigModifier(func(c *container.Config) { c.User = s.user }))
	}
	if len(s.files) > 0 {
		opts = append(opts, testcontainers.WithFiles(s.files...))
	}
	ctr, err := testcontainers.Run(ctx, s.image, opts...)
	if ctr != nil {
		// Run returns the container even on error: register it so Down
		// removes it whatever happens next.
		n.ctr = ctr
		e.mu.Lock()
		e.nodes = append(e.nodes, n)
		e.byName[n.Name] = n
		e.mu.Unlock()
	}
	if err != nil {
		return n, fmt.Errorf("start %s (%s): %w%s", s.node, s.image, err, e.logTail(ctx, n))
	}
	return n, nil
}

// logTail returns the last lines of a node's log, to explain a failure.
func (e *Env) logTail(ctx context.Context, n *Node) string {
	if n == nil || n.ctr == nil {
		return ""
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	rc, err := n.ctr.Logs(lctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	lines := strings.Split(strings.TrimSpace(e.redact(string(b))), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "\n    last log lines of " + n.Name + ":\n      " + strings.Join(lines, "\n      ")
}

// primaryInit lets replicas connect for streaming replication: "all" in
// pg_hba.conf does not match the replication pseudo-database.
const primaryInit = `#!/bin/sh
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
`

func postgresArgs(node string) []string {
	return []string{
		"-c", "cluster_name=" + node, // the app records which server acknowledged a write
		"-c", "wal_level=replica",
		// The scenario loader caps the replicas to what these carry.
		"-c", "max_wal_senders=" + strconv.Itoa(scenarios.MaxWALSenders),
		"-c", "max_replication_slots=" + strconv.Itoa(scenarios.MaxReplicationSlots),
		"-c", "wal_keep_size=256MB",
		"-c", "hot_standby=on",
	}
}

func (e *Env) startPrimary(ctx context.Context, image string) error {
	t := time.Now()
	n, err := e.run(ctx, service{
		node: NodePrimary, kind: KindPostgres, region: e.Scenario.Environment.Postgres.Primary.Region,
		image: image, ports: []string{"5432/tcp"},
		env: map[string]string{"POSTGRES_USER": pgUser, "POSTGRES_PASSWORD": e.pgPassword, "POSTGRES_DB": pgDatabase},
		cmd: append([]string{"postgres"}, postgresArgs(NodePrimary)...),
		files: []testcontainers.ContainerFile{{Reader: strings.NewReader(primaryInit),
			ContainerFilePath: "/docker-entrypoint-initdb.d/10-firedrill-replication.sh", FileMode: 0o755}},
		volumeAt: "/var/lib/postgresql/data",
	})
	if err != nil {
		return err
	}
	if err := e.waitPostgres(ctx, n, false); err != nil {
		return err
	}
	e.say("postgres primary %s ready in region %s (%s)", n.Name, n.Region, time.Since(t).Round(100*time.Millisecond))
	return nil
}

// replicaScript clones the primary with pg_basebackup and runs the copy as a
// hot standby. It runs as the postgres user in the same image as the
// primary, so it works with the official image and with the local recipe.
const replicaScript = `set -eu
mkdir -p "$PGDATA"
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_basebackup -h "$FIREDRILL_PRIMARY" -p 5432 -U "$FIREDRILL_PG_USER" -D "$PGDATA" -R -X stream -c fast -C -S "$FIREDRILL_SLOT"; do
    echo "firedrill: pg_basebackup failed, retrying in 1s" >&2
    find "$PGDATA" -mindepth 1 -delete
    psql -h "$FIREDRILL_PRIMARY" -U "$FIREDRILL_PG_USER" -d postgres -Atc "SELECT pg_drop_replication_slot('$FIREDRILL_SLOT')" >/dev/null 2>&1 || true
    sleep 1
  done
fi
exec postgres "$@"
`

func (e *Env) startReplica(ctx context.Context, image string, r scenarios.Replica) error {
	t := time.Now()
	name := ReplicaNode(r.Name)
	n, err := e.run(ctx, service{
		node: name, kind: KindPostgres, region: r.Region, image: image, ports: []string{"5432/tcp"},
		user: "postgres",
		env: map[string]string{
			"PGPASSWORD":        e.pgPassword,
			"PGDATA":            "/var/lib/postgresql/data",
			"FIREDRILL_PRIMARY": NodePrimary,
			"FIREDRILL_PG_USER": pgUser,
			"FIREDRILL_SLOT":    strings.ReplaceAll(name, "-", "_"),
		},
		entrypoint: []string{"bash", "-c", replicaScript, "replica"},
		cmd:        postgresArgs(name),
		volumeAt:   "/var/lib/postgresql/data",
	})
	if err != nil {
		return err
	}
	if err := e.waitPostgres(ctx, n, true); err != nil {
		return err
	}
	e.say("postgres replica %s streaming in region %s (%s)", n.Name, n.Region, time.Since(t).Round(100*time.Millisecond))
	return nil
}

// ReplicaNode is the node name of the scenario replica called name.
func ReplicaNode(name string) string { return "pg-" + name }

func (e *Env) startMinIO(ctx context.Context, image string) error {
	t := time.Now()
	st := e.Scenario.Environment.Storage
	_, err := e.run(ctx, service{
		node: NodeStorage, kind: KindStorage, region: st.Region, image: image,
		ports:    []string{"9000/tcp", "9001/tcp"},
		env:      map[string]string{"MINIO_ROOT_USER": s3User, "MINIO_ROOT_PASSWORD": e.s3Password},
		cmd:      []string{"server", "/data", "--console-address", ":9001"},
		volumeAt: "/data",
	})
	if err != nil {
		return err
	}
	if err := e.waitHTTP(ctx, NodeStorage, "9000/tcp", "/minio/health/live"); err != nil {
		return err
	}
	if err := e.createBucket(ctx); err != nil {
		return err
	}
	e.say("minio ready in region %s with bucket %s (%s)", st.Region, e.Bucket, time.Since(t).Round(100*time.Millisecond))
	return nil
}

// appDSN is the app's connection string: every Postgres node, so pgx finds
// whichever is read-write (or, for reads, prefers a standby) by itself.
func (e *Env) appDSN(attrs string) string {
	hosts := []string{NodePrimary + ":5432"}
	for _, r := range e.Scenario.Environment.Postgres.Replicas {
		hosts = append(hosts, ReplicaNode(r.Name)+":5432")
	}
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable&connect_timeout=2&target_session_attrs=%s",
		pgUser, e.pgPassword, strings.Join(hosts, ","), pgDatabase, attrs)
}

func (e *Env) startApp(ctx context.Context, image string) error {
	t := time.Now()
	_, err := e.run(ctx, service{
		node: NodeApp, kind: KindApp, region: e.Scenario.Environment.App.Region, image: image,
		ports: []string{"8080/tcp"},
		env: map[string]string{
			"FIREDRILL_APP_LISTEN":    ":8080",
			"FIREDRILL_APP_WRITE_DSN": e.appDSN("read-write"),
			"FIREDRILL_APP_READ_DSN":  e.appDSN("prefer-standby"),
		},
		cmd: []string{"app"},
	})
	if err != nil {
		return err
	}
	// The app answers /healthz with 200 once its schema exists on the primary.
	if err := e.waitHTTP(ctx, NodeApp, "8080/tcp", "/healthz"); err != nil {
		return err
	}
	e.say("app ready in region %s (%s)", e.Scenario.Environment.App.Region, time.Since(t).Round(100*time.Millisecond))
	return nil
}

// waitHTTP polls GET path on a node's published port until it answers 200.
// Readiness is checked from the harness, through 127.0.0.1, exactly as the
// workload will reach the service.
func (e *Env) waitHTTP(ctx context.Context, node, port, path string) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	n, _ := e.Node(node)
	hc := &http.Client{Timeout: 2 * time.Second}
	var last error
	for {
		last = func() error {
			ep, err := e.Endpoint(ctx, node, port)
			if err != nil {
				return err
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ep+path, nil)
			if err != nil {
				return err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET %s: %s", path, resp.Status)
			}
			return nil
		}()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w%s", node, readyTimeout, last, e.logTail(ctx, n))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Node returns the node called name.
func (e *Env) Node(name string) (*Node, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n, ok := e.byName[name]
	return n, ok
}

// Nodes returns the nodes in start order.
func (e *Env) Nodes() []*Node {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Node(nil), e.nodes...)
}

// PostgresNodes returns the names of the Postgres nodes, primary first.
func (e *Env) PostgresNodes() []string {
	var out []string
	for _, n := range e.Nodes() {
		if n.Kind == KindPostgres {
			out = append(out, n.Name)
		}
	}
	return out
}

// Endpoint returns host:port on 127.0.0.1 for a node's container port. It
// is read afresh every time: the mapped port can change when a container
// restarts.
func (e *Env) Endpoint(ctx context.Context, node, port string) (string, error) {
	n, ok := e.Node(node)
	if !ok {
		return "", fmt.Errorf("no node %q in this environment", node)
	}
	p, err := n.ctr.MappedPort(ctx, port)
	if err != nil {
		return "", fmt.Errorf("port %s of %s: %w", port, node, err)
	}
	return fmt.Sprintf("127.0.0.1:%d", p.Num()), nil
}

// AppURL is the base URL of the app, through its published port.
func (e *Env) AppURL(ctx context.Context) (string, error) {
	ep, err := e.Endpoint(ctx, NodeApp, "8080/tcp")
	if err != nil {
		return "", err
	}
	return "http://" + ep, nil
}

// Secrets returns the run's generated credentials, for --keep users and
// tests. Callers must not log them.
func (e *Env) Secrets() (pgUserName, pgPassword, s3Access, s3Secret string) {
	return pgUser, e.pgPassword, s3User, e.s3Password
}

// Database is the name of the app's database.
func (e *Env) Database() string { return pgDatabase }

// Down removes every object of this run: containers (with their volumes),
// networks and volumes. It is safe to call more than once.
func (e *Env) Down(ctx context.Context) error {
	// The run's own lease is alive: this is its harness, so force.
	_, err := Clean(ctx, e.docker, CleanRun(e.RunID), CleanForce())
	e.lease.release()
	return err
}

// EndLease ends the run's claim on its id without removing anything: for an
// environment kept after the drill, which `firedrill clean` may then remove.
// It returns once the lease container has exited.
func (e *Env) EndLease(ctx context.Context) error { return e.lease.end(ctx) }

// Kill sends SIGKILL to a node's container: the process dies at once,
// without a clean shutdown, as in a host crash.
func (e *Env) Kill(ctx context.Context, node string) error {
	n, ok := e.Node(node)
	if !ok {
		return fmt.Errorf("kill: no node %q", node)
	}
	if _, err := e.docker.ContainerKill(ctx, n.ContainerID(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return fmt.Errorf("kill %s: %w", node, err)
	}
	return nil
}

// Stop stops a node's container (SIGKILL after a 1 s grace period). Stopping
// a container that already exited is not an error.
func (e *Env) Stop(ctx context.Context, node string) error {
	n, ok := e.Node(node)
	if !ok {
		return fmt.Errorf("stop: no node %q", node)
	}
	grace := 1
	if _, err := e.docker.ContainerStop(ctx, n.ContainerID(), client.ContainerStopOptions{Timeout: &grace}); err != nil {
		return fmt.Errorf("stop %s: %w", node, err)
	}
	return nil
}

// Disconnect cuts a node from every network of the run.
func (e *Env) Disconnect(ctx context.Context, node string) error {
	n, ok := e.Node(node)
	if !ok {
		return fmt.Errorf("disconnect: no node %q", node)
	}
	ins, err := e.docker.ContainerInspect(ctx, n.ContainerID(), client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspect %s: %w", node, err)
	}
	var nets []string
	if ins.Container.NetworkSettings != nil {
		for name := range ins.Container.NetworkSettings.Networks {
			nets = append(nets, name)
		}
	}
	sort.Strings(nets)
	var errs []error
	for _, name := range nets {
		if _, err := e.docker.NetworkDisconnect(ctx, name, client.NetworkDisconnectOptions{Container: n.ContainerID(), Force: true}); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("disconnect %s from %s: %w", node, name, err))
		}
	}
	return errors.Join(errs...)
}

// Running reports whether a node's container is running.
func (e *Env) Running(ctx context.Context, node string) (bool, error) {
	n, ok := e.Node(node)
	if !ok {
		return false, fmt.Errorf("no node %q", node)
	}
	st, err := n.ctr.State(ctx)
	if err != nil {
		return false, err
	}
	return st.Running, nil
}

// KeepInstructions tells a person how to reach each service of a kept
// environment and how to remove it. It names where the credentials are
// but does not print them.
func (e *Env) KeepInstructions(ctx context.Context, credentialsFile string) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "environment %s kept running:\n", e.RunID)
	primary, _ := e.CurrentPrimary(ctx)
	for _, n := range e.Nodes() {
		if running, err := e.Running(ctx, n.Name); err == nil && !running {
			fmt.Fprintf(&b, "  %-12s stopped (killed or fenced during the drill): docker logs %s\n", n.Name, n.ContainerName)
			continue
		}
		switch n.Kind {
		case KindPostgres:
			role := "standby"
			if n.Name == primary {
				role = "primary"
			}
			ep, err := e.Endpoint(ctx, n.Name, "5432/tcp")
			if err != nil {
				fmt.Fprintf(&b, "  %-12s %s (not reachable: %v)\n", n.Name, n.ContainerName, err)
				continue
			}
			host, port, _ := strings.Cut(ep, ":")
			fmt.Fprintf(&b, "  %-12s %s: psql -h %s -p %s -U %s %s    or: docker exec -it %s psql -U %s %s\n",
				n.Name, role, host, port, pgUser, pgDatabase, n.ContainerName, pgUser, pgDatabase)
		case KindStorage:
			ep, err := e.Endpoint(ctx, n.Name, "9000/tcp")
			cons, err2 := e.Endpoint(ctx, n.Name, "9001/tcp")
			if err != nil || err2 != nil {
				fmt.Fprintf(&b, "  %-12s %s (not reachable)\n", n.Name, n.ContainerName)
				continue
			}
			fmt.Fprintf(&b, "  %-12s S3 http://%s (bucket %s)   console http://%s   user %s\n", n.Name, ep, e.Bucket, cons, s3User)
		case KindApp:
			u, err := e.AppURL(ctx)
			if err != nil {
				fmt.Fprintf(&b, "  %-12s %s (not reachable)\n", n.Name, n.ContainerName)
				continue
			}
			fmt.Fprintf(&b, "  %-12s %s/healthz   %s/records/<id>\n", n.Name, u, u)
		}
	}
	if credentialsFile != "" {
		fmt.Fprintf(&b, "  passwords: %s (PGPASSWORD, S3 secret; readable by you only)\n", credentialsFile)
	}
	fmt.Fprintf(&b, "remove it with: firedrill clean --run %s\n", e.RunID)
	return b.String()
}
