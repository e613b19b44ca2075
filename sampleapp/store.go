package sampleapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Table is the table the app writes to; the harness reads it back to find
// lost writes. Columns: id (the probe's op id), written_at, node (the name
// of the server that committed the row, nodeSQL).
const Table = "firedrill_writes"

// nodeSQL names the server a statement runs on: its firedrill.node
// setting, which every Postgres node of a drill carries with its node
// name, else its cluster_name (a server started by hand). cluster_name
// alone is not enough: Patroni sets it to its cluster's scope on every
// member (docs/architecture.md, "Which server acknowledged a write").
const nodeSQL = `COALESCE(current_setting('` + NodeSetting + `', true), current_setting('cluster_name'))`

// NodeSetting is the server setting that carries a Postgres node's name,
// which the runtime starts every node with.
const NodeSetting = "firedrill.node"

// SchemaSQL creates Table: node names the server that committed a row.
const SchemaSQL = `CREATE TABLE IF NOT EXISTS firedrill_writes (
	id text PRIMARY KEY,
	written_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	node text NOT NULL DEFAULT ` + nodeSQL + `
)`

const (
	insertSQL = `INSERT INTO firedrill_writes (id) VALUES ($1) RETURNING node`
	// insertStmt is insertSQL's name as a prepared statement on each write
	// connection: parsed and planned once per connection, not per write.
	insertStmt = "firedrill_insert"
	selectSQL  = `SELECT id, node, written_at, ` + nodeSQL + ` FROM firedrill_writes WHERE id = $1`
	pingSQL    = `SELECT ` + nodeSQL
)

// Pool settings (DSN parameters pool_* still win where noted).
//
// The pool's size follows from the rate it must carry: a write holds a
// connection for one commit, so rate × commit time connections are busy —
// at 2000 writes/s with ~1 ms commits, 2. defaultMaxConns = 16 lets a
// commit become 8 times slower at that rate before a request waits for a
// connection, while bounding what the app puts on a 2-core Postgres: past a
// few concurrent inserts more backends only contend, and after a failover
// every missing connection is dialed, authenticated and prepared on the new
// primary at once (docs/benchmarks.md, "Probe and app at 200, 1000, 2000
// writes/s").
const (
	defaultMaxConns       = 16              // unless pool_max_conns is given
	defaultConnectTimeout = 2 * time.Second // per host, unless connect_timeout is given
	healthCheckPeriod     = time.Second
	pingTimeout           = time.Second
	lookupTimeout         = 250 * time.Millisecond
)

// record is one row as GET /records/{id} returns it.
type record struct {
	ID        string    `json:"id"`
	Node      string    `json:"node"`
	WrittenAt time.Time `json:"written_at"`
	ServedBy  string    `json:"served_by"`
}

var errNotFound = errors.New("record not found")

// store is what the handlers need from the database; tests use a fake.
type store interface {
	ensureSchema(ctx context.Context) error
	insert(ctx context.Context, id string) (node string, err error)
	get(ctx context.Context, id string) (record, error)
	ping(ctx context.Context) (node string, err error)
}

// pgStore is the store backed by two pgx pools.
type pgStore struct {
	write *pgxpool.Pool
	read  *pgxpool.Pool // == write when no read DSN is configured
}

// newPGStore builds the pools. pgxpool connects lazily: no server needs to be
// up yet.
func newPGStore(ctx context.Context, writeDSN, readDSN string) (*pgStore, error) {
	wcfg, err := poolConfig(writeDSN)
	if err != nil {
		return nil, fmt.Errorf("write DSN: %w", err)
	}
	write, err := pgxpool.NewWithConfig(ctx, wcfg)
	if err != nil {
		return nil, fmt.Errorf("write pool: %w", err)
	}
	s := &pgStore{write: write, read: write}
	if readDSN != "" {
		rcfg, err := poolConfig(readDSN)
		if err != nil {
			write.Close()
			return nil, fmt.Errorf("read DSN: %w", err)
		}
		if s.read, err = pgxpool.NewWithConfig(ctx, rcfg); err != nil {
			write.Close()
			return nil, fmt.Errorf("read pool: %w", err)
		}
	}
	return s, nil
}

// poolConfig parses a DSN and tunes the pool for a failover drill. pgx does
// the multi-host selection and checks target_session_attrs, but only when it
// connects; so connections that broke are never handed out again (pgxpool
// destroys closed connections on release, and prepareConn looks at every
// connection's socket before handing it out), the background health check
// runs every second, and a connection that finds its server turned standby
// is closed by insert.
func poolConfig(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, redactParseError(err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	// A host whose name no longer resolves (a killed primary's container
	// leaves the network's DNS) must cost little: pgx tries the hosts in
	// order, and every new connection after a failover looks the dead one
	// up first. The run's names are answered locally at once; a lookup
	// that takes longer is for a name that is gone.
	cfg.ConnConfig.LookupFunc = func(ctx context.Context, host string) ([]string, error) {
		lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
		defer cancel()
		return net.DefaultResolver.LookupHost(lctx, host)
	}
	// Bounded dials, TCP_USER_TIMEOUT and keepalives, for servers that go
	// silent behind a partition (dial.go).
	cfg.ConnConfig.DialFunc = newDialer().DialContext
	cfg.HealthCheckPeriod = healthCheckPeriod
	cfg.PingTimeout = pingTimeout
	// A connection to a server that was killed or fenced is found dead
	// before the INSERT is sent on it (prepareConn: a peek at the socket,
	// not a round trip); ShouldPing stays pgxpool's default (ping what has
	// been idle for over a second).
	cfg.PrepareConn = prepareConn
	// Statements other than the insert (the schema, reads, the health
	// check) are rare: one round trip each, no statement cache to rebuild
	// after a failover. The insert is prepared (insert).
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	return cfg, nil
}

// redactParseError drops the connection string from a parse error: pgx masks
// passwords only on a best-effort basis.
func redactParseError(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		if inner := pe.Unwrap(); inner != nil {
			return fmt.Errorf("invalid connection string: %w", inner)
		}
		return errors.New("invalid connection string")
	}
	return fmt.Errorf("invalid connection string: %w", err)
}

// describeDSN summarises a DSN for logs without credentials: the host list,
// database and target_session_attrs.
func describeDSN(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "unparsable"
	}
	hosts := []string{hostPort(cfg.Host, cfg.Port)}
	for _, fb := range cfg.Fallbacks {
		hp := hostPort(fb.Host, fb.Port)
		if hp != hosts[len(hosts)-1] {
			hosts = append(hosts, hp)
		}
	}
	s := "hosts=" + strings.Join(hosts, ",") + " database=" + cfg.Database
	if m := tsaPattern.FindStringSubmatch(dsn); m != nil {
		s += " target_session_attrs=" + m[1]
	}
	return s
}

var tsaPattern = regexp.MustCompile(`target_session_attrs=([a-z-]+)`)

func hostPort(host string, port uint16) string {
	if strings.HasPrefix(host, "/") { // unix socket directory
		return host
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(int(port))
}

func (s *pgStore) close() {
	if s.read != s.write {
		s.read.Close()
	}
	s.write.Close()
}

func (s *pgStore) ensureSchema(ctx context.Context) error {
	if _, err := s.write.Exec(ctx, SchemaSQL); err != nil {
		return fmt.Errorf("create table %s: %w", Table, err)
	}
	return nil
}

// insert writes one row in autocommit and returns once the commit is
// acknowledged, with the name (nodeSQL) of the server that committed it.
// Errors from acquiring a connection, or from preparing the insert on it
// (the first write on each connection), are wrapped in *acquireError: the
// INSERT itself was not sent.
func (s *pgStore) insert(ctx context.Context, id string) (string, error) {
	c, err := s.write.Acquire(ctx)
	if err != nil {
		return "", &acquireError{err: err}
	}
	defer c.Release()
	// Prepared here rather than in AfterConnect: a connection can be made
	// before the table exists (the schema is created through this pool).
	// pgx keeps it per connection; later calls are a map lookup.
	if _, err := c.Conn().Prepare(ctx, insertStmt, insertSQL); err != nil {
		return "", &acquireError{step: "prepare insert", err: err}
	}
	var node string
	err = c.QueryRow(ctx, insertStmt, id).Scan(&node)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == sqlStateReadOnlySQLTrans {
			// The server was a primary when this connection was made and is
			// a standby now. pgx checks target_session_attrs only when it
			// connects: close the connection so the pool dials again.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			_ = c.Conn().Close(cctx)
			cancel()
		}
		return "", err
	}
	return node, nil
}

func (s *pgStore) get(ctx context.Context, id string) (record, error) {
	if s.read == s.write {
		return getFrom(ctx, s.write, id)
	}
	return readWithFallback(ctx,
		func(ctx context.Context) (record, error) { return getFrom(ctx, s.read, id) },
		func(ctx context.Context) (record, error) { return getFrom(ctx, s.write, id) })
}

func getFrom(ctx context.Context, pool *pgxpool.Pool, id string) (record, error) {
	var r record
	err := pool.QueryRow(ctx, selectSQL, id).Scan(&r.ID, &r.Node, &r.WrittenAt, &r.ServedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return record{}, errNotFound
	}
	if err != nil {
		return record{}, err
	}
	return r, nil
}

// readWithFallback reads from the read pool first (given at most half of the
// remaining time) and from the write pool when that fails or does not have
// the row: a lagging replica must not turn a committed write into a 404. The
// answer is errNotFound only when the write pool says so.
func readWithFallback(ctx context.Context, first, second func(context.Context) (record, error)) (record, error) {
	fctx, cancel := ctx, context.CancelFunc(func() {})
	if dl, ok := ctx.Deadline(); ok {
		fctx, cancel = context.WithTimeout(ctx, time.Until(dl)/2)
	}
	r, err := first(fctx)
	cancel()
	if err == nil {
		return r, nil
	}
	r, err2 := second(ctx)
	if err2 == nil {
		return r, nil
	}
	if errors.Is(err2, errNotFound) {
		return record{}, errNotFound
	}
	return record{}, fmt.Errorf("read pool: %v; write pool: %w", err, err2)
}

func (s *pgStore) ping(ctx context.Context) (string, error) {
	var node string
	if err := s.write.QueryRow(ctx, pingSQL).Scan(&node); err != nil {
		return "", err
	}
	return node, nil
}
