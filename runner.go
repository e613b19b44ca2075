package firedrill

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// Workload drives client traffic until its context ends, then returns once
// its in-flight operations have finished.
type Workload interface {
	Run(ctx context.Context) error
}

// Watcher is a background part of the DR engine (the failover manager):
// it runs until its context ends.
type Watcher interface {
	Run(ctx context.Context) error
}

// Injector injects the scenario's faults into the environment.
type Injector interface {
	// Inject resolves fault's target now and injects it; it returns the
	// node it hit.
	Inject(ctx context.Context, fault scenarios.Fault) (node string, err error)
	// RevertAll undoes every fault still in effect that can be undone.
	RevertAll(ctx context.Context) error
}

// Verifier reads back, after recovery, the write ids stored in the
// database the app now uses, and names that database's node.
type Verifier interface {
	ReadBack(ctx context.Context) (ids map[string]bool, node string, err error)
}

// Runner sequences one drill against an environment that is already up:
// start the DR engine and the workload, run the timeline of faults, revert,
// let the system settle, stop, and read back every write. It touches
// Docker and databases only through its interfaces.
type Runner struct {
	Scenario *scenarios.Scenario
	Timeline *Timeline
	Workload Workload
	Failover Watcher // nil when the scenario disables failover
	Injector Injector
	Verifier Verifier
	// Settle is how long the DR engine keeps running after the workload
	// stops and faults are reverted, before the read-back.
	Settle time.Duration
	// Status, when set, returns a one-line progress summary printed to
	// Progress every ProgressEvery.
	Status        func() string
	Progress      io.Writer
	ProgressEvery time.Duration
	Logger        *slog.Logger
}

// Recording is what a drill observed, ready to be scored.
type Recording struct {
	Events []Event
	// Duration is how long the workload ran.
	Duration time.Duration
	// ReadBack is nil when the read-back could not be made; ReadBackErr says why.
	ReadBack    map[string]bool
	ReadBackErr error
	// ReadFrom is the node the read-back came from.
	ReadFrom string
}

// Run executes the drill. It returns the recording even when ctx is
// cancelled part-way (with ctx's error), so an interrupted drill can still
// leave its ledger behind.
func (r *Runner) Run(parent context.Context) (*Recording, error) {
	// A panic in a background part (workload, failover manager) ends the
	// drill like an interrupt, with the panic as the cause, so the caller
	// still tears the environment down instead of the process dying.
	ctx, abort := context.WithCancelCause(parent)
	defer abort(nil)
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	progress := r.Progress
	if progress == nil {
		progress = io.Discard
	}
	tl := r.Timeline
	rec := &Recording{}

	var bg sync.WaitGroup
	fctx, stopFailover := context.WithCancel(ctx)
	defer stopFailover()
	if r.Failover != nil {
		bg.Go(func() {
			defer recoverInto(abort, "failover manager")
			if err := r.Failover.Run(fctx); err != nil {
				log.Error("failover manager stopped", "err", err)
			}
		})
	}

	wctx, stopWorkload := context.WithCancel(ctx)
	defer stopWorkload()
	var workloadErr error
	workloadDone := make(chan struct{})
	tl.Record(EventDrillStart, -1, "", "")
	go func() {
		defer close(workloadDone)
		defer recoverInto(abort, "workload")
		workloadErr = r.Workload.Run(wctx)
	}()

	stopProgress := r.startProgress(ctx, progress)

	faults := append([]scenarios.Fault(nil), r.Scenario.Timeline.Faults...)
	order := make([]int, len(faults))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return faults[order[a]].At.Duration < faults[order[b]].At.Duration })

	interrupted := func() (*Recording, error) {
		stopProgress()
		stopWorkload()
		<-workloadDone
		stopFailover()
		bg.Wait()
		rec.Duration = tl.Now()
		rec.Events = tl.Events()
		return rec, context.Cause(ctx)
	}

	for _, i := range order {
		f := faults[i]
		if !sleepUntil(ctx, tl, f.At.Duration) {
			return interrupted()
		}
		at := tl.Now()
		node, err := r.Injector.Inject(ctx, f)
		if err != nil {
			if ctx.Err() != nil {
				return interrupted()
			}
			tl.Record(EventFaultFailed, i, node, fmt.Sprintf("%s %s: %v", f.Action, f.Target, err))
			fmt.Fprintf(progress, "  %6.1fs  fault %s %s FAILED: %v\n", at.Seconds(), f.Action, f.Target, err)
			continue
		}
		// The injection instant is taken before the call: the fault's
		// effect starts at most this early, so RTO is never understated.
		tl.RecordAt(at, EventFaultInjected, i, node, f.Action+" "+f.Target)
		fmt.Fprintf(progress, "  %6.1fs  fault %s %s -> %s\n", at.Seconds(), f.Action, f.Target, node)
	}
	if !sleepUntil(ctx, tl, r.Scenario.Timeline.Duration.Duration) {
		return interrupted()
	}

	stopWorkload()
	<-workloadDone
	rec.Duration = tl.Now()
	tl.Record(EventDrillEnd, -1, "", "")
	stopProgress()
	if workloadErr != nil {
		log.Warn("workload ended with an error", "err", workloadErr)
	}

	if err := r.Injector.RevertAll(ctx); err != nil {
		log.Warn("revert faults", "err", err)
		fmt.Fprintf(progress, "  warning: reverting faults: %v\n", err)
	}
	if r.Settle > 0 {
		fmt.Fprintf(progress, "  settling %s before the read-back\n", r.Settle)
		select {
		case <-ctx.Done():
			return interrupted()
		case <-time.After(r.Settle):
		}
	}
	stopFailover()
	bg.Wait()

	vctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	ids, node, err := r.Verifier.ReadBack(vctx)
	if ctx.Err() != nil {
		return interrupted()
	}
	rec.ReadBack, rec.ReadFrom, rec.ReadBackErr = ids, node, err
	if err != nil {
		fmt.Fprintf(progress, "  read-back failed: %v\n", err)
	} else {
		fmt.Fprintf(progress, "  read back %d rows from %s\n", len(ids), node)
	}
	rec.Events = tl.Events()
	return rec, nil
}

// startProgress prints r.Status every ProgressEvery until the returned stop
// is called.
func (r *Runner) startProgress(ctx context.Context, w io.Writer) (stop func()) {
	if r.Status == nil || r.ProgressEvery <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(r.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(w, "  %6.1fs  %s\n", r.Timeline.Now().Seconds(), r.Status())
			}
		}
	})
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

// sleepUntil waits until the timeline reaches at; false if ctx ended first.
func sleepUntil(ctx context.Context, tl *Timeline, at time.Duration) bool {
	d := at - tl.Now()
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// recoverInto turns a panic of the goroutine it is deferred in into the
// drill's cancellation cause.
func recoverInto(abort context.CancelCauseFunc, part string) {
	if p := recover(); p != nil {
		abort(fmt.Errorf("%s panicked: %v\n%s", part, p, debug.Stack()))
	}
}
