//go:build integration

package jobs_test

// The rig of dr/jobs' integration tests: a network of the test's own run
// with the run's MinIO and Postgres images, and each job run as
// `firedrill agent ...` in a container of the Postgres image with this
// tree's static binary copied in at /opt/firedrill/firedrill, as the job
// sidecars run it (docs/architecture.md, "Backups and the catalog").

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/firedrill/firedrill/dr/jobs"
	"github.com/firedrill/firedrill/dr/store"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/internal/itest"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
)

var (
	firedrillBin string
	dockerCli    *client.Client
)

func TestMain(m *testing.M) {
	var cleanup func()
	firedrillBin, dockerCli, cleanup = itest.Setup()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

const (
	pgUser     = "app"
	pgPassword = "rig-pg-secret-5d1"
	pgDatabase = "app"
	s3User     = "firedrill"
	s3Secret   = "rig-s3-secret-9a7"
	bucket     = "backups"
	binInJob   = "/opt/firedrill/firedrill"
)

type rig struct {
	t       testing.TB
	ctx     context.Context
	runID   string
	network string
	pgImage string
	s3      *s3.Client
	store   *store.Store
	seq     atomic.Int64 // container names
	// patience bounds a wait for a container: a restored node's replay
	// and the like. A benchmark's database is up to a thousand times a
	// test's, so its waits are longer.
	patience time.Duration
}

// newRig brings up the network and MinIO with the bucket; everything the
// test starts is labelled with its run, and removed when it ends.
func newRig(t testing.TB) *rig {
	t.Helper()
	life, patience := 15*time.Minute, 3*time.Minute
	if _, bench := t.(*testing.B); bench {
		life, patience = 85*time.Minute, 30*time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), life)
	t.Cleanup(cancel)
	scn, err := scenarios.Builtin("primary-kill")
	if err != nil {
		t.Fatal(err)
	}
	imgs := images.NewImages(dockerCli, images.WithAppBinary(firedrillBin), images.WithProgress(os.Stderr))
	resolved, err := imgs.ResolveAll(ctx, []images.Request{
		{Role: images.RolePostgres, Want: scn.Environment.Postgres.Image},
		{Role: images.RoleMinIO, Want: scn.Environment.Storage.Image},
	})
	if err != nil {
		t.Fatalf("images: %v", err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	r := &rig{t: t, ctx: ctx, runID: "jobs" + hex.EncodeToString(b), pgImage: resolved[images.RolePostgres].Ref, patience: patience}
	r.network = "firedrill-" + r.runID
	if _, err := dockerCli.NetworkCreate(ctx, r.network, client.NetworkCreateOptions{Labels: r.labels()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = dockerCli.NetworkRemove(context.Background(), r.network, client.NetworkRemoveOptions{})
		left, err := itest.Leftovers(context.Background(), dockerCli, r.runID)
		if err != nil || len(left) > 0 {
			t.Errorf("left behind: %v %v", left, err)
		}
	})

	minio := r.start("minio", resolved[images.RoleMinIO].Ref, published("9000/tcp"),
		testcontainers.WithEnv(map[string]string{"MINIO_ROOT_USER": s3User, "MINIO_ROOT_PASSWORD": s3Secret}),
		testcontainers.WithCmd("server", "/data"),
		// testcontainers' HTTP wait never succeeds on this engine (Docker 20.10); MinIO
		// prints its API line once it listens.
		testcontainers.WithWaitStrategy(wait.ForLog("API: ").WithStartupTimeout(time.Minute)))
	ep, err := minio.PortEndpoint(ctx, "9000/tcp", "http")
	if err != nil {
		t.Fatal(err)
	}
	r.s3 = s3.New(s3.Options{BaseEndpoint: aws.String(ep), Region: "us-east-1", UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s3User, s3Secret, "")})
	if _, err := r.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	r.store = store.NewFromClient(r.s3, bucket)
	return r
}

func (r *rig) labels() map[string]string { return map[string]string{docker.LabelRun: r.runID} }

// start runs a container of the rig on its network, known there as alias,
// and terminates it when the test ends.
func (r *rig) start(alias, image string, opts ...testcontainers.ContainerCustomizer) testcontainers.Container {
	r.t.Helper()
	all := append([]testcontainers.ContainerCustomizer{
		testcontainers.WithName(fmt.Sprintf("%s-%s-%d", r.runID, alias, r.seq.Add(1))),
		testcontainers.WithLabels(r.labels()),
		tcnetwork.WithNetworkName([]string{alias}, r.network),
	}, opts...)
	ctr, err := testcontainers.Run(r.ctx, image, all...)
	if ctr != nil {
		r.t.Cleanup(func() { _ = ctr.Terminate(context.Background()) })
	}
	if err != nil {
		// What the container said is most of the diagnosis of a wait that
		// timed out.
		var said string
		if ctr != nil {
			if rc, lerr := ctr.Logs(context.Background()); lerr == nil {
				b, _ := io.ReadAll(rc)
				rc.Close()
				said = string(b)
				if len(said) > 8000 {
					said = "…" + said[len(said)-8000:]
				}
			}
		}
		r.t.Fatalf("start %s: %v\n%s", alias, err, said)
	}
	return ctr
}

// published exposes ports and publishes them on loopback only, as the
// docker package does.
func published(ports ...string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		if err := testcontainers.WithExposedPorts(ports...)(req); err != nil {
			return err
		}
		return testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{}
			for _, p := range ports {
				if port, err := network.ParsePort(p); err == nil {
					hc.PortBindings[port] = []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1")}}
				}
			}
		})(req)
	}
}

// postgres is a Postgres server of the rig.
type postgres struct {
	alias string
	ctr   testcontainers.Container
	host  string // DSN from the test, through the published port
}

// inside is the server's DSN from a job on the rig's network.
func (p postgres) inside() string {
	return fmt.Sprintf("postgres://%s:%s@%s:5432/%s?sslmode=disable", pgUser, pgPassword, p.alias, pgDatabase)
}

// startPostgres starts a server with an empty database, as a fresh
// container replacing a lost node has.
// opts add to the container (an initdb.d script and its environment).
func (r *rig) startPostgres(alias string, opts ...testcontainers.ContainerCustomizer) postgres {
	r.t.Helper()
	base := []testcontainers.ContainerCustomizer{
		published("5432/tcp"),
		testcontainers.WithEnv(map[string]string{"POSTGRES_USER": pgUser, "POSTGRES_PASSWORD": pgPassword, "POSTGRES_DB": pgDatabase}),
		// The official entrypoint's temporary server says it once, the
		// real one a second time.
		testcontainers.WithWaitStrategy(wait.ForLog("database system is ready to accept connections").
			WithOccurrence(2).WithStartupTimeout(2 * time.Minute)),
	}
	ctr := r.start(alias, r.pgImage, append(base, opts...)...)
	ep, err := ctr.PortEndpoint(r.ctx, "5432/tcp", "")
	if err != nil {
		r.t.Fatal(err)
	}
	return postgres{alias: alias, ctr: ctr, host: fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", pgUser, pgPassword, ep, pgDatabase)}
}

func (r *rig) conn(p postgres) *pgx.Conn {
	r.t.Helper()
	c, err := pgx.Connect(r.ctx, p.host)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// jobEnv is what the harness sets on a job (FIREDRILL_S3_*, and the
// server's DSN when pg is set).
func jobEnv(pg *postgres) map[string]string {
	env := map[string]string{
		"FIREDRILL_S3_ENDPOINT": "http://minio:9000", "FIREDRILL_S3_BUCKET": bucket,
		"FIREDRILL_S3_ACCESS_KEY": s3User, "FIREDRILL_S3_SECRET_KEY": s3Secret, "FIREDRILL_S3_REGION": "us-east-1",
	}
	if pg != nil {
		env["FIREDRILL_PG_DSN"] = pg.inside()
	}
	return env
}

// jobRun is a finished job: its exit code, report lines and whole output.
type jobRun struct {
	code    int
	reports []jobs.Report
	output  string
}

// last is the job's final report line.
func (j jobRun) last() jobs.Report {
	if len(j.reports) == 0 {
		return jobs.Report{}
	}
	return j.reports[len(j.reports)-1]
}

func (j jobRun) ofType(typ string) []jobs.Report {
	var out []jobs.Report
	for _, r := range j.reports {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// job runs script with sh in a fresh container of the Postgres image with
// the binary at binInJob, and waits for it to exit. Every job's output is
// checked for the rig's secrets.
func (r *rig) job(env map[string]string, script string) jobRun {
	r.t.Helper()
	ctr := r.start("job", r.pgImage,
		testcontainers.WithEnv(env),
		testcontainers.WithFiles(testcontainers.ContainerFile{HostFilePath: firedrillBin, ContainerFilePath: binInJob, FileMode: 0o755}),
		testcontainers.WithEntrypoint("sh", "-c", script),
		testcontainers.WithWaitStrategy(wait.ForExit().WithExitTimeout(max(10*time.Minute, r.patience))))
	state, err := ctr.State(r.ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	logs, err := ctr.Logs(r.ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	defer logs.Close()
	var out bytes.Buffer
	_, _ = io.Copy(&out, logs)
	run := jobRun{code: state.ExitCode, output: out.String()}
	sc := bufio.NewScanner(strings.NewReader(run.output))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if rep, ok := jobs.Parse(sc.Text()); ok {
			run.reports = append(run.reports, rep)
		}
	}
	for _, secret := range []string{pgPassword, s3Secret} {
		if strings.Contains(run.output, secret) {
			r.t.Errorf("a secret is in the job's output:\n%s", run.output)
		}
	}
	return run
}

// agent runs `firedrill agent args...` as a job.
func (r *rig) agent(env map[string]string, args ...string) jobRun {
	r.t.Helper()
	return r.job(env, "exec "+binInJob+" agent "+strings.Join(args, " "))
}

// mustResult is the result line of a job that must have succeeded.
func mustResult(t testing.TB, j jobRun) jobs.Report {
	t.Helper()
	res := j.last()
	if j.code != 0 || res.Type != jobs.TypeResult || res.Manifest == nil {
		t.Fatalf("job failed (exit %d, last report %+v):\n%s", j.code, res, j.output)
	}
	return res
}
