//go:build integration

package jobs_test

// Physical backups, WAL archiving and point-in-time recovery end to end, on
// real containers: MinIO, a Postgres primary from the run's image whose
// archive_command is firedrill's wal-push, the backup job in a container of
// the same image beside it, and each restore into a fresh container that
// replays the archive and promotes (docs/architecture.md, "WAL archiving
// and point-in-time recovery").

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/firedrill/firedrill/dr/jobs"
	"github.com/firedrill/firedrill/dr/store"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/platform/docker"
	pgcluster "github.com/firedrill/firedrill/postgres"
	"github.com/firedrill/firedrill/topology"
)

func init() {
	// The rig publishes every port on 127.0.0.1 only; testcontainers,
	// finding itself in a container, would look for it at the Docker
	// gateway's address instead (192.0.2.1 here) and never connect.
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		_ = os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
}

// walPush is the archive_command of every archiving node.
const walPush = binInJob + " agent wal-push %p"

// replicationHBA lets the backup job's pg_basebackup in: "all" in
// pg_hba.conf does not match replication connections.
const replicationHBA = "#!/bin/sh\nset -e\necho \"host replication all all scram-sha-256\" >> \"$PGDATA/pg_hba.conf\"\n"

// archiveArgs are the settings the harness gives every Postgres node when
// the scenario has physical backups.
var archiveArgs = []string{"-c", "wal_level=replica", "-c", "archive_mode=on", "-c", "archive_command=" + walPush, "-c", "archive_timeout=1s"}

func binFile() testcontainers.ContainerFile {
	return testcontainers.ContainerFile{HostFilePath: firedrillBin, ContainerFilePath: binInJob, FileMode: 0o755}
}

// startArchivingPrimary starts a primary that archives its WAL with
// wal-push into the rig's bucket.
func (r *rig) startArchivingPrimary(alias string) (postgres, testcontainers.Container) {
	r.t.Helper()
	ctr := r.start(alias, r.pgImage,
		testcontainers.WithEnv(merge(jobEnv(nil), map[string]string{"POSTGRES_USER": pgUser, "POSTGRES_PASSWORD": pgPassword, "POSTGRES_DB": pgDatabase})),
		testcontainers.WithCmd(append([]string{"postgres"}, archiveArgs...)...),
		testcontainers.WithFiles(binFile(), testcontainers.ContainerFile{Reader: strings.NewReader(replicationHBA),
			ContainerFilePath: "/docker-entrypoint-initdb.d/10-replication.sh", FileMode: 0o755}),
		published("5432/tcp"),
		testcontainers.WithWaitStrategy(wait.ForLog("database system is ready to accept connections").WithOccurrence(2).WithStartupTimeout(2*time.Minute)))
	return r.postgresAt(alias, ctr), ctr
}

func (r *rig) postgresAt(alias string, ctr testcontainers.Container) postgres {
	r.t.Helper()
	ep, err := ctr.PortEndpoint(r.ctx, "5432/tcp", "")
	if err != nil {
		r.t.Fatal(err)
	}
	return postgres{alias: alias, host: fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", pgUser, pgPassword, ep, pgDatabase)}
}

func merge(a, b map[string]string) map[string]string {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// restoreScript is a replacement node's start: the physical restore as
// the postgres user into the empty PGDATA, then Postgres, which replays
// the archive, promotes and archives its own timeline.
var restoreScript = `set -e
` + binInJob + ` agent restore physical --pgdata "$PGDATA" --target "$FIREDRILL_TARGET"
exec postgres "$@"`

// restored is a fresh node that restored a physical backup to a target.
type restored struct {
	pg      postgres
	reports []jobs.Report
	output  string
}

// restoreNode starts a fresh node restored to target and waits for its
// promotion.
func (r *rig) restoreNode(alias, target string) restored {
	r.t.Helper()
	ctr := r.start(alias, r.pgImage,
		testcontainers.WithEnv(merge(jobEnv(nil), map[string]string{"FIREDRILL_TARGET": target, "PGDATA": topology.PostgresData})),
		testcontainers.WithEntrypoint(append([]string{"bash", "-c", restoreScript, "restore"}, archiveArgs...)...),
		testcontainers.WithConfigModifier(func(c *container.Config) { c.User = "postgres" }),
		testcontainers.WithFiles(binFile()),
		published("5432/tcp"),
		// After the promotion: in recovery it says "read-only connections".
		testcontainers.WithWaitStrategy(wait.ForLog("database system is ready to accept connections").WithStartupTimeout(r.patience)))
	out := containerLog(r.t, r.ctx, ctr)
	got := restored{pg: r.postgresAt(alias, ctr), output: out}
	got.pg.ctr = ctr
	for _, line := range strings.Split(out, "\n") {
		if rep, ok := jobs.Parse(line); ok {
			got.reports = append(got.reports, rep)
		}
	}
	if len(got.reports) == 0 || got.reports[len(got.reports)-1].Type != jobs.TypeResult {
		r.t.Fatalf("restore to %s:\n%s", target, out)
	}
	return got
}

func containerLog(t testing.TB, ctx context.Context, ctr testcontainers.Container) string {
	t.Helper()
	rc, err := ctr.Logs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

// insert commits each id in its own transaction.
func insert(t testing.TB, ctx context.Context, conn *pgx.Conn, from, to int) {
	t.Helper()
	for id := from; id <= to; id++ {
		if _, err := conn.Exec(ctx, "INSERT INTO t (id) VALUES ($1)", id); err != nil {
			t.Fatal(err)
		}
	}
}

// ids returns the ids in t, or nil and false when t does not exist.
func ids(t testing.TB, ctx context.Context, conn *pgx.Conn) ([]int, bool) {
	t.Helper()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('t') IS NOT NULL").Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if !exists {
		return nil, false
	}
	rows, err := conn.Query(ctx, "SELECT id FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return got, true
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// waitArchived switches the primary's WAL and waits until the segment
// holding everything so far is archived.
func waitArchived(t testing.TB, ctx context.Context, conn *pgx.Conn, within time.Duration) {
	t.Helper()
	var seg string
	if err := conn.QueryRow(ctx, "SELECT pg_walfile_name(pg_current_wal_insert_lsn())").Scan(&seg); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_switch_wal()"); err != nil {
		t.Fatal(err)
	}
	waitWithin(t, within, "segment "+seg+" archived", func() bool {
		var last *string
		err := conn.QueryRow(ctx, "SELECT last_archived_wal FROM pg_stat_archiver").Scan(&last)
		return err == nil && last != nil && len(*last) >= 24 && (*last)[:24] >= seg
	})
}

// fixedEndpoint gives postgres.Cluster the published address of the rig's
// real primary; the cluster asks the runtime for nothing else.
type fixedEndpoint struct {
	platform.Runtime
	hostPort string
}

func (f fixedEndpoint) Endpoint(context.Context, string, string) (string, error) {
	return f.hostPort, nil
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitWithin(t, time.Minute, what, cond)
}

// waitWithin polls cond until it holds, failing t after within.
func waitWithin(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// physicalBackup takes a physical backup of the rig's primary as a job.
func (r *rig) physicalBackup(primary postgres) store.Manifest {
	r.t.Helper()
	res := mustResult(r.t, r.agent(jobEnv(&primary), "backup", "physical"))
	return *res.Manifest
}

// stopMinIO stops the rig's storage (an S3 outage).
func (r *rig) stopMinIO() {
	r.t.Helper()
	list, err := dockerCli.ContainerList(r.ctx, client.ContainerListOptions{Filters: make(client.Filters).Add("label", docker.LabelRun+"="+r.runID)})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, c := range list.Items {
		for _, n := range c.Names {
			if strings.Contains(n, "-minio-") {
				if _, err := dockerCli.ContainerStop(r.ctx, c.ID, client.ContainerStopOptions{}); err != nil {
					r.t.Fatal(err)
				}
				return
			}
		}
	}
	r.t.Fatal("no MinIO container in the rig")
}

func TestPhysicalBackupAndPointInTimeRecovery(t *testing.T) {
	r := newRig(t)
	ctx := r.ctx
	primary, _ := r.startArchivingPrimary("pg-primary")
	conn := r.conn(primary)
	if _, err := conn.Exec(ctx, "CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	insert(t, ctx, conn, 1, 100)

	b1 := r.physicalBackup(primary)
	if b1.StopLSN == "" || b1.SnapshotLSN == "" || b1.Timeline != 1 || b1.End.IsZero() || b1.Size == 0 || b1.Kind != store.KindPhysical ||
		b1.SystemID != systemID(t, ctx, conn) {
		t.Fatalf("manifest of the base backup: %+v", b1)
	}

	insert(t, ctx, conn, 101, 150)
	var lsnAfter150 string
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&lsnAfter150); err != nil {
		t.Fatal(err)
	}
	insert(t, ctx, conn, 151, 200)
	if _, err := conn.Exec(ctx, "SELECT pg_create_restore_point('after-200')"); err != nil {
		t.Fatal(err)
	}
	insert(t, ctx, conn, 201, 300)
	// The target: the server's clock after row 300's commit, before row
	// 301's and the drop.
	var target time.Time
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&target); err != nil {
		t.Fatal(err)
	}
	insert(t, ctx, conn, 301, 301)
	if _, err := conn.Exec(ctx, "DROP TABLE t"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE after_drop (x int); INSERT INTO after_drop VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	waitArchived(t, ctx, conn, r.patience)

	// A newer backup whose data object is damaged: a restore to the latest
	// point rejects it and goes on with the older one, replaying the drop.
	b2 := r.physicalBackup(primary)
	if _, err := r.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(b2.Object),
		Body: bytes.NewReader([]byte("not a base backup"))}); err != nil {
		t.Fatal(err)
	}
	t.Run("corrupt newest backup rejected, older one restored to latest", func(t *testing.T) {
		got := r.restoreNode("pg-latest", "latest")
		var rejected []string
		for _, rep := range got.reports {
			if rep.Type == jobs.TypeRejected {
				rejected = append(rejected, rep.BackupID)
			}
		}
		if !slices.Equal(rejected, []string{b2.ID}) {
			t.Errorf("rejected %v, want [%s]", rejected, b2.ID)
		}
		if m := got.reports[len(got.reports)-1].Manifest; m == nil || m.ID != b1.ID {
			t.Errorf("restored %+v, want %s", m, b1.ID)
		}
		c := r.conn(got.pg)
		if _, exists := ids(t, ctx, c); exists {
			t.Error("the drop was not replayed")
		}
		var x int
		if err := c.QueryRow(ctx, "SELECT x FROM after_drop").Scan(&x); err != nil || x != 1 {
			t.Errorf("after_drop: %d %v", x, err)
		}
	})
	// Each restore promotes onto a timeline of its own and archives it;
	// the restores after it follow the newest timeline, so their targets
	// come earlier and earlier, before every branch point
	// (docs/architecture.md, "WAL archiving and point-in-time recovery").
	t.Run("time just before the drop", func(t *testing.T) {
		got := r.restoreNode("pg-time", "time:"+target.Format(time.RFC3339Nano))
		have, exists := ids(t, ctx, r.conn(got.pg))
		if !exists || !slices.Equal(have, seq(1, 300)) {
			t.Errorf("table exists %v with %d rows, want rows 1-300", exists, len(have))
		}
	})
	t.Run("restore point", func(t *testing.T) {
		got := r.restoreNode("pg-name", "name:after-200")
		if have, _ := ids(t, ctx, r.conn(got.pg)); !slices.Equal(have, seq(1, 200)) {
			t.Errorf("%d rows, want rows 1-200", len(have))
		}
	})
	t.Run("lsn", func(t *testing.T) {
		got := r.restoreNode("pg-lsn", "lsn:"+lsnAfter150)
		if have, _ := ids(t, ctx, r.conn(got.pg)); !slices.Equal(have, seq(1, 150)) {
			t.Errorf("%d rows, want rows 1-150", len(have))
		}
	})
	t.Run("restored nodes archive their timelines", func(t *testing.T) {
		waitFor(t, "the timeline history files of the restores", func() bool {
			names, err := r.store.ListWAL(ctx, b1.SystemID)
			return err == nil && slices.Contains(names, "00000002.history") && slices.Contains(names, "00000005.history")
		})
	})

	primaryURL, err := url.Parse(primary.host)
	if err != nil {
		t.Fatal(err)
	}
	cluster := pgcluster.New(fixedEndpoint{hostPort: primaryURL.Host}, nil,
		pgcluster.Credentials{User: pgUser, Password: pgPassword, Database: pgDatabase})
	t.Run("archive status of a healthy archive", func(t *testing.T) {
		st, err := cluster.ArchiveStatus(ctx, "pg-primary")
		if err != nil {
			t.Fatal(err)
		}
		if st.ArchivedCount == 0 || st.LastArchivedWAL == "" || st.LastArchivedTime == nil || st.CurrentWAL == "" || st.InRecovery || st.Now.IsZero() || st.Failing() {
			t.Errorf("archive status %+v", st)
		}
	})

	t.Run("wal-fetch exit codes and a failing archive", func(t *testing.T) {
		j := r.agent(jobEnv(nil), "wal-fetch", "--system-id", b1.SystemID, "0000000100000000000000FE", "/tmp/seg")
		if j.code != jobs.ExitWALAbsent {
			t.Errorf("absent segment: exit %d, want 1\n%s", j.code, j.output)
		}
		// Outside a data directory, without --system-id: which archive to
		// read is unknown, and the recovery must stop, not end.
		j = r.agent(jobEnv(nil), "wal-fetch", "0000000100000000000000FE", "/tmp/seg")
		if j.code != jobs.ExitWALUnavailable || !strings.Contains(j.output, "--system-id") {
			t.Errorf("no system identifier: exit %d, want %d saying why\n%s", j.code, jobs.ExitWALUnavailable, j.output)
		}
		r.stopMinIO()
		if _, err := conn.Exec(ctx, "INSERT INTO after_drop VALUES (2)"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "SELECT pg_switch_wal()"); err != nil {
			t.Fatal(err)
		}
		var st pgcluster.ArchiveStatus
		waitFor(t, "the archive to fail", func() bool {
			var err error
			st, err = cluster.ArchiveStatus(ctx, "pg-primary")
			return err == nil && st.Failing()
		})
		if exp, known := st.Exposure(); !st.Pending() || !known || exp <= 0 || st.FailedCount == 0 {
			t.Errorf("a failing archive: pending %v, exposure %v (known %v), status %+v", st.Pending(), exp, known, st)
		}
		j = r.agent(jobEnv(nil), "wal-fetch", "--system-id", b1.SystemID, "000000010000000000000001", "/tmp/seg")
		if j.code < 126 {
			t.Errorf("storage down: exit %d, want >= 126\n%s", j.code, j.output)
		}
	})
}
