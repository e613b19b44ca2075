//go:build integration

package jobs_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill/dr/jobs"
)

// redoDone is Postgres 15's line at the end of a recovery's replay, with
// the time the replay took (fetching the archive included).
var redoDone = regexp.MustCompile(`redo done at \S+ system usage: .*elapsed: ([0-9.]+) s`)

// BenchmarkPhysicalBackupAndReplay measures, on a database of
// FIREDRILL_BENCH_DB_MB megabytes (default 50; docs/benchmarks.md uses
// 1024), the base backup's rate beside the bare tool's (each timed inside
// its container: `pg_basebackup -Ft -X none -D - > /dev/null`, the same
// through `gzip -1` (the job compresses at the same level), against
// `agent backup physical`, which gzips and uploads to MinIO), then the
// point-in-time recovery's replay rate: the table is rewritten once after
// the backup (about its size in WAL), archived, and a fresh node restores
// the backup and replays it all; Postgres's own "redo done ... elapsed"
// is the replay's time, wal-fetch of every segment included.
//
//	FIREDRILL_BENCH_DB_MB=1024 flock /tmp/firedrill-docker.lock \
//	  go test -tags integration -run '^$' -bench PhysicalBackupAndReplay -benchtime 1x -timeout 60m ./dr/jobs
func BenchmarkPhysicalBackupAndReplay(b *testing.B) {
	mb := benchDatabaseMB(b)
	r := newRig(b)
	primary, _ := r.startArchivingPrimary("pg-primary")
	conn := r.conn(primary)
	rows := fillBig(b, r.ctx, conn, mb)
	var clusterBytes int64
	if err := conn.QueryRow(r.ctx, "SELECT sum(pg_database_size(oid))::bigint FROM pg_database").Scan(&clusterBytes); err != nil {
		b.Fatal(err)
	}
	waitArchived(b, r.ctx, conn, r.patience)

	var bare, bareGz, job, replay time.Duration
	var walBytes int64
	env := jobEnv(&primary)
	for i := 0; b.Loop(); i++ {
		bare += r.timed(env, `pg_basebackup -d "$FIREDRILL_PG_DSN" -D - -Ft -X none -c fast -w > /dev/null`, "")
		bareGz += r.timed(env, `pg_basebackup -d "$FIREDRILL_PG_DSN" -D - -Ft -X none -c fast -w | gzip -1 > /dev/null`, "")
		job += r.timed(env, binInJob+" agent backup physical", "")
		var startLSN string
		if err := conn.QueryRow(r.ctx, "SELECT pg_current_wal_lsn()::text").Scan(&startLSN); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(r.ctx, "UPDATE big SET body = body || 'y'"); err != nil {
			b.Fatal(err)
		}
		var wal int64
		if err := conn.QueryRow(r.ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint", startLSN).Scan(&wal); err != nil {
			b.Fatal(err)
		}
		waitArchived(b, r.ctx, conn, r.patience)
		walBytes += wal
		got := r.restoreNode(fmt.Sprintf("pg-restored%d", i), jobs.TargetLatest)
		m := redoDone.FindStringSubmatch(got.output)
		if m == nil {
			b.Fatalf("no \"redo done\" line in the restored node's log:\n%s", got.output)
		}
		secs, _ := strconv.ParseFloat(m[1], 64)
		replay += time.Duration(secs * float64(time.Second))
	}
	n := time.Duration(b.N)
	mib := float64(clusterBytes) / (1 << 20)
	walMiB := float64(walBytes) / float64(b.N) / (1 << 20)
	b.Logf("cluster %.0f MiB (%d rows), WAL replayed %.0f MiB (%.0f segments) a restore", mib, rows, walMiB, walMiB/16)
	b.Logf("pg_basebackup > /dev/null   %v  %.1f MiB/s", (bare / n).Round(time.Millisecond), mib/(bare/n).Seconds())
	b.Logf("pg_basebackup | gzip -1     %v  %.1f MiB/s", (bareGz / n).Round(time.Millisecond), mib/(bareGz/n).Seconds())
	b.Logf("agent backup physical       %v  %.1f MiB/s  (ratio %.2f to the bare tool, %.2f to it with gzip -1)",
		(job / n).Round(time.Millisecond), mib/(job/n).Seconds(), float64(job)/float64(bare), float64(job)/float64(bareGz))
	b.Logf("replay from the archive     %v  %.1f MiB/s of WAL, %.1f segments/s", (replay / n).Round(time.Millisecond), walMiB/(replay/n).Seconds(), walMiB/16/(replay/n).Seconds())
	b.ReportMetric(mib/(job/n).Seconds(), "backup-MiB/s")
	b.ReportMetric(float64(job)/float64(bare), "backup/pg_basebackup")
	b.ReportMetric(float64(job)/float64(bareGz), "backup/pg_basebackup+gzip")
	b.ReportMetric(walMiB/(replay/n).Seconds(), "replay-WAL-MiB/s")
}

// benchDatabaseMB is the benchmarks' database size, FIREDRILL_BENCH_DB_MB
// (default 50).
func benchDatabaseMB(b *testing.B) int {
	v := os.Getenv("FIREDRILL_BENCH_DB_MB")
	if v == "" {
		return 50
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("FIREDRILL_BENCH_DB_MB=%q: want a whole number of megabytes", v)
	}
	return n
}

// fillBig creates table big of about mb megabytes and returns its rows.
// It is vacuumed, so that its hint bits are set before anything is timed:
// the first reader of fresh rows would set them (writing every page) and
// be slower than the next.
func fillBig(b *testing.B, ctx context.Context, conn *pgx.Conn, mb int) int {
	// About 200 bytes a row on disk with its index entry.
	rows := mb * 1_000_000 / 200
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE TABLE big (id bigint PRIMARY KEY, body text NOT NULL);
		INSERT INTO big SELECT g, md5(g::text) || repeat('x', 100) FROM generate_series(1, %d) g`, rows)); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE big"); err != nil {
		b.Fatal(err)
	}
	return rows
}
