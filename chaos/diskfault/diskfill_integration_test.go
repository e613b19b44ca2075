//go:build integration

package diskfault_test

// disk-fill on real containers: the primary's size-limited data volume
// filled from a sidecar, what Postgres does then, seen by the test's own
// connections and its own df from inside the volume (not the fault's
// evidence), and the revert. Also: the volume keeps its data across a
// kill and a start of the node (its holder keeps the tmpfs mounted), and
// a checkpoint on the full disk PANICs, which the revert says.

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/chaos/internal/chaostest"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// diskScenario has a small disk, so that a fill is quick.
const diskScenario = `apiVersion: firedrill/v1
name: disk-faults
environment:
  regions: [east, west]
  postgres:
    disk_size: 256MiB
    primary: {region: east}
    replicas: [{name: replica1, region: west}]
timeline:
  duration: 30s
`

// diskRig is the network faults' rig on the disk scenario.
type diskRig struct{ *chaostest.NetRig }

func upDiskRig(t *testing.T) *diskRig {
	t.Helper()
	env, ctx := chaostest.UpEnvironment(t, "disk-faults.yaml", diskScenario)
	return &diskRig{&chaostest.NetRig{Env: env, Ctx: ctx}}
}

func (r *diskRig) diskFill(t *testing.T, p scenarios.Params) (chaos.Fault, chaos.Reverter, *chaos.Target) {
	t.Helper()
	return r.Fault(t, scenarios.ActionDiskFill, scenarios.TargetPrimary, p, nil)
}

// free is what df says is free on the primary's data volume, from a
// sidecar of the test's own that mounts it; and whether a fill file is
// in it.
func (r *diskRig) free(t *testing.T) (free int64, fillFiles string) {
	t.Helper()
	res, err := r.Env.Exec(r.Ctx, topology.NodePrimary, []string{"bash", "-c",
		"df -B1 --output=avail " + topology.PostgresData + " | tail -1; ls -a " + topology.PostgresData + " | grep firedrill-disk-fill || true"},
		platform.WithVolume())
	if err != nil {
		t.Fatalf("df: %v", err)
	}
	lines := strings.SplitN(strings.TrimSpace(res.Output), "\n", 2)
	free, err = strconv.ParseInt(strings.TrimSpace(lines[0]), 10, 64)
	if err != nil {
		t.Fatalf("df said %q", res.Output)
	}
	if len(lines) > 1 {
		fillFiles = lines[1]
	}
	return free, fillFiles
}

// write inserts rows that need new pages, as the workload's writes do
// once the last page is full.
func (r *diskRig) write(tag string) error {
	return r.Env.Cluster().Exec(r.Ctx, topology.NodePrimary,
		"INSERT INTO disk_itest SELECT $1, g, repeat('x', 500) FROM generate_series(1, 200) g", tag)
}

func sqlState(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}

func (r *diskRig) waitAnswers(t *testing.T, node string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := r.Env.Cluster().QueryInt(r.Ctx, node, "SELECT 1")
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not answer SELECT 1: %v", node, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestIntegrationDiskFill(t *testing.T) {
	r := upDiskRig(t)
	c := r.Env.Cluster()
	if err := c.Exec(r.Ctx, topology.NodePrimary, "CREATE TABLE disk_itest (tag text, n int, pad text)"); err != nil {
		t.Fatal(err)
	}

	t.Run("writes fail with 53100 and the server survives", func(t *testing.T) {
		before, _ := r.free(t)
		if before <= 0 || before > 256<<20 {
			t.Fatalf("free before %d: want the 256MiB volume, not the host's disk", before)
		}
		f, rev, tg := r.diskFill(t, scenarios.Params{})
		ev, err := f.Inject(r.Ctx, tg)
		if err != nil {
			t.Fatalf("inject: %v (evidence %q)", err, ev)
		}
		t.Logf("evidence: %s", ev)
		if !strings.Contains(ev, "pg-primary data volume 256.0 MiB: ") || !strings.Contains(ev, "100.0% used during (0 B free)") {
			t.Errorf("evidence %q", ev)
		}
		if free, files := r.free(t); free != 0 || files == "" {
			t.Errorf("during the fill df says %d free, fill files %q: want 0 and one", free, files)
		}
		err = r.write("during")
		if sqlState(err) != "53100" {
			t.Fatalf("a write on the full disk: %v (SQLSTATE %q), want 53100 disk full", err, sqlState(err))
		}
		t.Logf("the write failed: %v", err)
		// The server survives: it runs, and a fresh connection answers.
		if st, err := r.Env.State(r.Ctx, topology.NodePrimary); err != nil || !st.Running() {
			t.Fatalf("the primary: %v, %v", st, err)
		}
		if n, err := c.QueryInt(r.Ctx, topology.NodePrimary, "SELECT 1"); err != nil || n != 1 {
			t.Fatalf("SELECT 1 on the full primary: %d, %v", n, err)
		}

		rv, err := rev.Revert(r.Ctx, tg)
		if err != nil {
			t.Fatalf("revert: %v (evidence %q)", err, rv)
		}
		t.Logf("revert evidence: %s", rv)
		if !strings.Contains(rv, "fill file deleted") || !strings.Contains(rv, "Postgres ran throughout") {
			t.Errorf("revert evidence %q", rv)
		}
		if free, files := r.free(t); free < before-(16<<20) || files != "" {
			t.Errorf("after the revert df says %d free (before %d), fill files %q", free, before, files)
		}
		if err := r.write("after"); err != nil {
			t.Fatalf("a write after the revert: %v", err)
		}
	})

	t.Run("a fill by size", func(t *testing.T) {
		before, _ := r.free(t)
		f, rev, tg := r.diskFill(t, scenarios.Params{Size: "64MiB"})
		ev, err := f.Inject(r.Ctx, tg)
		if err != nil {
			t.Fatalf("inject: %v", err)
		}
		t.Logf("evidence: %s", ev)
		free, _ := r.free(t)
		if got := before - free; got < 64<<20 || got > 64<<20+(1<<20) {
			t.Errorf("the fill took %d bytes, want 64MiB", got)
		}
		if err := r.write("by-size"); err != nil {
			t.Errorf("a write with 64MiB filled and room left: %v", err)
		}
		if _, err := rev.Revert(r.Ctx, tg); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("kill and start keep the data", func(t *testing.T) {
		if err := c.Exec(r.Ctx, topology.NodePrimary, "INSERT INTO disk_itest VALUES ('kept', 1, '')"); err != nil {
			t.Fatal(err)
		}
		if err := r.Env.Kill(r.Ctx, topology.NodePrimary); err != nil {
			t.Fatal(err)
		}
		if err := r.Env.Start(r.Ctx, topology.NodePrimary); err != nil {
			t.Fatal(err)
		}
		r.waitAnswers(t, topology.NodePrimary)
		n, err := c.QueryInt(r.Ctx, topology.NodePrimary, "SELECT count(*) FROM disk_itest WHERE tag = 'kept'")
		if err != nil || n != 1 {
			t.Fatalf("after kill and start: %d rows tagged kept, %v; want 1 (crash recovery on the same volume)", n, err)
		}
	})

	t.Run("a checkpoint on the full disk PANICs and the revert says so", func(t *testing.T) {
		f, rev, tg := r.diskFill(t, scenarios.Params{})
		if ev, err := f.Inject(r.Ctx, tg); err != nil {
			t.Fatalf("inject: %v (evidence %q)", err, ev)
		}
		err := c.Exec(r.Ctx, topology.NodePrimary, "CHECKPOINT")
		t.Logf("CHECKPOINT on the full disk: %v", err)
		if err == nil {
			t.Error("CHECKPOINT on a full disk succeeded: Postgres writes a file of its own at every checkpoint")
		}
		// Let the postmaster go through its crash restart (or exit).
		time.Sleep(2 * time.Second)
		rv, err := rev.Revert(r.Ctx, tg)
		if err != nil {
			t.Fatalf("revert: %v (evidence %q)", err, rv)
		}
		t.Logf("revert evidence: %s", rv)
		if !strings.Contains(rv, "a PANIC") || strings.Contains(rv, "ran throughout") {
			t.Errorf("revert evidence %q: want it to say Postgres crashed (a PANIC)", rv)
		}
		if st, _ := r.Env.State(r.Ctx, topology.NodePrimary); !st.Running() {
			if err := r.Env.Start(r.Ctx, topology.NodePrimary); err != nil {
				t.Fatal(err)
			}
		}
		r.waitAnswers(t, topology.NodePrimary)
		if err := r.write("after-panic"); err != nil {
			t.Errorf("a write after the revert and the recovery: %v", err)
		}
		n, err := c.QueryInt(r.Ctx, topology.NodePrimary, "SELECT count(*) FROM disk_itest WHERE tag = 'kept'")
		if err != nil || n != 1 {
			t.Errorf("after the PANIC: %d rows tagged kept, %v", n, err)
		}
	})
}
