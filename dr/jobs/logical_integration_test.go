//go:build integration

package jobs_test

import (
	"bufio"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/testcontainers/testcontainers-go"

	"github.com/firedrill/firedrill/dr/jobs"
	"github.com/firedrill/firedrill/dr/store"
)

// seedSQL makes a table with an index and rows; more adds rows after a
// backup, which a restore of that backup must not have.
const (
	seedSQL = `CREATE TABLE orders (id bigserial PRIMARY KEY, customer text NOT NULL, amount numeric(12,2) NOT NULL, note text);
CREATE INDEX orders_customer ON orders (customer);
INSERT INTO orders (customer, amount, note) SELECT 'c' || (g % 97), g * 1.25, repeat('x', g % 50) FROM generate_series(1, 5000) g;`
	moreSQL = `INSERT INTO orders (customer, amount, note) SELECT 'late', 1, 'after' FROM generate_series(1, 10);`
	// digestSQL sums up the table's contents in one value.
	digestSQL = `SELECT count(*)::text || ':' || md5(string_agg(id || '|' || customer || '|' || amount || '|' || coalesce(note, ''), ',' ORDER BY id)) FROM orders`
)

func digest(t *testing.T, c *pgx.Conn) string {
	t.Helper()
	var d string
	if err := c.QueryRow(t.Context(), digestSQL).Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

func exec(t *testing.T, c *pgx.Conn, sql string) {
	t.Helper()
	if _, err := c.Exec(t.Context(), sql); err != nil {
		t.Fatal(err)
	}
}

// listCatalog runs `agent backups list` and decodes its lines.
func listCatalog(t *testing.T, r *rig, args ...string) []jobs.CatalogLine {
	t.Helper()
	j := r.agent(jobEnv(nil), append([]string{"backups", "list"}, args...)...)
	if j.code != 0 {
		t.Fatalf("backups list: exit %d\n%s", j.code, j.output)
	}
	var lines []jobs.CatalogLine
	sc := bufio.NewScanner(strings.NewReader(j.output))
	for sc.Scan() {
		var l jobs.CatalogLine
		if err := json.Unmarshal([]byte(sc.Text()), &l); err == nil && l.ID != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// corrupt flips bytes in the middle of an object, keeping its size.
func corrupt(t *testing.T, r *rig, key string) {
	t.Helper()
	out, err := r.s3.GetObject(r.ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) / 2; i < len(b)/2+64 && i < len(b); i++ {
		b[i] ^= 0x5a
	}
	if _, err := r.s3.PutObject(r.ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(string(b))}); err != nil {
		t.Fatal(err)
	}
}

// The logical backup's life: two backups of a database with rows, the
// catalog, the newest corrupted in the bucket, a restore into a fresh
// server that rejects it and restores the older one (same rows, amcheck
// clean), then retention.
func TestLogicalBackupRestoreAndCatalog(t *testing.T) {
	r := newRig(t)
	src := r.startPostgres("pg-primary")
	sc := r.conn(src)
	exec(t, sc, seedSQL)
	atFirst := digest(t, sc)

	// A DSN to a database that does not exist: the error line carries the
	// server's words, not the password (job checks every output).
	bad := jobEnv(&src)
	bad["FIREDRILL_PG_DSN"] = strings.Replace(src.inside(), "/app?", "/nosuchdb?", 1)
	failed := r.agent(bad, "backup", "logical")
	if failed.code == 0 || failed.last().Type != jobs.TypeError || !strings.Contains(failed.last().Detail, "nosuchdb") {
		t.Fatalf("a backup of a missing database: exit %d, last %+v\n%s", failed.code, failed.last(), failed.output)
	}

	id1 := store.NewID(time.Now())
	first := mustResult(t, r.agent(jobEnv(&src), "backup", "logical", "--id", id1))
	m1 := first.Manifest
	if m1.ID != id1 || m1.Object != "logical/"+id1+"/dump.pgc" || m1.Size == 0 || len(m1.SHA256) != 64 ||
		m1.Database != pgDatabase || m1.SnapshotLSN == "" || m1.SnapshotTime.IsZero() || m1.PostgresVersion == "" {
		t.Fatalf("manifest of the first backup: %+v", m1)
	}
	exec(t, sc, moreSQL)
	second := mustResult(t, r.agent(jobEnv(&src), "backup", "logical"))
	id2 := second.Manifest.ID
	if id2 <= id1 {
		t.Fatalf("second id %s does not sort after %s", id2, id1)
	}

	cat := listCatalog(t, r, "--kind", "logical")
	if len(cat) != 2 || cat[0].ID != id2 || cat[1].ID != id1 || cat[1].Manifest == nil ||
		cat[1].Manifest.Size != m1.Size || cat[1].Manifest.SHA256 != m1.SHA256 {
		t.Fatalf("catalog after two backups: %+v", cat)
	}

	corrupt(t, r, second.Manifest.Object)
	verified := listCatalog(t, r, "--kind", "logical", "--verify")
	if len(verified) != 2 || !strings.HasPrefix(verified[0].Verified, "corrupt") || verified[1].Verified != "ok" {
		t.Fatalf("catalog --verify after the corruption: %+v", verified)
	}

	dst := r.startPostgres("pg-restored")
	restored := r.agent(jobEnv(&dst), "restore", "logical", "--jobs", "2")
	res := mustResult(t, restored)
	rejected := restored.ofType(jobs.TypeRejected)
	if len(rejected) != 1 || rejected[0].BackupID != id2 || !strings.Contains(rejected[0].Detail, "sha256") {
		t.Fatalf("rejected lines: %+v\n%s", rejected, restored.output)
	}
	if res.Manifest.ID != id1 || res.BackupID != id1 {
		t.Fatalf("restored %+v, want the older valid backup %s", res.Manifest, id1)
	}
	if res.Amcheck == nil || res.Amcheck.Indexes < 2 || len(res.Amcheck.Corrupt) > 0 || res.Amcheck.Error != "" {
		t.Fatalf("amcheck: %+v", res.Amcheck)
	}
	var phases []string
	for _, p := range restored.ofType(jobs.TypePhase) {
		phases = append(phases, p.Phase)
	}
	if !slices.Equal(phases, []string{jobs.PhaseDownload, jobs.PhaseRestore, jobs.PhaseAmcheck}) {
		t.Fatalf("phases %v", phases)
	}
	if got := digest(t, r.conn(dst)); got != atFirst {
		t.Fatalf("restored rows %s, want those of the first backup %s", got, atFirst)
	}

	// The restore as a fresh container's initdb.d script runs on the
	// entrypoint's temporary server, over its unix socket.
	script := "#!/bin/sh\nset -e\n" + binInJob + " agent restore logical --dsn-socket\n"
	fresh := r.startPostgres("pg-fresh",
		testcontainers.WithEnv(jobEnv(nil)),
		testcontainers.WithFiles(
			testcontainers.ContainerFile{HostFilePath: firedrillBin, ContainerFilePath: binInJob, FileMode: 0o755},
			testcontainers.ContainerFile{Reader: strings.NewReader(script), ContainerFilePath: "/docker-entrypoint-initdb.d/50-restore.sh", FileMode: 0o755}))
	if got := digest(t, r.conn(fresh)); got != atFirst {
		t.Fatalf("rows restored by the initdb.d script %s, want %s", got, atFirst)
	}
	var initRes jobs.Report
	logs, err := fresh.ctr.Logs(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	sc2 := bufio.NewScanner(logs)
	for sc2.Scan() {
		if rep, ok := jobs.Parse(sc2.Text()); ok {
			initRes = rep
		}
	}
	logs.Close()
	if initRes.Type != jobs.TypeResult || initRes.BackupID != id1 || initRes.Amcheck == nil || len(initRes.Amcheck.Corrupt) > 0 {
		t.Fatalf("the initdb.d restore's last report: %+v", initRes)
	}

	// Retention: an orphan older than everything (a failed job's object
	// without manifest) and a third backup with --keep 2 leave the two
	// newest.
	orphan := store.Key(store.KindLogical, "20000101T000000.000Z", "dump.pgc")
	if _, err := r.s3.PutObject(r.ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(orphan), Body: strings.NewReader("half")}); err != nil {
		t.Fatal(err)
	}
	third := mustResult(t, r.agent(jobEnv(&src), "backup", "logical", "--keep", "2"))
	if !strings.Contains(third.Detail, id1) {
		t.Errorf("retention detail %q does not name %s", third.Detail, id1)
	}
	var ids []string
	for _, l := range listCatalog(t, r, "--kind", "logical") {
		ids = append(ids, l.ID)
	}
	if want := []string{third.Manifest.ID, id2}; !slices.Equal(ids, want) {
		t.Fatalf("after retention the catalog is %v, want %v", ids, want)
	}
}
