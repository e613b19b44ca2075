package dr

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Vantage is where the failover manager judges health from
// (docs/architecture.md, "The failover manager"): the place whose view of
// the Postgres nodes decides whether the primary is down and which
// standby may replace it. The built-in manager judges where the clients
// are (SidecarVantage, in the app's network namespace), so that a
// partition cutting the primary off the app is seen, and one that cuts
// the app off everything is not mistaken for a dead primary.
type Vantage interface {
	// Where names the vantage point in events and logs ("app").
	Where() string
	// Watch starts a watcher running spec's rounds and returns once it
	// runs (its first round may come later). Its Rounds close when it
	// ends.
	Watch(ctx context.Context, spec WatchSpec) (Watch, error)
}

// Watch is one running watcher.
type Watch interface {
	// Rounds delivers every round as it ends, in order. It closes when
	// the watcher ends: Stop, or it died (Err says why).
	Rounds() <-chan Round
	// Err is why the rounds ended by themselves (the watcher died); nil
	// while they go on, or when Stop ended them.
	Err() error
	// Stop ends the watcher and returns once Rounds is closed; it may be
	// called more than once.
	Stop(ctx context.Context) error
}

// WatchSpec is what a watcher checks, and when.
type WatchSpec struct {
	// Nodes are checked in every round, at the same instant.
	Nodes []string
	// First is the instant of round 0: round k runs at First + k×Interval,
	// the manager's fixed ticker with its phase (docs/measurement.md,
	// "Detection phase"). A watcher in another process reads it as a
	// wall-clock instant, which on one host is the harness's clock.
	First time.Time
	// Interval is the time between two rounds; Timeout bounds each check.
	Interval, Timeout time.Duration
}

// At is the instant of round k.
func (s WatchSpec) At(k int) time.Time { return s.First.Add(time.Duration(k) * s.Interval) }

// roundAfter is the first round whose instant is not before now.
func (s WatchSpec) roundAfter(now time.Time) int {
	late := now.Sub(s.First)
	if late <= 0 || s.Interval <= 0 {
		return 0
	}
	k := int(late / s.Interval)
	if s.At(k).Before(now) {
		k++
	}
	return k
}

// Round is one round of health checks: every node checked once, from the
// vantage point, starting at the round's instant.
type Round struct {
	// Seq is k: the round started at WatchSpec.At(k).
	Seq int `json:"round"`
	// Up are the nodes whose check passed.
	Up []string `json:"up,omitempty"`
	// Down says, per node whose check failed, why.
	Down map[string]string `json:"down,omitempty"`
}

// Reachable reports whether node's check passed in this round.
func (r Round) Reachable(node string) bool {
	for _, n := range r.Up {
		if n == node {
			return true
		}
	}
	return false
}

// CheckFunc is one health check of a node; it must return by ctx's
// deadline.
type CheckFunc func(ctx context.Context, node string) error

// RunRounds runs spec's rounds with check until ctx ends, handing each
// round to emit as it ends. Rounds keep to the schedule: round k starts at
// At(k), or at once when the previous one ran into it (a check may take
// the whole Timeout, and Timeout may equal Interval). A watcher that
// starts late, or falls a whole round behind, skips to the next round
// ahead instead of running rounds late: a round always starts at its
// instant or right after the one before it.
func RunRounds(ctx context.Context, spec WatchSpec, check CheckFunc, emit func(Round)) {
	k := spec.roundAfter(time.Now())
	for {
		t := time.NewTimer(time.Until(spec.At(k)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		r := checkAll(ctx, spec, check, k)
		if ctx.Err() != nil {
			return
		}
		emit(r)
		k++
		if now := time.Now(); now.Sub(spec.At(k)) > spec.Interval {
			k = spec.roundAfter(now)
		}
	}
}

// checkAll checks every node of spec at once, each within Timeout.
func checkAll(ctx context.Context, spec WatchSpec, check CheckFunc, k int) Round {
	errs := make([]error, len(spec.Nodes))
	var wg sync.WaitGroup
	for i, n := range spec.Nodes {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, spec.Timeout)
			defer cancel()
			errs[i] = check(cctx, n)
		})
	}
	wg.Wait()
	r := Round{Seq: k}
	for i, n := range spec.Nodes {
		if errs[i] == nil {
			r.Up = append(r.Up, n)
			continue
		}
		if r.Down == nil {
			r.Down = map[string]string{}
		}
		r.Down[n] = errs[i].Error()
	}
	return r
}

// HarnessVantage judges from the harness's own process, with check
// (Cluster.Check, through the runtime's endpoints). It is what the
// manager watched from before it watched from the app's side, and what
// it uses when given no other vantage point (unit tests).
type HarnessVantage struct{ Check CheckFunc }

var _ Vantage = HarnessVantage{}

// Where is "harness".
func (HarnessVantage) Where() string { return "harness" }

// Watch runs the rounds in a goroutine of this process.
func (v HarnessVantage) Watch(ctx context.Context, spec WatchSpec) (Watch, error) {
	if v.Check == nil {
		return nil, fmt.Errorf("harness vantage: no health check")
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &localWatch{rounds: make(chan Round), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer close(w.rounds)
		RunRounds(wctx, spec, v.Check, func(r Round) {
			select {
			case w.rounds <- r:
			case <-wctx.Done():
			}
		})
	}()
	return w, nil
}

// localWatch is a watcher running in this process.
type localWatch struct {
	rounds chan Round
	cancel context.CancelFunc
	done   chan struct{}
}

func (w *localWatch) Rounds() <-chan Round { return w.rounds }
func (w *localWatch) Err() error           { return nil }

func (w *localWatch) Stop(ctx context.Context) error {
	w.cancel()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop the harness's watcher: %w", ctx.Err())
	}
}
