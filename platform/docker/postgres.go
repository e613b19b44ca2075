package docker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// hostDSN is a connection string to one node through its published port.
func (e *Env) hostDSN(ctx context.Context, node string) (string, error) {
	ep, err := e.Endpoint(ctx, node, "5432/tcp")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable&connect_timeout=2", pgUser, e.pgPassword, ep, pgDatabase), nil
}

// connect opens one connection to node. Health checks use a fresh
// connection each time, as a real checker would: a pooled connection can
// outlive the server it points at.
func (e *Env) connect(ctx context.Context, node string) (*pgx.Conn, error) {
	dsn, err := e.hostDSN(ctx, node)
	if err != nil {
		return nil, err
	}
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", node, e.redactErr(err))
	}
	return c, nil
}

// waitPostgres waits until node accepts connections; a standby must also be
// in recovery and be streaming from the primary.
func (e *Env) waitPostgres(ctx context.Context, n *Node, standby bool) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var last error
	for {
		last = e.postgresReady(ctx, n.Name, standby)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w%s", n.Name, readyTimeout, last, e.logTail(ctx, n))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (e *Env) postgresReady(ctx context.Context, node string, standby bool) error {
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := e.connect(cctx, node)
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	var inRecovery bool
	if err := c.QueryRow(cctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil {
		return fmt.Errorf("query %s: %w", node, err)
	}
	if inRecovery != standby {
		return fmt.Errorf("%s: in recovery = %v, want %v", node, inRecovery, standby)
	}
	if !standby {
		return nil
	}
	// The replica is ready when the primary sees it streaming.
	p, err := e.connect(cctx, e.Primary())
	if err != nil {
		return err
	}
	defer p.Close(context.WithoutCancel(ctx))
	var streaming int
	if err := p.QueryRow(cctx, "SELECT count(*) FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'", node).Scan(&streaming); err != nil {
		return fmt.Errorf("query replication state: %w", err)
	}
	if streaming == 0 {
		return fmt.Errorf("%s is not streaming from %s yet", node, e.Primary())
	}
	return nil
}

// Primary is the node the environment last recorded as primary (at start,
// pg-primary; after a promotion, the promoted node).
func (e *Env) Primary() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.primary
}

// Check is one health check of a Postgres node: connect and SELECT 1 within
// ctx's deadline.
func (e *Env) Check(ctx context.Context, node string) error {
	c, err := e.connect(ctx, node)
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	var one int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("SELECT 1 on %s: %w", node, err)
	}
	return nil
}

// Fence makes sure node can no longer accept writes: "stop" stops its
// container, "disconnect" cuts it from every network.
func (e *Env) Fence(ctx context.Context, node, method string) error {
	switch method {
	case "", "stop":
		return e.Stop(ctx, node)
	case "disconnect":
		return e.Disconnect(ctx, node)
	default:
		return fmt.Errorf("fence %s: unknown method %q", node, method)
	}
}

// ReceivedLSN is how far a standby has received the primary's WAL, as a
// byte position: the failover manager promotes the most advanced standby.
func (e *Env) ReceivedLSN(ctx context.Context, node string) (uint64, error) {
	c, err := e.connect(ctx, node)
	if err != nil {
		return 0, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	var lsn *int64
	err = c.QueryRow(ctx, `SELECT pg_wal_lsn_diff(COALESCE(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), '0/0')::bigint`).Scan(&lsn)
	if err != nil {
		return 0, fmt.Errorf("read LSN of %s: %w", node, err)
	}
	if lsn == nil {
		return 0, fmt.Errorf("%s is not a standby", node)
	}
	return uint64(*lsn), nil
}

// Promote turns a standby into the primary and waits until it accepts
// writes. The environment then records it as the primary.
func (e *Env) Promote(ctx context.Context, node string) error {
	c, err := e.connect(ctx, node)
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	var ok bool
	if err := c.QueryRow(ctx, "SELECT pg_promote(true, 30)").Scan(&ok); err != nil {
		return fmt.Errorf("promote %s: %w", node, err)
	}
	if !ok {
		return fmt.Errorf("promote %s: pg_promote did not finish within 30s", node)
	}
	e.mu.Lock()
	e.primary = node
	e.mu.Unlock()
	return nil
}

// CurrentPrimary asks every running Postgres node whether it is in recovery
// and returns the first that is not: the ground truth, not bookkeeping. It
// fails when no node is a writable primary.
func (e *Env) CurrentPrimary(ctx context.Context) (string, error) {
	var errs []error
	for _, node := range e.PostgresNodes() {
		if running, err := e.Running(ctx, node); err != nil || !running {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		inRecovery, err := e.inRecovery(cctx, node)
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

func (e *Env) inRecovery(ctx context.Context, node string) (bool, error) {
	c, err := e.connect(ctx, node)
	if err != nil {
		return false, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	var r bool
	if err := c.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&r); err != nil {
		return false, fmt.Errorf("query %s: %w", node, err)
	}
	return r, nil
}

// ReadBack returns the set of write ids stored in the database the app now
// uses (the current writable primary). It reads every row: the table holds
// only this run's writes.
func (e *Env) ReadBack(ctx context.Context) (map[string]bool, string, error) {
	node, err := e.CurrentPrimary(ctx)
	if err != nil {
		return nil, "", err
	}
	c, err := e.connect(ctx, node)
	if err != nil {
		return nil, node, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	rows, err := c.Query(ctx, "SELECT id FROM firedrill_writes")
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
func (e *Env) Exec(ctx context.Context, node, sql string, args ...any) error {
	c, err := e.connect(ctx, node)
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("exec on %s: %w", node, err)
	}
	return nil
}

// QueryInt runs a query returning one integer on node, for tests.
func (e *Env) QueryInt(ctx context.Context, node, sql string, args ...any) (int64, error) {
	c, err := e.connect(ctx, node)
	if err != nil {
		return 0, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	var v int64
	if err := c.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		return 0, fmt.Errorf("query on %s: %w", node, err)
	}
	return v, nil
}
