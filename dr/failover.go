package dr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
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
	vantage Vantage
	hold    *Hold
	tl      *firedrill.Timeline
	log     *slog.Logger

	checksMu sync.Mutex
	checks   Checks
}

// Checks is the manager's health checking as it stands: the primary it
// watches, how many checks in a row that primary has failed and how many
// it acts on, and whether it is blind (no watcher, no verdict) and since
// when. The checks themselves leave no event until the primary is
// declared failed (failover.detect), so the live progress reads them
// here (docs/reports.md, "Live progress").
type Checks struct {
	Primary    string
	Failing    int
	Of         int
	Blind      bool
	BlindSince time.Duration
}

// CheckReporter is a failover manager that tells its health checking as it
// goes (the built-in one does): the live progress asks NewManager's part
// for it.
type CheckReporter interface {
	Checks() Checks
}

var _ CheckReporter = (*Failover)(nil)

// Checks returns the manager's health checking now; safe to call from any
// goroutine while Run runs.
func (f *Failover) Checks() Checks {
	f.checksMu.Lock()
	defer f.checksMu.Unlock()
	return f.checks
}

// publish makes the run's state what Checks returns.
func (m *managerRun) publish() {
	c := Checks{Primary: m.primary, Failing: m.failures, Of: m.f.cfg.FailuresBeforeAction}
	if m.blindSince != nil {
		c.Blind, c.BlindSince = true, *m.blindSince
	}
	m.f.checksMu.Lock()
	m.f.checks = c
	m.f.checksMu.Unlock()
}

// FailoverOption configures NewFailover.
type FailoverOption func(*Failover)

// WithVantage makes the manager judge health from v (the app's side, for
// the built-in manager) instead of from the harness.
func WithVantage(v Vantage) FailoverOption { return func(f *Failover) { f.vantage = v } }

// WithHold makes the manager stand down while h is held: a recovery plan
// owns the cluster then (hold.go).
func WithHold(h *Hold) FailoverOption { return func(f *Failover) { f.hold = h } }

// NewFailover returns a manager acting on cluster and recording its events
// on tl. Without WithVantage it judges from the harness, with
// cluster.Check.
func NewFailover(cfg FailoverConfig, cluster Cluster, tl *firedrill.Timeline, log *slog.Logger, opts ...FailoverOption) *Failover {
	if cfg.FailuresBeforeAction < 1 {
		cfg.FailuresBeforeAction = 1
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Failover{cfg: cfg, cluster: cluster, tl: tl, log: log}
	for _, o := range opts {
		o(f)
	}
	if f.vantage == nil {
		f.vantage = HarnessVantage{Check: cluster.Check}
	}
	return f
}

// Name names the manager on progress lines and in errors.
func (f *Failover) Name() string { return "failover manager (" + ManagerBuiltin + ")" }

var _ firedrill.Part = (*Failover)(nil)

// stopWatchTimeout bounds the release of a watcher.
const stopWatchTimeout = 10 * time.Second

// Run watches the cluster from the manager's vantage point until ctx
// ends: a round of health checks of every Postgres node every Interval,
// the first at Phase, on a fixed schedule never backed off (the detection
// time is part of what the drill measures). After FailuresBeforeAction
// consecutive rounds in which the primary failed, it fails over to a
// standby reachable from the vantage point; if that fails it records a
// failover.error event and tries again at the next failing round. When
// its watcher dies it is blind: it restarts the watcher at every round's
// instant and, until a round comes, never fails over.
func (f *Failover) Run(ctx context.Context) error {
	start := f.tl.Now()
	m := &managerRun{f: f, primary: f.cfg.Primary, standbys: append([]string(nil), f.cfg.Standbys...)}
	m.spec = WatchSpec{Nodes: append([]string{m.primary}, m.standbys...), First: f.tl.Start().Add(start + f.cfg.Phase),
		Interval: f.cfg.Interval, Timeout: f.cfg.Timeout}
	m.publish()
	f.tl.Add(firedrill.Event{At: start, Span: f.cfg.Phase, Kind: firedrill.EventManagerStart, Target: m.primary,
		Detail: fmt.Sprintf("%s watching %s from %s: a health check of every Postgres node every %s (timeout %s), the first %s in; %d failures trigger a failover",
			f.Name(), m.primary, f.vantage.Where(), f.cfg.Interval, f.cfg.Timeout, f.cfg.Phase.Round(time.Millisecond), f.cfg.FailuresBeforeAction)})
	defer m.stopWatch()
	m.startWatch(ctx)
	for {
		var rounds <-chan Round
		retry := time.NewTimer(time.Hour)
		if m.watch != nil {
			rounds = m.watch.Rounds()
			retry.Stop()
		} else {
			// Blind: try again at the next round's instant.
			now := time.Now()
			k := m.spec.roundAfter(now)
			if !m.spec.At(k).After(now) {
				k++
			}
			retry.Reset(m.spec.At(k).Sub(now))
		}
		select {
		case <-ctx.Done():
		case r, ok := <-rounds:
			if !ok {
				m.lost()
				break
			}
			m.seeAgain("a round came from the new watcher")
			m.judge(ctx, r)
		case <-retry.C:
			m.startWatch(ctx)
		}
		retry.Stop()
		if ctx.Err() != nil {
			m.seeAgain("the drill ended")
			return nil
		}
	}
}

// managerRun is the state of one Run.
type managerRun struct {
	f        *Failover
	spec     WatchSpec
	primary  string
	standbys []string
	failures int
	withheld bool // a failover.withheld was recorded for this outage

	watch      Watch
	blindSince *time.Duration // set while the manager has no watcher
	blindWhy   string
}

// startWatch starts a watcher; when it cannot, the manager is blind.
func (m *managerRun) startWatch(ctx context.Context) {
	w, err := m.f.vantage.Watch(ctx, m.spec)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		// Once per blind period: it retries every round, and the period
		// itself is on the timeline (failover.blind).
		level := slog.LevelWarn
		if m.blindSince != nil {
			level = slog.LevelDebug
		}
		m.f.log.Log(ctx, level, "failover manager: no watcher", "from", m.f.vantage.Where(), "err", err)
		m.goBlind(err.Error())
		return
	}
	m.watch = w
}

// lost handles a watcher that died: the manager goes blind until a new
// one reports.
func (m *managerRun) lost() {
	why := "the watcher stopped"
	if err := m.watch.Err(); err != nil {
		why = err.Error()
	}
	m.stopWatch()
	m.f.log.Warn("failover manager: watcher lost", "from", m.f.vantage.Where(), "why", why)
	m.goBlind(why)
}

func (m *managerRun) goBlind(why string) {
	if m.blindSince == nil {
		now := m.f.tl.Now()
		m.blindSince, m.blindWhy = &now, why
	}
	// Consecutive failures span one watcher: a round missed is no
	// verdict, and a verdict is never made of rounds around a gap.
	m.failures = 0
	m.publish()
}

// seeAgain closes a blind period, if one is open, with a failover.blind
// event spanning it.
func (m *managerRun) seeAgain(until string) {
	if m.blindSince == nil {
		return
	}
	from, to := *m.blindSince, m.f.tl.Now()
	m.f.tl.Add(firedrill.Event{At: from, Span: to - from, Kind: firedrill.EventFailoverBlind, Target: m.primary,
		// The event's At and Span carry the period; the detail says why.
		Detail: fmt.Sprintf("no health verdict from %s (%s) until %s; no failover without one",
			m.f.vantage.Where(), m.blindWhy, until)})
	m.blindSince, m.blindWhy = nil, ""
	m.publish()
}

func (m *managerRun) stopWatch() {
	if m.watch == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopWatchTimeout)
	defer cancel()
	if err := m.watch.Stop(ctx); err != nil {
		m.f.log.Warn("failover manager: stop watcher", "err", err)
	}
	m.watch = nil
}

// judge applies one round's verdict.
func (m *managerRun) judge(ctx context.Context, r Round) {
	defer m.publish()
	f := m.f
	if r.Reachable(m.primary) {
		m.failures, m.withheld = 0, false
		return
	}
	m.failures++
	f.log.Info("primary health check failed", "node", m.primary, "from", f.vantage.Where(), "consecutive", m.failures, "err", r.Down[m.primary])
	if m.failures < f.cfg.FailuresBeforeAction {
		return
	}
	if len(m.standbys) == 0 {
		if m.failures == f.cfg.FailuresBeforeAction {
			f.tl.Record(firedrill.EventFailoverError, m.primary, "primary is down and no standby is left to promote")
		}
		return
	}
	// Only a standby the clients reach can replace the primary; when none
	// is, either the clients (the app, or the vantage point itself) are cut
	// off or every node is down. From the vantage point the two look alike;
	// in neither does a failover help, and in the first it would fence a
	// primary that may be fine. A recovery plan, not the manager, handles
	// the second (docs/architecture.md, "Recovery plans").
	var candidates []string
	for _, s := range m.standbys {
		if r.Reachable(s) {
			candidates = append(candidates, s)
		}
	}
	if len(candidates) == 0 {
		if !m.withheld {
			m.withheld = true
			f.tl.Record(firedrill.EventFailoverWithheld, m.primary, fmt.Sprintf(
				"%s failed %d health checks in a row from %s, but no standby is reachable from there either (%s): the clients are cut off or every node is down, and from there the two look alike; no failover",
				m.primary, m.failures, f.vantage.Where(), downList(r)))
		}
		return
	}
	if why, held := f.hold.Active(); held {
		if !m.withheld {
			m.withheld = true
			f.tl.Record(firedrill.EventFailoverWithheld, m.primary, fmt.Sprintf(
				"%s failed %d health checks in a row from %s, but a recovery plan owns the cluster (%s): no failover until it ends",
				m.primary, m.failures, f.vantage.Where(), why))
		}
		return
	}
	newPrimary, err := f.failover(ctx, m.primary, candidates, m.failures, r.Down[m.primary])
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		f.tl.Record(firedrill.EventFailoverError, m.primary, err.Error())
		f.log.Warn("failover failed; will retry at the next check", "err", err)
		return
	}
	var rest []string
	for _, s := range m.standbys {
		if s != newPrimary {
			rest = append(rest, s)
		}
	}
	m.primary, m.standbys, m.failures, m.withheld = newPrimary, rest, 0, false
}

// downList says why each node failed its check in r, in node order.
func downList(r Round) string {
	nodes := make([]string, 0, len(r.Down))
	for n := range r.Down {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = n + ": " + r.Down[n]
	}
	return strings.Join(parts, "; ")
}

// human is an offset as events' details write it: "12.34s".
func human(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }

// failover fences old, promotes the most advanced of candidates (the
// standbys the vantage point reaches) and returns the new primary.
func (f *Failover) failover(ctx context.Context, old string, candidates []string, failures int, why string) (string, error) {
	detail := fmt.Sprintf("%d consecutive failed health checks from %s", failures, f.vantage.Where())
	if why != "" {
		detail += " (last: " + why + ")"
	}
	f.tl.Record(firedrill.EventDetect, old, detail)
	f.log.Info("primary declared failed", "node", old)

	// Fence before promoting: two writable primaries must never coexist,
	// even if the old one was only unreachable from the clients. The
	// fence goes through the platform (STONITH), not through the network
	// that may be partitioned.
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := f.cluster.Fence(fctx, old, f.cfg.Fencing)
	cancel()
	if err != nil {
		return "", fmt.Errorf("fence %s: %w", old, err)
	}
	f.tl.Record(firedrill.EventFence, old, "fenced by "+orDefault(f.cfg.Fencing, "stop"))

	best, err := f.mostAdvanced(ctx, candidates)
	if err != nil {
		return "", err
	}
	pctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	// The promotion takes effect inside pg_promote, before it returns: the
	// event spans the call, so a first write acknowledged by the new
	// primary is never earlier than the promotion's start.
	started := f.tl.Now()
	err = f.cluster.Promote(pctx, best)
	cancel()
	if err != nil {
		return "", fmt.Errorf("promote %s: %w", best, err)
	}
	f.tl.Add(firedrill.Event{At: started, Span: f.tl.Now() - started, Kind: firedrill.EventPromote, Target: best, Detail: "promoted to primary"})
	f.log.Info("standby promoted", "node", best)
	return best, nil
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
