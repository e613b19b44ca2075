package postgres

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr"
)

// lagQuery reads every standby's position from the primary: unflushed and
// unreplayed WAL in bytes (null while a standby has not reported a
// position), Postgres's own flush and replay lag in milliseconds (null on
// an idle link). pg_current_wal_lsn fails on a standby: a node that is no
// longer the primary cannot answer it.
const lagQuery = `SELECT application_name, state,
  pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::bigint,
  pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,
  (EXTRACT(epoch FROM flush_lag) * 1000)::float8,
  (EXTRACT(epoch FROM replay_lag) * 1000)::float8
FROM pg_stat_replication`

// LagReader reads replication lag from whichever node is the primary, on
// one connection it keeps (a reading every few hundred milliseconds must
// not cost a login each time), found again whenever it fails: after a
// failover the new primary's standbys are read.
type LagReader struct {
	c *Cluster

	mu      sync.Mutex
	primary string
	conn    *pgx.Conn
}

var _ dr.LagReader = (*LagReader)(nil)

// LagReader returns a reader of the cluster's replication lag.
func (c *Cluster) LagReader() *LagReader { return &LagReader{c: c} }

// ReplicationLag is one reading: every Postgres node but the primary,
// streaming or not, as the primary sees it now.
func (r *LagReader) ReplicationLag(ctx context.Context) (firedrill.LagSample, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		primary, err := r.c.Primary(ctx)
		if err != nil {
			return firedrill.LagSample{}, err
		}
		conn, err := r.c.connect(ctx, primary)
		if err != nil {
			return firedrill.LagSample{}, err
		}
		r.primary, r.conn = primary, conn
	}
	rows, err := r.conn.Query(ctx, lagQuery)
	var seen map[string]firedrill.ReplicaLag
	if err == nil {
		seen, err = scanLag(rows, r.c.nodeOfStandby)
	}
	if err != nil {
		r.closeLocked(ctx)
		return firedrill.LagSample{}, fmt.Errorf("read replication lag on %s: %w", r.primary, r.c.redact(err))
	}
	s := firedrill.LagSample{Primary: r.primary}
	for _, node := range r.c.topo.Postgres() {
		if node == r.primary {
			continue
		}
		rl, ok := seen[node]
		if !ok {
			rl = firedrill.ReplicaLag{Node: node}
		}
		s.Replicas = append(s.Replicas, rl)
	}
	return s, nil
}

// scanLag reads lagQuery's rows by standby node: its application_name,
// which is its cluster_name (the node's name), or the name its stack gave
// it (node turns it back into the node's).
func scanLag(rows pgx.Rows, node func(applicationName string) string) (map[string]firedrill.ReplicaLag, error) {
	defer rows.Close()
	out := map[string]firedrill.ReplicaLag{}
	for rows.Next() {
		var name, state string
		var unflushed, unreplayed *int64
		var flushMS, replayMS *float64
		if err := rows.Scan(&name, &state, &unflushed, &unreplayed, &flushMS, &replayMS); err != nil {
			return nil, err
		}
		name = node(name)
		out[name] = replicaLag(name, state, unflushed, unreplayed, flushMS, replayMS)
	}
	return out, rows.Err()
}

// replicaLag is one row of lagQuery: a standby streams when its state is
// streaming and it has reported a flush position.
func replicaLag(name, state string, unflushed, unreplayed *int64, flushMS, replayMS *float64) firedrill.ReplicaLag {
	rl := firedrill.ReplicaLag{Node: name, Streaming: state == "streaming" && unflushed != nil}
	if !rl.Streaming {
		return rl
	}
	rl.UnflushedBytes = max(*unflushed, 0)
	if unreplayed != nil {
		rl.UnreplayedBytes = max(*unreplayed, 0)
	}
	rl.FlushLag, rl.ReplayLag = msDuration(flushMS), msDuration(replayMS)
	return rl
}

func msDuration(ms *float64) *time.Duration {
	if ms == nil || math.IsNaN(*ms) || *ms < 0 {
		return nil
	}
	d := time.Duration(*ms * float64(time.Millisecond))
	return &d
}

// Close ends the reader's connection.
func (r *LagReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closeLocked(context.Background())
	return nil
}

func (r *LagReader) closeLocked(ctx context.Context) {
	if r.conn != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = r.conn.Close(cctx)
	}
	r.conn, r.primary = nil, ""
}
