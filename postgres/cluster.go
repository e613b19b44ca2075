package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/topology"
)

// Credentials are a run's Postgres login. The password is generated per
// run and must never be printed.
type Credentials struct {
	User, Password, Database string
}

// Fencing methods, as the scenario names them.
const (
	FenceStop       = "stop"
	FenceDisconnect = "disconnect"
)

// fenceGrace is how long a fenced primary gets to shut down: fencing must
// be quick, and Postgres's fast shutdown needs well under a second.
const fenceGrace = time.Second

// Cluster is the drill's Postgres cluster, reached through rt.
type Cluster struct {
	rt   platform.Runtime
	topo *topology.Topology
	cred Credentials

	mu     sync.Mutex
	fenced map[string]string // node -> method, set by Fence
	// standbyNames are the application_name of the standbys whose stack
	// does not name them after their node (pg_auto_failover), by node;
	// a node not in it is named after itself.
	standbyNames map[string]string
}

// SetStandbyName records the application_name a node's stack gives it as
// a standby, which pg_stat_replication shows.
func (c *Cluster) SetStandbyName(node, applicationName string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.standbyNames == nil {
		c.standbyNames = map[string]string{}
	}
	c.standbyNames[node] = applicationName
}

// standbyName is node's application_name as a standby.
func (c *Cluster) standbyName(node string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.standbyNames[node]; ok {
		return n
	}
	return node
}

// nodeOfStandby is the node whose application_name is name.
func (c *Cluster) nodeOfStandby(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for node, n := range c.standbyNames {
		if n == name {
			return node
		}
	}
	return name
}

// New returns the cluster of topo's Postgres nodes.
func New(rt platform.Runtime, topo *topology.Topology, cred Credentials) *Cluster {
	return &Cluster{rt: rt, topo: topo, cred: cred, fenced: map[string]string{}}
}

// DSN is a connection string to one node, through the runtime's endpoint.
func (c *Cluster) DSN(ctx context.Context, node string) (string, error) {
	ep, err := c.rt.Endpoint(ctx, node, topology.PortPostgres)
	if err != nil {
		return "", err
	}
	return c.dsnAt(ep), nil
}

// connect opens one connection to node. Health checks use a fresh
// connection each time, as a real checker would: a pooled connection can
// outlive the server it points at.
func (c *Cluster) connect(ctx context.Context, node string) (*pgx.Conn, error) {
	dsn, err := c.DSN(ctx, node)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", node, c.redact(err))
	}
	return conn, nil
}

// redact removes the password from an error that may quote a DSN.
func (c *Cluster) redact(err error) error { return redactPassword(err, c.cred.Password) }

type redacted struct {
	msg string
	err error
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return r.err }

// Check is one health check of a node from the harness, through its
// endpoint: CheckDSN within ctx's deadline.
func (c *Cluster) Check(ctx context.Context, node string) error {
	dsn, err := c.DSN(ctx, node)
	if err != nil {
		return err
	}
	if err := CheckDSN(ctx, dsn); err != nil {
		return fmt.Errorf("health check of %s: %w", node, err)
	}
	return nil
}

// Fence makes sure node can no longer accept writes: "stop" stops it,
// "disconnect" cuts it off every network. A fenced node stays fenced: a
// fault's revert must not bring it back as a second primary (Fenced).
func (c *Cluster) Fence(ctx context.Context, node, method string) error {
	if method == "" {
		method = FenceStop
	}
	c.mu.Lock()
	c.fenced[node] = method
	c.mu.Unlock()
	switch method {
	case FenceStop:
		if err := c.rt.Stop(ctx, node, fenceGrace); err != nil {
			return fmt.Errorf("fence %s: %w", node, err)
		}
		return nil
	case FenceDisconnect:
		nets, err := c.rt.Networks(ctx, node)
		if err != nil {
			return fmt.Errorf("fence %s: %w", node, err)
		}
		var errs []error
		for _, n := range nets {
			if err := c.rt.Disconnect(ctx, node, n); err != nil {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("fence %s: %w", node, err)
		}
		return nil
	default:
		return fmt.Errorf("fence %s: unknown method %q", node, method)
	}
}

// Unfence forgets that node was fenced: the runtime replaced it with a
// fresh node (docs/architecture.md, "Replacing a lost node"), and the
// fenced server is gone.
func (c *Cluster) Unfence(node string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.fenced, node)
}

// Fenced reports whether the failover manager fenced node, and how.
func (c *Cluster) Fenced(node string) (method string, fenced bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	method, fenced = c.fenced[node]
	return method, fenced
}

// ReceivedLSN is how far a standby has received the primary's WAL, as a
// byte position: the failover manager promotes the most advanced standby.
func (c *Cluster) ReceivedLSN(ctx context.Context, node string) (uint64, error) {
	conn, err := c.connect(ctx, node)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var lsn *int64
	err = conn.QueryRow(ctx, `SELECT pg_wal_lsn_diff(COALESCE(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), '0/0')::bigint`).Scan(&lsn)
	if err != nil {
		return 0, fmt.Errorf("read LSN of %s: %w", node, err)
	}
	if lsn == nil {
		return 0, fmt.Errorf("%s is not a standby", node)
	}
	return uint64(*lsn), nil
}

// Promote turns a standby into the primary and waits until it accepts
// writes.
func (c *Cluster) Promote(ctx context.Context, node string) error {
	conn, err := c.connect(ctx, node)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_promote(true, 30)").Scan(&ok); err != nil {
		return fmt.Errorf("promote %s: %w", node, err)
	}
	if !ok {
		return fmt.Errorf("promote %s: pg_promote did not finish within 30s", node)
	}
	return nil
}

// Running reports whether a node runs (a paused node does not).
func (c *Cluster) Running(ctx context.Context, node string) (bool, error) {
	st, err := c.rt.State(ctx, node)
	if err != nil {
		return false, err
	}
	return st.Running(), nil
}

// Primary asks every running Postgres node whether it is in recovery and
// returns the first that is not: the ground truth, not bookkeeping. It
// fails when no node is a writable primary.
func (c *Cluster) Primary(ctx context.Context) (string, error) {
	var errs []error
	for _, node := range c.topo.Postgres() {
		if running, err := c.Running(ctx, node); err != nil || !running {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		inRecovery, err := c.InRecovery(cctx, node)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !inRecovery {
			return node, nil
		}
	}
	if len(errs) == 0 {
		return "", errors.New("no Postgres node is a writable primary (every running node is a standby, or none is running)")
	}
	return "", fmt.Errorf("no Postgres node is a writable primary: %w", errors.Join(errs...))
}

// InRecovery reports whether node is a standby.
func (c *Cluster) InRecovery(ctx context.Context, node string) (bool, error) {
	conn, err := c.connect(ctx, node)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var r bool
	if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&r); err != nil {
		return false, fmt.Errorf("query %s: %w", node, err)
	}
	return r, nil
}

// Streaming reports whether standby streams from primary, as the primary
// sees it.
func (c *Cluster) Streaming(ctx context.Context, primary, standby string) (bool, error) {
	n, err := c.QueryInt(ctx, primary, "SELECT count(*) FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'", c.standbyName(standby))
	return n > 0, err
}

// ReadBack returns the set of write ids stored in the database the app now
// uses (the current writable primary), and that node. It reads every row:
// the table holds only this run's writes.
func (c *Cluster) ReadBack(ctx context.Context) (map[string]bool, string, error) {
	node, err := c.Primary(ctx)
	if err != nil {
		return nil, "", err
	}
	conn, err := c.connect(ctx, node)
	if err != nil {
		return nil, node, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, "SELECT id FROM firedrill_writes")
	if err != nil {
		return nil, node, fmt.Errorf("read back writes from %s: %w", node, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, node, fmt.Errorf("read back writes from %s: %w", node, err)
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, node, nil
}

// Exec runs one SQL statement on node, for tests and recovery plans.
func (c *Cluster) Exec(ctx context.Context, node, sql string, args ...any) error {
	conn, err := c.connect(ctx, node)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("exec on %s: %w", node, err)
	}
	return nil
}

// QueryInt runs a query returning one integer on node.
func (c *Cluster) QueryInt(ctx context.Context, node, sql string, args ...any) (int64, error) {
	conn, err := c.connect(ctx, node)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var v int64
	if err := conn.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		return 0, fmt.Errorf("query on %s: %w", node, err)
	}
	return v, nil
}

// WaitReady waits until node accepts connections; a standby must also be
// in recovery and stream from primary. It polls until ctx ends.
func (c *Cluster) WaitReady(ctx context.Context, node string, standby bool, primary string) error {
	var last error
	for {
		last = c.ready(ctx, node, standby, primary)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return last
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (c *Cluster) ready(ctx context.Context, node string, standby bool, primary string) error {
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	inRecovery, err := c.InRecovery(cctx, node)
	if err != nil {
		return err
	}
	if inRecovery != standby {
		return fmt.Errorf("%s: in recovery = %v, want %v", node, inRecovery, standby)
	}
	if !standby {
		return nil
	}
	ok, err := c.Streaming(cctx, primary, node)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s is not streaming from %s yet", node, primary)
	}
	return nil
}

var (
	_ dr.Cluster         = (*Cluster)(nil)
	_ topology.State     = (*Cluster)(nil)
	_ firedrill.Verifier = (*Cluster)(nil)
)
