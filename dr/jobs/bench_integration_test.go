//go:build integration

package jobs_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/dr/jobs"
)

// BenchmarkLogicalBackupRestore sets the jobs beside the bare tools on the
// same database, each timed inside its container (no container start in
// the figures): pg_dump -Fc to /dev/null against `agent backup logical`
// (dump streamed, hashed and uploaded to MinIO), and pg_restore of a local
// file against `agent restore logical` (download, verify, restore,
// amcheck; the job's own amcheck phase is also taken out, to compare the
// same Postgres work: both sides restore in one session, no -j).
// FIREDRILL_BENCH_DB_MB sets the database's size (default 50;
// docs/benchmarks.md uses 1024):
//
//	FIREDRILL_BENCH_DB_MB=1024 flock /tmp/firedrill-docker.lock \
//	  go test -tags integration -run '^$' -bench LogicalBackupRestore -benchtime 1x ./dr/jobs
//
// `make bench-dr` runs it with BenchmarkPhysicalBackupAndReplay at 1024.
func BenchmarkLogicalBackupRestore(b *testing.B) {
	mb := benchDatabaseMB(b)
	r := newRig(b)
	src := r.startPostgres("pg-primary")
	sc := r.conn(src)
	rows := fillBig(b, r.ctx, sc, mb)
	var size int64
	if err := sc.QueryRow(r.ctx, "SELECT pg_database_size(current_database())").Scan(&size); err != nil {
		b.Fatal(err)
	}
	dst := r.startPostgres("pg-restored")
	dc := r.conn(dst)

	var dump, backup, restoreLocal, restoreJob time.Duration
	// What the jobs say of their own phases (their report lines).
	phases := map[string]time.Duration{}
	var dumpBytes int64
	for i := 0; b.Loop(); i++ {
		for _, db := range []string{fmt.Sprintf("warm%d", i), fmt.Sprintf("bare%d", i), fmt.Sprintf("job%d", i)} {
			if _, err := dc.Exec(r.ctx, "CREATE DATABASE "+db); err != nil {
				b.Fatal(err)
			}
		}
		env := jobEnv(&src)
		dump += r.timed(env, `pg_dump -Fc -d "$FIREDRILL_PG_DSN" > /dev/null`, "")
		d, j := r.timedJob(env, binInJob+" agent backup logical", "")
		backup += d
		addPhases(phases, j)
		if res := j.last(); res.Manifest != nil {
			dumpBytes = res.Manifest.Size
		}
		env["DST"] = strings.Replace(dst.inside(), "/app?", fmt.Sprintf("/bare%d?", i), 1)
		// An untimed restore first: a server's first restore creates its
		// WAL files, later ones recycle them, so without it the bare
		// side, which goes first, would pay for what the job does not.
		env["WARM"] = strings.Replace(dst.inside(), "/app?", fmt.Sprintf("/warm%d?", i), 1)
		restoreLocal += r.timed(env, `pg_restore --no-owner --exit-on-error -d "$DST" /tmp/d.pgc`,
			`pg_dump -Fc -d "$FIREDRILL_PG_DSN" -f /tmp/d.pgc
pg_restore --no-owner --exit-on-error -d "$WARM" /tmp/d.pgc`)
		jenv := jobEnv(&dst)
		jenv["FIREDRILL_PG_DSN"] = strings.Replace(dst.inside(), "/app?", fmt.Sprintf("/job%d?", i), 1)
		d, j = r.timedJob(jenv, binInJob+" agent restore logical", "")
		restoreJob += d
		addPhases(phases, j)
	}
	n := time.Duration(b.N)
	b.Logf("database %d MiB (%d rows), dump %d MiB", size>>20, rows, dumpBytes>>20)
	b.Logf("pg_dump -Fc > /dev/null   %v", (dump / n).Round(time.Millisecond))
	b.Logf("agent backup logical      %v  (ratio %.2f)", (backup / n).Round(time.Millisecond), float64(backup)/float64(dump))
	b.Logf("pg_restore local file     %v", (restoreLocal / n).Round(time.Millisecond))
	b.Logf("agent restore logical     %v  (ratio %.2f)", (restoreJob / n).Round(time.Millisecond), float64(restoreJob)/float64(restoreLocal))
	// The restore without its verification by amcheck: the job's whole
	// time less its amcheck phase, the Postgres work pg_restore's alone.
	noAm := restoreJob - phases[jobs.PhaseAmcheck]
	b.Logf("  without amcheck         %v  (ratio %.2f)", (noAm / n).Round(time.Millisecond), float64(noAm)/float64(restoreLocal))
	for _, p := range []string{jobs.PhaseBackup, jobs.PhaseDownload, jobs.PhaseRestore, jobs.PhaseAmcheck} {
		b.Logf("  phase %-17s %v", p, (phases[p] / n).Round(time.Millisecond))
	}
	b.ReportMetric(float64(backup)/float64(dump), "backup/pg_dump")
	b.ReportMetric(float64(restoreJob)/float64(restoreLocal), "restore/pg_restore")
	b.ReportMetric(float64(noAm)/float64(restoreLocal), "restore-no-amcheck/pg_restore")
}

// addPhases adds the durations of j's phase lines to phases.
func addPhases(phases map[string]time.Duration, j jobRun) {
	for _, p := range j.ofType(jobs.TypePhase) {
		phases[p.Phase] += p.End.Sub(p.Start)
	}
}

// timed runs prepare, then cmd in one job and returns how long cmd took,
// measured in the container.
func (r *rig) timed(env map[string]string, cmd, prepare string) time.Duration {
	r.t.Helper()
	d, _ := r.timedJob(env, cmd, prepare)
	return d
}

// timedJob is timed that also returns the job (its report lines).
func (r *rig) timedJob(env map[string]string, cmd, prepare string) (time.Duration, jobRun) {
	r.t.Helper()
	script := "set -e\n" + prepare + "\ns=$(date +%s%N)\n" + cmd + "\ne=$(date +%s%N)\necho \"ELAPSED $((e-s))\"\n"
	j := r.job(env, script)
	for _, l := range strings.Split(j.output, "\n") {
		if v, ok := strings.CutPrefix(l, "ELAPSED "); ok && j.code == 0 {
			ns, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return time.Duration(ns), j
			}
		}
	}
	r.t.Fatalf("timed job failed (exit %d):\n%s", j.code, j.output)
	return 0, j
}
