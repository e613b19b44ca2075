package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"slices"
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
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/platform/docker/internal/netpin"
	"github.com/firedrill/firedrill/platform/docker/internal/pgnode"
	"github.com/firedrill/firedrill/platform/docker/internal/runobj"
	"github.com/firedrill/firedrill/postgres"
	"github.com/firedrill/firedrill/sampleapp"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

const (
	pgUser     = "firedrill"
	pgDatabase = "app"
	s3User     = "firedrill"
	// readyTimeout bounds how long one service may take to become ready.
	readyTimeout = 2 * time.Minute
)

// node is one topology node and its container.
type node struct {
	*topology.Node
	ContainerName string
	Image         string

	ctr *testcontainers.DockerContainer
}

// Env is a running drill environment on Docker: the Docker runtime of one
// run. Create it with Up; always call Down. It implements
// platform.Runtime; Postgres administration is Cluster, built on it.
type Env struct {
	RunID    string
	Scenario *scenarios.Scenario
	Topology *topology.Topology
	Bucket   string

	docker   *client.Client
	log      *slog.Logger
	progress io.Writer

	pgPassword string
	s3Password string

	lease   *runobj.Lease // held from before the first object is created to Down
	cluster *postgres.Cluster

	// direct says whether the harness reaches containers at their
	// addresses on the run's networks (Linux), rather than through
	// Docker's userland port proxy on 127.0.0.1 (docs/architecture.md,
	// "Endpoints").
	direct, forcePublished bool
	// sidecarImage runs Exec's sidecars: the nettools image (a shell,
	// iproute2, iptables, pg_isready-free).
	sidecarImage string
	// agentImage runs sidecars of firedrill's own binary
	// (platform.SidecarAgent): the image the run's lease runs.
	agentImage string
	// postgresImage is the image the run's Postgres nodes run, which
	// platform.SidecarPostgres sidecars run too; agent is firedrill's
	// binary copied into both (agentbin.go).
	postgresImage string
	agent         agentCopy
	// appImage is what the app node runs, again when it is replaced.
	appImage string
	// ownRemovals are the removals the run makes itself of objects the
	// trouble watcher would report (replace.go), by event actor id.
	ownRemovals map[string]int

	mu    sync.Mutex
	nodes []*node
	// cutFrom is the address each node had on each network it was last
	// cut off ("node\x00network"), which Connect gives back (netpin).
	cutFrom map[string]netip.Addr
	byName  map[string]*node
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

// WithPublishedPorts makes the harness reach every container through its
// port published on 127.0.0.1, never at its network address (for
// benchmarks comparing the two, and platforms where the run's networks are
// not routable from the host).
func WithPublishedPorts() Option { return func(e *Env) { e.direct = false; e.forcePublished = true } }

// Up builds the environment the scenario describes, from its topology:
// networks, Postgres primary and replicas, MinIO with its bucket, and the
// app. It returns once every service is ready: the replicas stream from
// the primary and the app's health check passes. On error everything
// already created is removed.
func Up(ctx context.Context, docker *client.Client, imgs *images.Images, scn *scenarios.Scenario, opts ...Option) (env *Env, err error) {
	e := &Env{
		Scenario:   scn,
		Topology:   topology.New(scn),
		docker:     docker,
		log:        slog.New(slog.DiscardHandler),
		progress:   io.Discard,
		pgPassword: runobj.NewSecret(),
		s3Password: runobj.NewSecret(),
		byName:     map[string]*node{},
		Bucket:     scn.Environment.Storage.Bucket,
	}
	for _, o := range opts {
		o(e)
	}
	if e.RunID == "" {
		e.RunID = NewRunID()
	}
	if err := runobj.CheckRunID(e.RunID); err != nil {
		return nil, err
	}
	e.cluster = postgres.New(e, e.Topology, postgres.Credentials{User: pgUser, Password: e.pgPassword, Database: pgDatabase})
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
	resolved, err := imgs.ResolveAll(ctx, ImageRequests(scn, e.Topology))
	if err != nil {
		return e, fmt.Errorf("resolve images: %w", err)
	}
	e.sidecarImage = resolved[images.RoleNetTools].Ref
	e.postgresImage = resolved[images.RolePostgres].Ref
	imageOf := func(kind string) string {
		role, _ := ImageRole(scn, kind)
		return resolved[role].Ref
	}

	// The lease runs firedrill's own binary: the app image the scenario
	// names, if any, may be anything.
	leaseImg := resolved[images.RoleApp]
	if q, separate := LeaseRequest(scn); separate {
		if leaseImg, err = imgs.Resolve(ctx, q.Role, q.Want); err != nil {
			return e, fmt.Errorf("resolve firedrill's app image for the run's lease: %w", err)
		}
	}
	e.agentImage = leaseImg.Ref
	lease, err := runobj.AcquireLease(ctx, docker, e.RunID, leaseImg.Ref)
	e.lease = lease
	if err != nil {
		return e, err
	}

	for _, net := range e.Topology.Networks() {
		if err := e.createNetwork(ctx, net); err != nil {
			return e, err
		}
	}

	// MinIO does not depend on Postgres: start both at once.
	var wg sync.WaitGroup
	var s3Err error
	if st := e.Topology.OfKind(topology.KindStorage); len(st) > 0 {
		wg.Go(func() { s3Err = e.startMinIO(ctx, st[0], imageOf(topology.KindStorage)) })
	}
	var pgErr error
	switch scn.DR.Failover.Manager {
	case scenarios.ManagerPatroni:
		pgErr = e.startStack(ctx, imageOf(topology.KindPostgres), imageOf(topology.KindEtcd))
	case scenarios.ManagerPgAutoFailover:
		pgErr = e.startStack(ctx, imageOf(topology.KindPostgres), imageOf(topology.KindMonitor))
	default:
		for _, n := range e.Topology.OfKind(topology.KindPostgres) {
			var how pgStart
			if n.Role != topology.RolePrimary {
				how.from = topology.NodePrimary
			}
			if pgErr = e.startPostgres(ctx, n, how, readyTimeout); pgErr != nil {
				break
			}
		}
	}
	wg.Wait()
	if err := errors.Join(pgErr, s3Err); err != nil {
		return e, err
	}
	e.appImage = imageOf(topology.KindApp)
	if err := e.startApp(ctx, e.Topology.MustNode(topology.NodeApp)); err != nil {
		return e, err
	}
	e.say("environment %s ready in %s", e.RunID, time.Since(start).Round(100*time.Millisecond))
	return e, nil
}

// Cluster is the run's Postgres administration, reaching the nodes
// through this runtime's endpoints.
func (e *Env) Cluster() *postgres.Cluster { return e.cluster }

// PostgresCredentials are the run's Postgres login; never print the
// password.
func (e *Env) PostgresCredentials() postgres.Credentials {
	return postgres.Credentials{User: pgUser, Password: e.pgPassword, Database: pgDatabase}
}

// S3Credentials are the run's S3 access key and secret; never print the
// secret.
func (e *Env) S3Credentials() (access, secret string) { return s3User, e.s3Password }

func (e *Env) say(format string, args ...any) {
	fmt.Fprintf(e.progress, "  "+format+"\n", args...)
}

func (e *Env) labels(n *topology.Node) map[string]string {
	l := map[string]string{LabelRun: e.RunID}
	if n != nil {
		l[LabelNode] = n.Name
		l[LabelRole] = n.Kind
	}
	return l
}

// NetworkName is the Docker network of a logical network (a region or
// topology.WAN) in this run.
func (e *Env) NetworkName(net string) string { return topology.NetworkName(e.RunID, net) }

func (e *Env) createNetwork(ctx context.Context, net string) error {
	name := e.NetworkName(net)
	if err := netpin.Create(ctx, e.docker, name, map[string]string{LabelRun: e.RunID, "firedrill.region": net}); err != nil {
		return fmt.Errorf("network %s: %w", net, err)
	}
	e.log.Debug("network created", "network", name)
	return nil
}

// service is how one topology node's container is started.
type service struct {
	node       *topology.Node
	image      string
	env        map[string]string
	cmd        []string
	entrypoint []string
	user       string
	files      []testcontainers.ContainerFile
	// agent copies firedrill's binary in at AgentPath before the start.
	agent bool
}

func (e *Env) run(ctx context.Context, s service) (*node, error) {
	tn := s.node
	n := &node{Node: tn, Image: s.image, ContainerName: topology.ContainerName(e.RunID, tn.Name)}
	var mounts []mount.Mount
	if tn.Volume != "" {
		vol, err := e.createVolume(ctx, tn)
		if err != nil {
			return nil, err
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeVolume, Source: vol, Target: tn.Volume})
	}
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithName(n.ContainerName),
		testcontainers.WithLabels(e.labels(tn)),
		testcontainers.WithExposedPorts(tn.Ports...),
		testcontainers.WithEnv(s.env),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			// Publish on loopback only: nothing outside this host can reach
			// a drill's containers.
			hc.PortBindings = network.PortMap{}
			for _, p := range tn.Ports {
				port, err := network.ParsePort(p)
				if err == nil {
					hc.PortBindings[port] = []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1")}}
				}
			}
			hc.Mounts = append(hc.Mounts, mounts...)
			// Docker's embedded DNS answers the run's host names itself and
			// forwards any other name upstream. A drill sends nothing
			// beyond the host and its own networks, and the name of a
			// killed container (pg-primary after a kill) is such an "other"
			// name: pointed at loopback, the forward goes nowhere instead
			// of to the host's resolver, whose answers, under a failover's
			// burst of lookups, stalled every new database connection for
			// seconds (docs/architecture.md, "Naming").
			hc.DNS = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
			// A lookup of that gone name gets no answer at all, and glibc's
			// resolver waits 5 s per try, twice, for A and AAAA: Postgres's
			// WAL receiver and Patroni stalled 10-20 s on it after a kill,
			// far longer than a dead host costs on a real network (an ARP
			// or connect timeout). One try of one second bounds it.
			hc.DNSOptions = []string{"timeout:1", "attempts:1"}
		}),
		testcontainers.WithLogger(tcLogger{e.log}),
	}
	// Home region first, then the WAN that joins the regions; the node's
	// name is its host name on both.
	for _, net := range tn.Networks {
		opts = append(opts, tcnetwork.WithNetworkName([]string{tn.Name}, e.NetworkName(net)))
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
	if s.agent {
		opts = append(opts, e.withAgent())
	}
	ctr, err := testcontainers.Run(ctx, s.image, opts...)
	if ctr != nil {
		// Run returns the container even on error: register it so Down
		// removes it whatever happens next.
		n.ctr = ctr
		e.mu.Lock()
		// A replacement takes the place of the node it replaces.
		if i := slices.IndexFunc(e.nodes, func(o *node) bool { return o.Name == n.Name }); i >= 0 {
			e.nodes[i] = n
		} else {
			e.nodes = append(e.nodes, n)
		}
		e.byName[n.Name] = n
		e.mu.Unlock()
	}
	if err != nil {
		return n, fmt.Errorf("start %s (%s): %w%s", tn.Name, s.image, err, e.logTail(ctx, n))
	}
	return n, nil
}

// logTail returns the last lines of a node's log, to explain a failure.
func (e *Env) logTail(ctx context.Context, n *node) string {
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

// postgresArgs are the server settings of a Postgres node: the one place
// they are made, for every way a node starts.
func (e *Env) postgresArgs(tn *topology.Node) []string {
	args := []string{
		// The app's name of the server (docs/architecture.md, "Which
		// server acknowledged a write"); cluster_name for process titles.
		"-c", sampleapp.NodeSetting + "=" + tn.Name,
		"-c", "cluster_name=" + tn.Name,
		"-c", "wal_level=replica",
		// The scenario loader caps the replicas to what these carry.
		"-c", "max_wal_senders=" + strconv.Itoa(scenarios.MaxWALSenders),
		"-c", "max_replication_slots=" + strconv.Itoa(scenarios.MaxReplicationSlots),
		"-c", "hot_standby=on",
	}
	args = append(args, pgnode.WALArgs(tn.VolumeSize)...)  // WAL within the node's disk (pgnode/wal.go)
	return append(args, pgnode.ArchiveArgs(e.Scenario)...) // WAL to the bucket
}

// pgStart is how a Postgres node comes by its data: from an initdb of its
// own (the zero value), cloned from a primary, or restored (Replacement).
type pgStart struct {
	// from is the primary a replica clones with pg_basebackup.
	from string
	// restore is a restore from a backup (replace.go).
	restore Replacement
}

// postgresService is how a Postgres node's container is started, the one
// model for Up and for replacements. Every node runs the same image; with
// WAL archiving on, or a restore to run, it carries firedrill's binary
// and the bucket's environment.
func (e *Env) postgresService(tn *topology.Node, how pgStart) service {
	s := service{node: tn, image: e.postgresImage, env: map[string]string{}}
	if pgnode.ArchiveArgs(e.Scenario) != nil || how.restore.restores() {
		s.agent = true
		maps.Copy(s.env, e.s3Env())
	}
	args := e.postgresArgs(tn)
	if how.from != "" {
		maps.Copy(s.env, map[string]string{
			"PGPASSWORD":        e.pgPassword,
			"PGDATA":            topology.PostgresData,
			"FIREDRILL_PRIMARY": how.from,
			"FIREDRILL_PG_USER": pgUser,
			"FIREDRILL_SLOT":    strings.ReplaceAll(tn.Name, "-", "_"),
		})
		s.user, s.entrypoint, s.cmd = "postgres", []string{"bash", "-c", pgnode.ReplicaScript, "replica"}, args
		return s
	}
	maps.Copy(s.env, map[string]string{"POSTGRES_USER": pgUser, "POSTGRES_PASSWORD": e.pgPassword, "POSTGRES_DB": pgDatabase})
	s.files = []testcontainers.ContainerFile{{Reader: strings.NewReader(pgnode.PrimaryInit),
		ContainerFilePath: "/docker-entrypoint-initdb.d/10-firedrill-replication.sh", FileMode: 0o755}}
	s.cmd = append([]string{"postgres"}, args...)
	how.restore.apply(&s, args)
	return s
}

// startPostgres starts a Postgres node and waits, within wait (0: within
// ctx alone), until it is the primary, or a standby streaming from
// how.from.
func (e *Env) startPostgres(ctx context.Context, tn *topology.Node, how pgStart, wait time.Duration) error {
	t := time.Now()
	n, err := e.run(ctx, e.postgresService(tn, how))
	if err != nil {
		return err
	}
	wctx, cancel := ctx, context.CancelFunc(func() {})
	if wait > 0 {
		wctx, cancel = context.WithTimeout(ctx, wait)
	}
	defer cancel()
	if err := e.cluster.WaitReady(wctx, n.Name, how.from != "", how.from); err != nil {
		return fmt.Errorf("%s not ready after %s: %w%s", n.Name, time.Since(t).Round(time.Second), err, e.logTail(ctx, n))
	}
	if how.from != "" {
		e.say("postgres replica %s streaming from %s in region %s (%s)", n.Name, how.from, n.Region, time.Since(t).Round(100*time.Millisecond))
	} else {
		e.say("postgres primary %s ready in region %s (%s)", n.Name, n.Region, time.Since(t).Round(100*time.Millisecond))
	}
	return nil
}

func (e *Env) startMinIO(ctx context.Context, tn *topology.Node, image string) error {
	t := time.Now()
	_, err := e.run(ctx, service{
		node: tn, image: image,
		env: map[string]string{"MINIO_ROOT_USER": s3User, "MINIO_ROOT_PASSWORD": e.s3Password},
		cmd: []string{"server", topology.StorageData, "--console-address", ":9001"},
	})
	if err != nil {
		return err
	}
	if err := e.waitHTTP(ctx, tn.Name, topology.PortS3, "/minio/health/live"); err != nil {
		return err
	}
	if err := e.createBucket(ctx); err != nil {
		return err
	}
	e.say("minio ready in region %s with bucket %s (%s)", tn.Region, e.Bucket, time.Since(t).Round(100*time.Millisecond))
	return nil
}

// appDSN is the app's connection string: every Postgres node by its host
// name on the run's networks, so pgx finds whichever is read-write (or,
// for reads, prefers a standby) by itself.
func (e *Env) appDSN(attrs string) string {
	var hosts []string
	for _, n := range e.Topology.Postgres() {
		hosts = append(hosts, n+":5432")
	}
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable&connect_timeout=2&target_session_attrs=%s",
		pgUser, e.pgPassword, strings.Join(hosts, ","), pgDatabase, attrs)
}

func (e *Env) startApp(ctx context.Context, tn *topology.Node) error {
	t := time.Now()
	_, err := e.run(ctx, service{
		node: tn, image: e.appImage,
		env: map[string]string{
			"FIREDRILL_APP_LISTEN":    ":8080",
			"FIREDRILL_APP_WRITE_DSN": e.appDSN("read-write"),
			"FIREDRILL_APP_READ_DSN":  e.appDSN("prefer-standby"),
			// The uploads volume (topology.AppUploads): see
			// docs/architecture.md, "Replacing a lost node".
			"FIREDRILL_APP_UPLOADS": tn.Volume,
		},
		cmd: []string{"app"},
	})
	if err != nil {
		return err
	}
	// Decide how the harness reaches containers before the first request
	// that matters: the app is the first service reached over HTTP.
	e.chooseEndpoints(ctx)
	// The app answers /healthz with 200 once its schema exists on the primary.
	if err := e.waitHTTP(ctx, tn.Name, topology.PortApp, "/healthz"); err != nil {
		return err
	}
	e.say("app ready in region %s (%s)", tn.Region, time.Since(t).Round(100*time.Millisecond))
	return nil
}

// waitHTTP polls GET path on a node's port until it answers 200, through
// the same endpoint the workload will use.
func (e *Env) waitHTTP(ctx context.Context, name, port, path string) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	return e.pollReady(ctx, name, name, func(ctx context.Context) (bool, error) {
		ep, err := e.Endpoint(ctx, name, port)
		if err != nil {
			return false, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ep+path, nil)
		if err != nil {
			return false, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return true, nil
	})
}

// pollReady asks ready every 200 ms, within readyTimeout, until it says
// yes; it gives up at once when the node's container exits. Its error
// says what was waited for, the last answer and the node's last log
// lines.
func (e *Env) pollReady(ctx context.Context, name, what string, ready func(context.Context) (bool, error)) error {
	wctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	n, _ := e.node(name)
	for {
		ok, err := ready(wctx)
		if ok {
			return nil
		}
		if st, serr := e.State(wctx, name); serr == nil && st.Status == platform.StatusExited {
			return fmt.Errorf("%s: %s exited (code %d) before it was ready (last: %v)%s", what, name, st.ExitCode, err, e.logTail(ctx, n))
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("%s not ready after %s: %v%s", what, readyTimeout, err, e.logTail(ctx, n))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// node returns the running node called name.
func (e *Env) node(name string) (*node, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n, ok := e.byName[name]
	return n, ok
}

// ContainerName is the container of a node of this run, for people
// (docker logs, docker exec).
func (e *Env) ContainerName(node string) string { return topology.ContainerName(e.RunID, node) }

// Down removes every object of this run: containers (with their volumes),
// networks and volumes. It is safe to call more than once.
func (e *Env) Down(ctx context.Context) error {
	// The run's own lease is alive: this is its harness, so force.
	_, err := Clean(ctx, e.docker, CleanRun(e.RunID), CleanForce())
	e.lease.Release()
	return err
}

// EndLease ends the run's claim on its id without removing anything: for an
// environment kept after the drill, which `firedrill clean` may then remove.
// It returns once the lease container has exited.
func (e *Env) EndLease(ctx context.Context) error { return e.lease.End(ctx) }
