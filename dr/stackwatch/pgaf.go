package stackwatch

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func init() { dr.RegisterManager(scenarios.ManagerPgAutoFailover, newPgAutoFailover) }

// eventsQuery reads the monitor's events after the last one read.
const eventsQuery = `SELECT eventid, eventtime, nodename, reportedstate::text, goalstate::text, description
FROM pgautofailover.event WHERE eventid > $1 ORDER BY eventid`

// PgAutoFailover watches a pg_auto_failover formation fail over by
// itself: it reads the monitor's events every PollInterval.
type PgAutoFailover struct {
	settings scenarios.PgAutoFailover
	primary  string
	monitor  *endpoints
	tl       *firedrill.Timeline
	log      *slog.Logger

	conn   *pgx.Conn
	lastID int64
}

var _ firedrill.Part = (*PgAutoFailover)(nil)

func newPgAutoFailover(cfg scenarios.Failover, deps dr.ManagerDeps) (firedrill.Part, error) {
	if cfg.PgAutoFailover == nil {
		return nil, fmt.Errorf("pg_auto_failover: the scenario's dr.failover.pg_auto_failover has no settings (defaults not applied)")
	}
	if deps.Endpoints == nil {
		return nil, fmt.Errorf("pg_auto_failover: the watcher needs the runtime's endpoints")
	}
	nodes := deps.Topology.Postgres()
	if len(nodes) == 0 || len(deps.Topology.OfKind(topology.KindMonitor)) == 0 {
		return nil, fmt.Errorf("pg_auto_failover: the topology has no Postgres nodes or no monitor")
	}
	w := &PgAutoFailover{settings: *cfg.PgAutoFailover, primary: nodes[0], monitor: newEndpoints(deps.Endpoints, topology.PortPostgres),
		tl: deps.Timeline, log: deps.Logger}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	return w, nil
}

// Name is the manager's name in events and logs.
func (w *PgAutoFailover) Name() string { return scenarios.ManagerPgAutoFailover }

// Run watches until ctx ends.
func (w *PgAutoFailover) Run(ctx context.Context) error {
	defer w.close(ctx)
	s := w.settings
	// The events so far (the formation's creation) are history: the watch
	// starts after them.
	if _, err := w.read(ctx); err != nil {
		w.log.Warn("pg_auto_failover: the monitor's events could not be read at the start", "err", err)
	}
	w.tl.Add(firedrill.Event{At: w.tl.Now(), Kind: firedrill.EventStackWatch, Target: w.primary,
		Detail: fmt.Sprintf("pg_auto_failover watched: health checks every %s (timeout %s, %d retries %s apart), a node unhealthy after %s, a failed primary given %s to demote itself; primary %s; the harness reads the monitor's events every %s",
			s.HealthCheckPeriod, s.HealthCheckTimeout, s.HealthCheckMaxRetries, s.HealthCheckRetryDelay, s.NodeConsideredUnhealthyTimeout, s.PrimaryDemoteTimeout, w.primary, PollInterval)})
	t := newPgafTracker(w.primary, w.tl.Now())
	tick := newTicker()
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			for _, ev := range t.finish(w.tl.Now()) {
				w.tl.Add(ev)
			}
			return nil
		case <-tick.C:
		}
		start := w.tl.Now()
		events, err := w.read(ctx)
		if ctx.Err() != nil {
			continue
		}
		for _, ev := range t.observe(poll{start, w.tl.Now()}, events, err) {
			w.log.Info("pg_auto_failover event", "kind", ev.Kind, "node", ev.Target, "detail", ev.Detail)
			w.tl.Add(ev)
		}
	}
}

// read returns the monitor's events after the last one read, on one
// connection kept between polls (opened again after a failure).
func (w *PgAutoFailover) read(ctx context.Context) ([]monitorEvent, error) {
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	if w.conn == nil {
		addr, err := w.monitor.get(rctx, topology.NodeMonitor)
		if err != nil {
			return nil, err
		}
		u := url.URL{Scheme: "postgres", User: url.User(topology.MonitorUser), Host: addr, Path: topology.MonitorDatabase, RawQuery: "sslmode=disable"}
		conn, err := pgx.Connect(rctx, u.String())
		if err != nil {
			w.monitor.forget(topology.NodeMonitor)
			return nil, err
		}
		w.conn = conn
	}
	rows, err := w.conn.Query(rctx, eventsQuery, w.lastID)
	var out []monitorEvent
	if err == nil {
		for rows.Next() {
			var e monitorEvent
			if err = rows.Scan(&e.ID, &e.Time, &e.Node, &e.Reported, &e.Goal, &e.Description); err != nil {
				break
			}
			out = append(out, e)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		w.close(ctx)
		return nil, err
	}
	if len(out) > 0 {
		w.lastID = out[len(out)-1].ID
	}
	return out, nil
}

func (w *PgAutoFailover) close(ctx context.Context) {
	if w.conn != nil {
		_ = w.conn.Close(context.WithoutCancel(ctx))
		w.conn = nil
	}
}
