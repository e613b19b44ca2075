//go:build integration

package jobs_test

// Two clusters archiving into one bucket, on real containers: a primary
// with a physical backup, and a second, fresh primary, another cluster as
// a node restored from a logical backup is (a new initdb: a new system
// identifier, timeline 1 again, the same segment names). Each archives
// under its own system identifier, so neither refuses the other's
// segments, and WAL retention after a backup deletes only the WAL of the
// backup's own cluster that no kept backup needs (docs/architecture.md,
// "WAL archiving and point-in-time recovery").

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill/dr/jobs/pgwal"
	"github.com/firedrill/firedrill/dr/store"
)

// systemID is the server's cluster system identifier, in decimal.
func systemID(t testing.TB, ctx context.Context, conn *pgx.Conn) string {
	t.Helper()
	var id string
	if err := conn.QueryRow(ctx, "SELECT system_identifier::text FROM pg_control_system()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// archiveFailures is the server's pg_stat_archiver.failed_count and
// last_failed_wal.
func archiveFailures(t testing.TB, ctx context.Context, conn *pgx.Conn) (int64, string) {
	t.Helper()
	var n int64
	var last *string
	if err := conn.QueryRow(ctx, "SELECT failed_count, last_failed_wal FROM pg_stat_archiver").Scan(&n, &last); err != nil {
		t.Fatal(err)
	}
	if last == nil {
		return n, ""
	}
	return n, *last
}

// waitArchivedClean is waitArchived that fails as soon as the archiver has
// failed even once; it returns the segment it waited for.
func waitArchivedClean(t testing.TB, r *rig, conn *pgx.Conn) string {
	t.Helper()
	var seg string
	if err := conn.QueryRow(r.ctx, "SELECT pg_walfile_name(pg_current_wal_insert_lsn())").Scan(&seg); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(r.ctx, "SELECT pg_switch_wal()"); err != nil {
		t.Fatal(err)
	}
	waitWithin(t, r.patience, "segment "+seg+" archived", func() bool {
		if n, last := archiveFailures(t, r.ctx, conn); n > 0 {
			t.Fatalf("archiving failed %d times, the last at %s", n, last)
		}
		var last *string
		err := conn.QueryRow(r.ctx, "SELECT last_archived_wal FROM pg_stat_archiver").Scan(&last)
		return err == nil && last != nil && len(*last) >= 24 && (*last)[:24] >= seg
	})
	return seg
}

func TestWALArchiveOfTwoClusters(t *testing.T) {
	r := newRig(t)
	ctx := r.ctx
	first, _ := r.startArchivingPrimary("pg-first")
	c1 := r.conn(first)
	sys1 := systemID(t, ctx, c1)
	exec(t, c1, "CREATE TABLE t (id int PRIMARY KEY)")
	insert(t, ctx, c1, 1, 100)
	b1 := r.physicalBackup(first)
	if b1.SystemID != sys1 {
		t.Fatalf("the backup's manifest names system %q, the server is %s", b1.SystemID, sys1)
	}
	insert(t, ctx, c1, 101, 200)
	var target time.Time
	if err := c1.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&target); err != nil {
		t.Fatal(err)
	}
	insert(t, ctx, c1, 201, 210)
	waitArchivedClean(t, r, c1)

	second, _ := r.startArchivingPrimary("pg-second")
	c2 := r.conn(second)
	sys2 := systemID(t, ctx, c2)
	if sys2 == sys1 {
		t.Fatalf("two initdb's made one system identifier %s", sys1)
	}
	var last2 string
	for i := range 3 {
		exec(t, c2, fmt.Sprintf("CREATE TABLE s%d AS SELECT generate_series(1, 1000) AS v", i))
		last2 = waitArchivedClean(t, r, c2)
	}

	t.Run("each cluster's segments are under its own system identifier", func(t *testing.T) {
		names1, err1 := r.store.ListWAL(ctx, sys1)
		names2, err2 := r.store.ListWAL(ctx, sys2)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !slices.Contains(names2, last2) {
			t.Errorf("the second cluster's %s is not in its archive: %q", last2, names2)
		}
		if _, err := r.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("wal/" + sys2 + "/" + last2 + ".gz")}); err != nil {
			t.Errorf("key of the bucket layout: %v", err)
		}
		// The collision is real: both hold the first segment of timeline
		// 1, each its own.
		const shared = "000000010000000000000001"
		var a, b bytes.Buffer
		if err := r.store.GetWAL(ctx, sys1, shared, &a); err != nil {
			t.Fatalf("%s of the first cluster: %v (archive %q)", shared, err, names1)
		}
		if err := r.store.GetWAL(ctx, sys2, shared, &b); err != nil {
			t.Fatalf("%s of the second cluster: %v (archive %q)", shared, err, names2)
		}
		if bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("the two clusters' %s are the same bytes", shared)
		}
	})

	t.Run("point-in-time restore of the first cluster's backup", func(t *testing.T) {
		got := r.restoreNode("pg-pitr", "time:"+target.Format(time.RFC3339Nano))
		if m := got.reports[len(got.reports)-1].Manifest; m == nil || m.ID != b1.ID {
			t.Errorf("restored %+v, want %s", m, b1.ID)
		}
		c := r.conn(got.pg)
		if have, _ := ids(t, ctx, c); !slices.Equal(have, seq(1, 200)) {
			t.Errorf("%d rows, want rows 1-200", len(have))
		}
		if id := systemID(t, ctx, c); id != sys1 {
			t.Errorf("the restored node is system %s, want %s", id, sys1)
		}
		// It archives its new timeline into its cluster's archive.
		waitArchivedClean(t, r, c)
		waitFor(t, "the restored node's timeline history", func() bool {
			names, err := r.store.ListWAL(ctx, sys1)
			return err == nil && slices.Contains(names, "00000002.history")
		})
		// Stopped, so that nothing it archives later lands below the
		// retention's line after the retention.
		if err := got.pg.ctr.Stop(ctx, nil); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("retention deletes the WAL no kept backup needs, of the backup's cluster only", func(t *testing.T) {
		before2, err := r.store.ListWAL(ctx, sys2)
		if err != nil {
			t.Fatal(err)
		}
		res := mustResult(t, r.agent(jobEnv(&first), "backup", "physical", "--keep", "1"))
		b2 := *res.Manifest
		if !strings.Contains(res.Detail, "deleted "+b1.ID) || !strings.Contains(res.Detail, "WAL of system "+sys1+": deleted") {
			t.Errorf("result detail %q", res.Detail)
		}
		entries, err := r.store.List(ctx, store.KindPhysical)
		if err != nil || len(entries) != 1 || entries[0].ID != b2.ID {
			t.Errorf("catalog after keep 1: %+v, %v", entries, err)
		}
		start, err := pgwal.ParseLSN(b2.SnapshotLSN)
		if err != nil {
			t.Fatal(err)
		}
		from := pgwal.SegmentName(1, start, pgwal.DefaultSegmentSize)[8:]
		names1, err := r.store.ListWAL(ctx, sys1)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names1 {
			if f, err := pgwal.ParseName(n); err == nil && f.Kind != pgwal.History && n[8:24] < from {
				t.Errorf("%s is below the kept backup's start segment %s and stays", n, from)
			}
		}
		if !slices.Contains(names1, "00000002.history") || !slices.Contains(names1, pgwal.SegmentName(1, start, pgwal.DefaultSegmentSize)) {
			t.Errorf("the first cluster's archive lost what the kept backup needs: %q", names1)
		}
		after2, err := r.store.ListWAL(ctx, sys2)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range before2 {
			if !slices.Contains(after2, n) {
				t.Errorf("the second cluster's %s was deleted by the first's retention", n)
			}
		}
	})

	if n, last := archiveFailures(t, ctx, c2); n != 0 {
		t.Errorf("the second cluster's archiving failed %d times, the last at %s", n, last)
	}
	if n, last := archiveFailures(t, ctx, c1); n != 0 {
		t.Errorf("the first cluster's archiving failed %d times, the last at %s", n, last)
	}
}
