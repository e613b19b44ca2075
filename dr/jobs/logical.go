package jobs

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill/dr/store"
)

// LogicalBackup is `agent backup logical`: pg_dump -Fc of one database,
// streamed into the store under the snapshot of a transaction the job
// holds open, so that the manifest says exactly which commits the dump
// holds (docs/architecture.md, "Backups and the catalog").
type LogicalBackup struct {
	DSN    string  // the database, as FIREDRILL_PG_DSN
	ID     string  // the backup's id (store.NewID)
	Keep   int     // retention after the backup; 0 keeps everything
	Store  Catalog // where the dump goes
	Out    io.Writer
	Stderr io.Writer // pg_dump's own messages (the container log); nil drops them
	PgDump string    // the pg_dump program; "" is "pg_dump" from PATH
}

// Run takes the backup and writes its report lines, the last a result or
// an error.
func (b LogicalBackup) Run(ctx context.Context) (store.Manifest, error) {
	m, detail, err := b.run(ctx)
	return m, Finish(b.Out, Report{BackupID: b.ID, Manifest: &m, Detail: detail}, err)
}

func (b LogicalBackup) run(ctx context.Context) (store.Manifest, string, error) {
	start := time.Now()
	rest, password, err := SplitPassword(b.DSN)
	if err != nil {
		return store.Manifest{}, "", err
	}
	conn, err := pgx.Connect(ctx, b.DSN)
	if err != nil {
		return store.Manifest{}, "", fmt.Errorf("logical backup: connect: %s", redact(err.Error(), password))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// The snapshot lives as long as this transaction: it stays open until
	// pg_dump has ended.
	if _, err := conn.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return store.Manifest{}, "", fmt.Errorf("logical backup: begin: %w", err)
	}
	var snapshot, lsn, version, database string
	var snapTime time.Time
	// now() is the transaction's start, before its snapshot: every commit
	// before it is in the dump. On a standby the LSN is the replayed one.
	err = conn.QueryRow(ctx, `SELECT pg_export_snapshot(),
		(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text,
		now(), current_setting('server_version'), current_database()`).Scan(&snapshot, &lsn, &snapTime, &version, &database)
	if err != nil {
		return store.Manifest{}, "", fmt.Errorf("logical backup: export snapshot: %w", err)
	}

	dump := &tool{name: b.pgDump(), args: []string{"-Fc", "--snapshot=" + snapshot, "-d", rest}, password: password, stderr: b.Stderr}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := dump.command(ctx)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return store.Manifest{}, "", fmt.Errorf("logical backup: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return store.Manifest{}, "", dump.failed(err)
	}
	waited := false
	body := &exitReader{r: stdout, wait: func() error {
		waited = true
		if err := cmd.Wait(); err != nil {
			return dump.failed(err)
		}
		return nil
	}}
	m, err := b.Store.Put(ctx, store.Manifest{
		ID: b.ID, Kind: store.KindLogical, Database: database, PostgresVersion: version,
		Start: start, SnapshotTime: snapTime, SnapshotLSN: lsn,
	}, body, store.WithFinal(func(m *store.Manifest) error {
		m.End = time.Now()
		return nil
	}))
	if !waited {
		// The upload failed first: stop pg_dump and reap it.
		cancel()
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
	}
	if err != nil {
		return store.Manifest{}, "", fmt.Errorf("logical backup: %w", err)
	}
	phase(b.Out, PhaseBackup, start, m.Size, m.ID, "")
	return m, retain(ctx, b.Store, store.KindLogical, b.Keep), nil
}

func (b LogicalBackup) pgDump() string {
	if b.PgDump != "" {
		return b.PgDump
	}
	return "pg_dump"
}

// LogicalRestore is `agent restore logical`: the newest backup that passes
// verification, pg_restore'd into the (empty) database of DSN, then
// amcheck over its btree indexes.
type LogicalRestore struct {
	DSN       string
	ID        string // restore only this backup; "" the newest valid one
	Jobs      int    // pg_restore -j; 0 or 1 restores in one session
	Store     Catalog
	TmpDir    string // where the dump is downloaded; "" is os.TempDir
	Out       io.Writer
	Stderr    io.Writer
	PgRestore string // "" is "pg_restore" from PATH
}

// Run restores and writes its report lines, the last a result or an error.
func (r LogicalRestore) Run(ctx context.Context) (store.Manifest, *Amcheck, error) {
	m, am, err := r.run(ctx)
	res := Report{BackupID: m.ID, Amcheck: am}
	if err == nil {
		res.Manifest = &m
	}
	return m, am, Finish(r.Out, res, err)
}

func (r LogicalRestore) run(ctx context.Context) (store.Manifest, *Amcheck, error) {
	rest, password, err := SplitPassword(r.DSN)
	if err != nil {
		return store.Manifest{}, nil, err
	}
	m, f, remove, err := FetchNewestValid(ctx, r.Store, store.KindLogical, r.ID, r.TmpDir, r.Out)
	if err != nil {
		return store.Manifest{}, nil, fmt.Errorf("logical restore: %w", err)
	}
	defer remove()
	f.Close() // pg_restore reads it by name

	start := time.Now()
	args := []string{"--no-owner", "--exit-on-error", "-d", rest}
	if r.Jobs > 1 {
		args = append(args, "-j", strconv.Itoa(r.Jobs))
	}
	restore := &tool{name: r.pgRestore(), args: append(args, f.Name()), password: password, stderr: r.Stderr}
	if err := restore.command(ctx).Run(); err != nil {
		return m, nil, fmt.Errorf("logical restore of %s: %w", m.ID, restore.failed(err))
	}
	phase(r.Out, PhaseRestore, start, m.Size, m.ID, "")

	start = time.Now()
	am := CheckIndexes(ctx, r.DSN)
	phase(r.Out, PhaseAmcheck, start, 0, m.ID, amcheckDetail(am))
	return m, am, nil
}

func (r LogicalRestore) pgRestore() string {
	if r.PgRestore != "" {
		return r.PgRestore
	}
	return "pg_restore"
}

// CheckIndexes runs amcheck's bt_index_check (with heapallindexed) over
// every valid btree index of the database of dsn. What fails to run is in
// Error; indexes amcheck finds corrupt are in Corrupt.
func CheckIndexes(ctx context.Context, dsn string) *Amcheck {
	_, password, _ := SplitPassword(dsn)
	am := &Amcheck{}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		am.Error = "connect: " + redact(err.Error(), password)
		return am
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS amcheck"); err != nil {
		am.Error = "create extension amcheck: " + err.Error()
		return am
	}
	rows, err := conn.Query(ctx, `SELECT c.oid, c.oid::regclass::text
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
		WHERE a.amname = 'btree' AND i.indisvalid AND i.indisready AND c.relpersistence <> 't'
		ORDER BY 2`)
	if err != nil {
		am.Error = "list indexes: " + err.Error()
		return am
	}
	type index struct {
		oid  uint32
		name string
	}
	indexes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (index, error) {
		var ix index
		return ix, row.Scan(&ix.oid, &ix.name)
	})
	if err != nil {
		am.Error = "list indexes: " + err.Error()
		return am
	}
	for _, ix := range indexes {
		if ctx.Err() != nil {
			am.Error = "interrupted: " + ctx.Err().Error()
			return am
		}
		if _, err := conn.Exec(ctx, "SELECT bt_index_check($1::oid::regclass, true)", ix.oid); err != nil {
			am.Corrupt = append(am.Corrupt, ix.name+": "+err.Error())
		}
		am.Indexes++
	}
	return am
}

func amcheckDetail(am *Amcheck) string {
	switch {
	case am.Error != "":
		return "amcheck did not run: " + am.Error
	case len(am.Corrupt) > 0:
		return fmt.Sprintf("%d of %d btree indexes corrupt", len(am.Corrupt), am.Indexes)
	}
	return fmt.Sprintf("%d btree indexes clean", am.Indexes)
}
