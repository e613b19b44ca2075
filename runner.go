package firedrill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// Workload drives client traffic until its context ends, then returns once
// its in-flight operations have finished. It must send nothing once its
// context is done: the Runner stamps drill.end at that instant.
type Workload interface {
	Run(ctx context.Context) error
}

// Part is a background part of a drill: the failover manager, and later
// backups, the monkey and abort watchers. Every part runs from the start of
// the workload until after the settle period, and stops when its context
// ends. A panic in a part ends the drill like an interrupt.
type Part interface {
	Name() string
	Run(ctx context.Context) error
}

// Verifier reads back, after recovery, the write ids stored in the
// database the app now uses, and names that database's node.
type Verifier interface {
	ReadBack(ctx context.Context) (ids map[string]bool, node string, err error)
}

// revertTimeout bounds one revert: a revert that hangs must not keep the
// environment from being torn down.
const revertTimeout = time.Minute

// Runner sequences one drill against an environment that is already up:
// start the background parts and the workload, run the schedule (each
// injection at its time, each reversible fault reverted at the end of its
// `for`), stop the workload, revert what is still in effect, let the
// system settle, stop the parts, and read back every write
// (docs/architecture.md, "The flow of a drill"). It touches containers and
// databases only through its interfaces.
type Runner struct {
	Scenario *scenarios.Scenario
	Timeline *Timeline
	// Schedule is the drill's injections; nil means the scenario's
	// timeline faults.
	Schedule *Schedule
	Workload Workload
	Parts    []Part
	Injector Injector
	Verifier Verifier
	// Settle is how long the parts keep running after the workload stops
	// and faults are reverted, before the read-back.
	Settle time.Duration
	// Aborts, when set, watches the measured part of the drill for the
	// scenario's abort conditions. When one trips the drill stops early:
	// nothing more is injected, the workload stops, every fault in effect
	// is reverted and the writes are read back as at a normal end
	// (docs/architecture.md, "Abort conditions").
	Aborts AbortWatch
	// Cleanup is the context of the reverts made after the drill's context
	// ended (an interrupt): cancelling it (a second Ctrl-C) skips them, so
	// the caller can go straight to a forced teardown. nil: reverts are
	// bounded by revertTimeout only.
	Cleanup context.Context
	// Progress receives the drill's progress lines (injections, reverts,
	// the settle and the read-back); nil: none.
	Progress io.Writer
	// OnStage, when set, is told when the drill enters StageSettle and
	// StageReadBack, which leave no event on the timeline: the live
	// progress shows them (docs/reports.md, "Live progress").
	OnStage func(stage string)
	Logger  *slog.Logger
}

// Stages of a drill after its timeline, for Runner.OnStage.
const (
	StageSettle   = "settle"
	StageReadBack = "read-back"
)

// Recording is what a drill observed, ready to be scored.
type Recording struct {
	Events     []Event
	Injections []Injection
	// Duration is the measured part: from the start of the workload to
	// the instant it stopped sending (the drill.end event).
	Duration time.Duration
	// ReadBack is nil when the read-back could not be made; ReadBackErr says why.
	ReadBack    map[string]bool
	ReadBackErr error
	// ReadFrom is the node the read-back came from.
	ReadFrom string
	// Abort is the condition that stopped the drill early; nil when none
	// tripped.
	Abort *AbortResult
}

// Run executes the drill. It returns the recording even when ctx is
// cancelled part-way (with ctx's cause), so an interrupted drill can still
// leave its ledger behind; every fault still in effect is reverted first.
func (r *Runner) Run(parent context.Context) (rec *Recording, err error) {
	// A panic in a background part (workload, failover manager) ends the
	// drill like an interrupt, with the panic as the cause, so the caller
	// still tears the environment down instead of the process dying.
	ctx, abort := context.WithCancelCause(parent)
	defer abort(nil)
	d := &drill{Runner: r, log: r.Logger, active: map[string]*activeFault{}}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	// Injections and reverts print from their own goroutines: one line
	// at a time.
	d.progress = &lineWriter{w: r.Progress}
	if r.Progress == nil {
		d.progress = io.Discard
	}
	schedule := r.Schedule
	if schedule == nil {
		schedule = NewSchedule(r.Scenario)
	}
	tl := r.Timeline
	rec = &Recording{Injections: schedule.Injections()}
	// sched is the schedule's context: it ends with the drill's, or early
	// when an abort condition trips, and then nothing more is injected and
	// the drill goes to its normal end.
	sched, stopSchedule := context.WithCancel(ctx)
	defer stopSchedule()
	d.sched = sched
	// A panic of the Runner itself: revert what is in effect, then let the
	// caller's teardown see the panic.
	defer func() {
		if p := recover(); p != nil {
			d.revertAll("panic")
			panic(p)
		}
	}()

	var parts sync.WaitGroup
	pctx, stopParts := context.WithCancel(ctx)
	defer stopParts()
	for _, p := range r.Parts {
		parts.Go(func() {
			defer recoverInto(abort, p.Name())
			if err := p.Run(pctx); err != nil && pctx.Err() == nil {
				d.log.Error("background part stopped", "part", p.Name(), "err", err)
			}
		})
	}

	// The workload's context ends only through stopSending, even on an
	// interrupt: drill.end is stamped first, so no write is sent after it.
	wctx, stopWorkload := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorkload()
	var workloadErr error
	workloadDone := make(chan struct{})
	tl.Record(EventDrillStart, "", "")
	go func() {
		defer close(workloadDone)
		defer recoverInto(abort, "workload")
		workloadErr = r.Workload.Run(wctx)
	}()

	// stopSending ends the measured part: drill.end is stamped before the
	// workload's context ends, so no write is sent after it.
	var endOnce sync.Once
	actx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var watching sync.WaitGroup
	stopSending := func() {
		endOnce.Do(func() {
			// No abort after drill.end: the workload no longer sends, so
			// the rates would fall for a reason that is not the system's.
			d.mu.Lock()
			d.ended = true
			d.mu.Unlock()
			stopWatch()
			rec.Duration = tl.Now()
			tl.Add(Event{At: rec.Duration, Kind: EventDrillEnd})
			stopWorkload()
		})
		watching.Wait()
		rec.Abort = d.abortResult()
	}
	if r.Aborts != nil {
		watching.Go(func() {
			defer recoverInto(abort, "abort watcher")
			if a := r.Aborts.Watch(actx); a != nil {
				d.trip(a, stopSchedule)
			}
		})
	}
	var injections sync.WaitGroup
	interrupted := func() (*Recording, error) {
		stopSending()
		<-workloadDone
		injections.Wait()
		d.revertAll("interrupted")
		stopParts()
		parts.Wait()
		rec.Events = tl.Events()
		return rec, context.Cause(ctx)
	}

	aborted := false
	for i, in := range rec.Injections {
		if !sleepUntil(sched, tl, in.At) {
			if ctx.Err() != nil {
				return interrupted()
			}
			for _, rest := range rec.Injections[i:] {
				d.skip(rest, "the drill was aborted before its time")
			}
			aborted = true
			break
		}
		if in.Source == SourceMonkey {
			if why := d.monkeyFull(ctx); why != "" {
				d.skip(in, why)
				continue
			}
		}
		mf := d.launch(in)
		injections.Go(func() {
			defer recoverInto(abort, "injection "+in.ID)
			d.inject(ctx, in, mf)
		})
	}
	if !aborted && !sleepUntil(sched, tl, r.Scenario.Timeline.Duration.Duration) && ctx.Err() != nil {
		return interrupted()
	}
	stopSending()
	<-workloadDone
	if workloadErr != nil {
		d.log.Warn("workload ended with an error", "err", workloadErr)
	}
	injections.Wait()
	if ctx.Err() != nil {
		return interrupted()
	}
	if rec.Abort != nil {
		d.revertAll("drill aborted")
	} else {
		d.revertAll("end of drill")
	}
	if r.Settle > 0 {
		r.stage(StageSettle)
		fmt.Fprintf(d.progress, "  settling %s before the read-back\n", r.Settle)
		select {
		case <-ctx.Done():
			return interrupted()
		case <-time.After(r.Settle):
		}
	}
	stopParts()
	parts.Wait()

	r.stage(StageReadBack)
	vctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	ids, node, err := r.Verifier.ReadBack(vctx)
	if ctx.Err() != nil {
		return interrupted()
	}
	rec.ReadBack, rec.ReadFrom, rec.ReadBackErr = ids, node, err
	if err != nil {
		fmt.Fprintf(d.progress, "  read-back failed: %v\n", err)
	} else {
		fmt.Fprintf(d.progress, "  read back %d rows from %s\n", len(ids), node)
	}
	rec.Events = tl.Events()
	return rec, nil
}

func (r *Runner) cleanupContext() context.Context {
	if r.Cleanup != nil {
		return r.Cleanup
	}
	return context.Background()
}

// drill is the state of one Run: the faults in effect.
type drill struct {
	*Runner
	log      *slog.Logger
	progress io.Writer
	// sched ends with the drill's context or when an abort condition
	// trips: a fault's `for` is cut short then (the revert follows).
	sched context.Context

	mu     sync.Mutex
	active map[string]*activeFault // by injection id
	order  []string                // injection ids in injection order
	// monkey holds the monkey's faults in launch order, for max_at_once.
	monkey []*monkeyFault
	// ended: drill.end is stamped; aborted: the condition that tripped.
	ended   bool
	aborted *AbortResult
}

// activeFault is a reversible fault in effect; revert runs at most once.
type activeFault struct {
	in     Injection
	nodes  []string
	once   sync.Once
	revert func(ctx context.Context) (Reverted, error)
	// undone is set once a revert has succeeded.
	undone bool
}

// inject applies one injection and, for a reversible fault with a `for`,
// reverts it when the `for` has passed since the effect began. mf is the
// monkey's record of it, nil for a timeline fault.
func (d *drill) inject(ctx context.Context, in Injection, mf *monkeyFault) {
	tl := d.Timeline
	called := tl.Now()
	ap, err := d.Injector.Inject(ctx, in)
	var af *activeFault
	if ap.Revert != nil {
		// Registered even when Inject failed: a fault applied part way
		// must still be undone (reverts are idempotent).
		af = &activeFault{in: in, nodes: ap.Nodes, revert: ap.Revert}
		d.mu.Lock()
		d.active[in.ID] = af
		d.order = append(d.order, in.ID)
		d.mu.Unlock()
	}
	d.applied(mf, ap, af, err)
	if err != nil {
		if ctx.Err() != nil && af == nil {
			return
		}
		if mf != nil && af == nil && errors.Is(err, ErrNothingToHit) {
			d.skip(in, "nothing to hit at its time: "+err.Error())
			return
		}
		msg := fmt.Sprintf("%s %s: %v", in.Action, in.Target, err)
		tl.Add(Event{At: tl.Now(), Kind: EventFaultFailed, Injection: in.ID, Target: first(ap.Nodes), Nodes: ap.Nodes, Detail: msg})
		fmt.Fprintf(d.progress, "  %6.1fs  fault %s FAILED: %v\n", tl.Now().Seconds(), in.Label(), err)
		if af != nil && ctx.Err() == nil {
			// Undo at once what it applied part way: left until its for
			// or the end of the drill, it would be a fault in effect that
			// the drill does not measure (the interrupt path reverts it
			// when ctx is done).
			d.revert(af, "the injection failed")
		}
		return
	}
	resolve := ap.Resolved - called
	tl.Add(Event{At: called, Span: resolve, Kind: EventFaultResolved, Injection: in.ID, Target: first(ap.Nodes), Nodes: ap.Nodes,
		Detail: "targets of " + in.Action + " " + in.Target + " resolved"})
	tl.Add(Event{At: ap.At, Span: ap.Span, Kind: EventFaultInjected, Injection: in.ID, Target: first(ap.Nodes),
		Nodes: ap.Nodes, Evidence: ap.Evidence,
		Detail: fmt.Sprintf("%s %s; targets resolved in %s", in.Action, in.Target, resolve.Round(time.Microsecond))})
	fmt.Fprintf(d.progress, "  %6.1fs  fault %s -> %s\n", ap.At.Seconds(), in.Label(), strings.Join(ap.Nodes, ", "))
	if af == nil || in.For <= 0 {
		return
	}
	if !sleepUntil(d.sched, tl, ap.At+in.For) {
		return // the interrupt or abort path reverts it
	}
	d.revert(af, "end of for")
}

// revert undoes one active fault once and records it. Reverts are
// detached from the drill's context (an interrupt must not stop a revert
// half way) and bounded by revertTimeout; only Cleanup, cancelled by a
// second Ctrl-C, skips them.
func (d *drill) revert(af *activeFault, why string) {
	af.once.Do(func() {
		tl := d.Timeline
		cleanup := d.cleanupContext()
		if cleanup.Err() != nil {
			d.log.Warn("revert skipped: forced teardown", "injection", af.in.ID)
			tl.Add(Event{At: tl.Now(), Kind: EventFaultRevertFailed, Injection: af.in.ID, Target: first(af.nodes),
				Nodes: af.nodes, Detail: af.in.Action + " not reverted: skipped by a second interrupt (forced teardown)"})
			fmt.Fprintf(d.progress, "  revert of %s skipped (forced teardown)\n", af.in.Label())
			return
		}
		rctx, cancel := context.WithTimeout(cleanup, revertTimeout)
		defer cancel()
		rv, err := af.revert(rctx)
		if err != nil {
			tl.Add(Event{At: tl.Now(), Kind: EventFaultRevertFailed, Injection: af.in.ID, Target: first(af.nodes),
				Nodes: af.nodes, Detail: fmt.Sprintf("%s (%s): %v", af.in.Action, why, err)})
			fmt.Fprintf(d.progress, "  %6.1fs  revert of %s FAILED: %v\n", tl.Now().Seconds(), af.in.Label(), err)
			return
		}
		d.mu.Lock()
		af.undone = true
		d.mu.Unlock()
		tl.Add(Event{At: rv.At, Span: rv.Span, Kind: EventFaultReverted, Injection: af.in.ID, Target: first(af.nodes),
			Nodes: af.nodes, Evidence: rv.Evidence, Detail: af.in.Action + " reverted (" + why + ")"})
		fmt.Fprintf(d.progress, "  %6.1fs  reverted %s (%s)\n", rv.At.Seconds(), af.in.Label(), why)
	})
}

// revertAll undoes every fault still in effect, newest first.
func (d *drill) revertAll(why string) {
	d.mu.Lock()
	var todo []*activeFault
	for i := len(d.order) - 1; i >= 0; i-- {
		todo = append(todo, d.active[d.order[i]])
	}
	d.mu.Unlock()
	for _, af := range todo {
		d.revert(af, why)
	}
}

func first(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}

func (r *Runner) stage(stage string) {
	if r.OnStage != nil {
		r.OnStage(stage)
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

// lineWriter serializes writes to w: each Write (one progress line) is
// whole.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
