package dr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/firedrill/firedrill"
)

// Cluster is what the failover manager needs from a Postgres cluster.
type Cluster interface {
	// Check is one health check of node; it must return within ctx's deadline.
	Check(ctx context.Context, node string) error
	// Fence makes node unable to accept writes ("stop" or "disconnect").
	Fence(ctx context.Context, node, method string) error
	// ReceivedLSN is how much WAL a standby has received.
	ReceivedLSN(ctx context.Context, node string) (uint64, error)
	// Promote turns a standby into the primary and returns once it accepts writes.
	Promote(ctx context.Context, node string) error
}

// FailoverConfig sets the manager's timers and behaviour.
type FailoverConfig struct {
	// Primary is the node that is primary when the manager starts.
	Primary string
	// Standbys are the candidates for promotion.
	Standbys []string
	// Interval is the time between two health checks.
	Interval time.Duration
	// Timeout bounds one health check.
	Timeout time.Duration
	// FailuresBeforeAction is how many consecutive failed checks trigger a failover.
	FailuresBeforeAction int
	// Fencing is the fencing method passed to Cluster.Fence.
	Fencing string
	// Phase is when, within the first Interval, the first health check
	// runs. Real outages strike at a random point of the check cycle; a
	// phase of 0 would put every fault at a whole second just after a
	// successful check, and detection would always take the worst case
	// (docs/measurement.md, "Detection phase"). Draw it with PhaseFor.
	Phase time.Duration
}

// PhaseFor draws the health-check phase in [0, interval) from the run's
// seed: random across runs, the same when a run is replayed.
func PhaseFor(seed int64, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x6661696c6f766572))
	return time.Duration(r.Int64N(int64(interval)))
}

// Failover is the failover manager. Create it with NewFailover and call
// Run; it watches until its context ends.
type Failover struct {
	cfg     FailoverConfig
	cluster Cluster
	tl      *firedrill.Timeline
	log     *slog.Logger
}

// NewFailover returns a manager acting on cluster and recording its events on tl.
func NewFailover(cfg FailoverConfig, cluster Cluster, tl *firedrill.Timeline, log *slog.Logger) *Failover {
	if cfg.FailuresBeforeAction < 1 {
		cfg.FailuresBeforeAction = 1
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Failover{cfg: cfg, cluster: cluster, tl: tl, log: log}
}

// Name names the manager on progress lines and in errors.
func (f *Failover) Name() string { return "failover manager (" + ManagerBuiltin + ")" }

var _ firedrill.Part = (*Failover)(nil)

// Run checks the primary every Interval until ctx ends, the first check
// at Phase. Checks are on a
// fixed ticker, never backed off: the detection time is part of what the
// drill measures. After FailuresBeforeAction consecutive failures it fails
// over; if that fails it records a failover.error event and keeps trying
// at the next check.
func (f *Failover) Run(ctx context.Context) error {
	primary := f.cfg.Primary
	standbys := append([]string(nil), f.cfg.Standbys...)
	failures := 0
	f.tl.Add(firedrill.Event{At: f.tl.Now(), Span: f.cfg.Phase, Kind: firedrill.EventManagerStart, Target: primary,
		Detail: fmt.Sprintf("%s watching %s: a health check every %s (timeout %s), the first %s in; %d failures trigger a failover",
			f.Name(), primary, f.cfg.Interval, f.cfg.Timeout, f.cfg.Phase.Round(time.Millisecond), f.cfg.FailuresBeforeAction)})
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(f.cfg.Phase):
	}
	tick := time.NewTicker(f.cfg.Interval)
	defer tick.Stop()
	first := true
	for {
		if first {
			first = false
		} else {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
		cctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
		err := f.cluster.Check(cctx, primary)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			failures = 0
			continue
		}
		failures++
		f.log.Info("primary health check failed", "node", primary, "consecutive", failures, "err", err)
		if failures < f.cfg.FailuresBeforeAction {
			continue
		}
		if len(standbys) == 0 {
			if failures == f.cfg.FailuresBeforeAction {
				f.tl.Record(firedrill.EventFailoverError, primary, "primary is down and no standby is left to promote")
			}
			continue
		}
		newPrimary, rest, err := f.failover(ctx, primary, standbys, failures)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			f.tl.Record(firedrill.EventFailoverError, primary, err.Error())
			f.log.Warn("failover failed; will retry at the next check", "err", err)
			continue
		}
		primary, standbys, failures = newPrimary, rest, 0
	}
}

// failover fences old, promotes the most advanced standby, and returns the
// new primary and the remaining standbys.
func (f *Failover) failover(ctx context.Context, old string, standbys []string, failures int) (string, []string, error) {
	f.tl.Record(firedrill.EventDetect, old, fmt.Sprintf("%d consecutive failed health checks", failures))
	f.log.Info("primary declared failed", "node", old)

	// Fence before promoting: two writable primaries must never coexist,
	// even if the old one was only unreachable from here.
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := f.cluster.Fence(fctx, old, f.cfg.Fencing)
	cancel()
	if err != nil {
		return "", nil, fmt.Errorf("fence %s: %w", old, err)
	}
	f.tl.Record(firedrill.EventFence, old, "fenced by "+orDefault(f.cfg.Fencing, "stop"))

	best, err := f.mostAdvanced(ctx, standbys)
	if err != nil {
		return "", nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	// The promotion takes effect inside pg_promote, before it returns: the
	// event spans the call, so a first write acknowledged by the new
	// primary is never earlier than the promotion's start.
	started := f.tl.Now()
	err = f.cluster.Promote(pctx, best)
	cancel()
	if err != nil {
		return "", nil, fmt.Errorf("promote %s: %w", best, err)
	}
	f.tl.Add(firedrill.Event{At: started, Span: f.tl.Now() - started, Kind: firedrill.EventPromote, Target: best, Detail: "promoted to primary"})
	f.log.Info("standby promoted", "node", best)
	var rest []string
	for _, s := range standbys {
		if s != best {
			rest = append(rest, s)
		}
	}
	return best, rest, nil
}

// mostAdvanced picks the reachable standby that has received the most WAL:
// promoting it loses the fewest acknowledged writes.
func (f *Failover) mostAdvanced(ctx context.Context, standbys []string) (string, error) {
	best, bestLSN := "", uint64(0)
	var errs []error
	for _, s := range standbys {
		cctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
		lsn, err := f.cluster.ReceivedLSN(cctx, s)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if best == "" || lsn > bestLSN {
			best, bestLSN = s, lsn
		}
	}
	if best == "" {
		return "", fmt.Errorf("no standby reachable for promotion: %w", errors.Join(errs...))
	}
	return best, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
