package postgres

import (
	"context"
	"fmt"
	"time"
)

// What the DR engine asks of a node beyond health and roles: a statement
// run for a fault (its command tag is the evidence), and a point-in-time
// restore's recovery point.

// Run runs one SQL statement on node in a transaction of its own and
// returns the server's command tag ("DROP TABLE", "SELECT 1").
func (c *Cluster) Run(ctx context.Context, node, sql string) (string, error) {
	conn, err := c.connect(ctx, node)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tag, err := conn.Exec(ctx, sql)
	if err != nil {
		return "", fmt.Errorf("run on %s: %w", node, c.redact(err))
	}
	return tag.String(), nil
}

// ReplayedUntil is the commit time of the last transaction node replayed
// from WAL (pg_last_xact_replay_timestamp, kept after a promotion until
// the server restarts): how far a point-in-time restore recovered. Zero
// when it replayed none.
func (c *Cluster) ReplayedUntil(ctx context.Context, node string) (time.Time, error) {
	conn, err := c.connect(ctx, node)
	if err != nil {
		return time.Time{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var t *time.Time
	if err := conn.QueryRow(ctx, "SELECT pg_last_xact_replay_timestamp()").Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("read the replay point of %s: %w", node, c.redact(err))
	}
	if t == nil {
		return time.Time{}, nil
	}
	return *t, nil
}
