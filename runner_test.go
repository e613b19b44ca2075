package firedrill

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// The Runner's tests run in a synctest bubble: the drill's clock is the
// bubble's, so a 300 ms timeline takes no wall time and the bounds below
// hold on any machine. Bounds are loose on purpose (at or after, before):
// the Runner promises an order, not exact instants.

// fakeWorkload runs until its context ends and remembers what it saw.
type fakeWorkload struct {
	tl *Timeline
	// panicAt makes it panic at that offset instead.
	panicAt time.Duration

	mu            sync.Mutex
	started, done time.Duration
	ran           bool
	// endBeforeDone: drill.end was on the timeline when the workload saw
	// its context end.
	endBeforeDone bool
}

func (w *fakeWorkload) Run(ctx context.Context) error {
	w.mu.Lock()
	w.started, w.ran = w.tl.Now(), true
	w.mu.Unlock()
	if w.panicAt > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(w.panicAt - w.tl.Now()):
			panic("probe exploded")
		}
	}
	<-ctx.Done()
	end := slices.ContainsFunc(w.tl.Events(), func(e Event) bool { return e.Kind == EventDrillEnd })
	w.mu.Lock()
	w.done, w.endBeforeDone = w.tl.Now(), end
	w.mu.Unlock()
	return nil
}

// revertCall is one call of a Revert the fake injector handed out.
type revertCall struct {
	id  string
	at  time.Duration
	err error // the revert context's error when it was called
}

// fakeInjector applies injections on paper. Reversible actions (per the
// language's table) come with a Revert that records its calls.
type fakeInjector struct {
	tl *Timeline
	// resolve and apply are how long resolution and the effecting call
	// take; apply honours the context (an interrupt mid-fault).
	resolve, apply time.Duration
	// fail makes these injections fail with that error (after applying).
	fail map[string]error
	// panics makes these injections panic.
	panics map[string]bool

	mu      sync.Mutex
	calls   []injectCall
	reverts []revertCall
}

type injectCall struct {
	id string
	at time.Duration
}

func reversible(action string) bool {
	for _, a := range scenarios.Actions() {
		if a.Name == action {
			return a.Reversible
		}
	}
	return false
}

func (f *fakeInjector) Inject(ctx context.Context, in Injection) (Applied, error) {
	f.mu.Lock()
	f.calls = append(f.calls, injectCall{in.ID, f.tl.Now()})
	f.mu.Unlock()
	if f.panics[in.ID] {
		panic("fault exploded")
	}
	if f.resolve > 0 {
		time.Sleep(f.resolve)
	}
	ap := Applied{Nodes: []string{"node-" + in.Target, "other-" + in.Target}, Resolved: f.tl.Now()}
	ap.At = f.tl.Now()
	if reversible(in.Action) {
		ap.Revert = func(ctx context.Context) (Reverted, error) {
			at := f.tl.Now()
			f.mu.Lock()
			f.reverts = append(f.reverts, revertCall{in.ID, at, ctx.Err()})
			f.mu.Unlock()
			return Reverted{At: at, Evidence: "undone " + in.ID}, nil
		}
	}
	// Without an apply time the call does not block at all: injections due
	// at one instant then run at once, as real ones doing I/O do.
	var err error
	if f.apply > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(f.apply):
		}
	}
	if ctx.Err() != nil {
		err = context.Cause(ctx) // cut short part way: the Revert must still run
	}
	ap.Span = f.tl.Now() - ap.At
	ap.Evidence = "done " + in.ID
	if e := f.fail[in.ID]; e != nil {
		err = e
	}
	return ap, err
}

func (f *fakeInjector) injected() []injectCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeInjector) revertsOf(id string) []revertCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []revertCall
	for _, r := range f.reverts {
		if r.id == id {
			out = append(out, r)
		}
	}
	return out
}

type fakeVerifier struct {
	tl  *Timeline
	err error

	mu     sync.Mutex
	called bool
	at     time.Duration
}

func (v *fakeVerifier) ReadBack(context.Context) (map[string]bool, string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.called, v.at = true, v.tl.Now()
	if v.err != nil {
		return nil, "", v.err
	}
	return map[string]bool{"w-1": true}, "pg-r1", nil
}

// fakePart is a background part; it panics at panicAt when set.
type fakePart struct {
	tl      *Timeline
	panicAt time.Duration

	mu               sync.Mutex
	started, stopped time.Duration
	ran              bool
}

func (p *fakePart) Name() string { return "fake-manager" }

func (p *fakePart) Run(ctx context.Context) error {
	p.mu.Lock()
	p.started, p.ran = p.tl.Now(), true
	p.mu.Unlock()
	if p.panicAt > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(p.panicAt - p.tl.Now()):
			panic("manager exploded")
		}
	}
	<-ctx.Done()
	p.mu.Lock()
	p.stopped = p.tl.Now()
	p.mu.Unlock()
	return ctx.Err()
}

// syncBuffer is a Progress writer that can be read while the drill writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func scenarioWith(d time.Duration, faults ...scenarios.Fault) *scenarios.Scenario {
	s := &scenarios.Scenario{}
	s.Timeline.Duration = scenarios.Duration{Duration: d}
	s.Timeline.Faults = faults
	return s
}

// fault is a timeline fault; a reversible one lasts forD (0: no for).
func fault(at time.Duration, action, target string, forD time.Duration) scenarios.Fault {
	f := scenarios.Fault{At: scenarios.Duration{Duration: at}, Action: action, Target: target}
	if forD > 0 {
		f.For = &scenarios.Duration{Duration: forD}
	}
	return f
}

// drillRig is a Runner on fakes, with a 300 ms timeline by default.
type drillRig struct {
	tl       *Timeline
	wl       *fakeWorkload
	inj      *fakeInjector
	ver      *fakeVerifier
	part     *fakePart
	progress *syncBuffer
	r        *Runner
}

func newDrill(d time.Duration, faults ...scenarios.Fault) *drillRig {
	tl := NewTimeline()
	g := &drillRig{tl: tl, wl: &fakeWorkload{tl: tl}, inj: &fakeInjector{tl: tl}, ver: &fakeVerifier{tl: tl},
		part: &fakePart{tl: tl}, progress: &syncBuffer{}}
	g.r = &Runner{Scenario: scenarioWith(d, faults...), Timeline: tl, Workload: g.wl, Parts: []Part{g.part},
		Injector: g.inj, Verifier: g.ver, Progress: g.progress}
	return g
}

// eventsOf returns the events of one kind and injection ("" for any).
func eventsOf(rec *Recording, kind EventKind, id string) []Event {
	var out []Event
	for _, e := range rec.Events {
		if e.Kind == kind && (id == "" || e.Injection == id) {
			out = append(out, e)
		}
	}
	return out
}

func one(t *testing.T, rec *Recording, kind EventKind, id string) Event {
	t.Helper()
	evs := eventsOf(rec, kind, id)
	if len(evs) != 1 {
		t.Fatalf("%d %s events of %q, want 1: %+v", len(evs), kind, id, rec.Events)
	}
	return evs[0]
}

func TestRunnerRunsTheSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// In the file out of time order: f0 kill at 200ms, f1 pause at
		// 50ms for 100ms, f2 stop at 100ms without for.
		g := newDrill(ms(300),
			fault(ms(200), scenarios.ActionKill, "postgres.primary", 0),
			fault(ms(50), scenarios.ActionPause, "app", ms(100)),
			fault(ms(100), scenarios.ActionStop, "postgres.r1", 0))
		g.inj.resolve, g.inj.apply = ms(10), ms(5)
		g.r.Settle = ms(50)
		rec, err := g.r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}

		// Injections in time order, each at or after its time.
		calls := g.inj.injected()
		var ids []string
		for i, c := range calls {
			ids = append(ids, c.id)
			if i > 0 && c.at < calls[i-1].at {
				t.Errorf("%s injected at %s, before %s at %s", c.id, c.at, calls[i-1].id, calls[i-1].at)
			}
		}
		if !slices.Equal(ids, []string{"f1", "f2", "f0"}) {
			t.Fatalf("injected %v, want f1, f2, f0 (time order)", ids)
		}
		var recIDs []string
		for _, in := range rec.Injections {
			recIDs = append(recIDs, in.ID)
		}
		if !slices.Equal(recIDs, ids) {
			t.Errorf("recording's injections %v", recIDs)
		}
		sched := map[string]time.Duration{"f0": ms(200), "f1": ms(50), "f2": ms(100)}
		end := one(t, rec, EventDrillEnd, "")
		if rec.Duration != end.At || end.At < ms(300) {
			t.Errorf("drill.end at %s, recording duration %s, timeline 300ms", end.At, rec.Duration)
		}

		// Every injection's events carry its id; resolution comes first,
		// and the injection instant is the effect's, after it.
		for _, c := range calls {
			res := one(t, rec, EventFaultResolved, c.id)
			inj := one(t, rec, EventFaultInjected, c.id)
			if c.at < sched[c.id] || res.At < sched[c.id] {
				t.Errorf("%s: called at %s, resolution began at %s; scheduled at %s", c.id, c.at, res.At, sched[c.id])
			}
			if res.Span < g.inj.resolve || inj.At < res.At+res.Span {
				t.Errorf("%s: resolved %s+%s, injected at %s", c.id, res.At, res.Span, inj.At)
			}
			if inj.Span < g.inj.apply || inj.Evidence != "done "+c.id || len(inj.Nodes) != 2 || inj.Target != inj.Nodes[0] {
				t.Errorf("%s: injected event %+v", c.id, inj)
			}
			if inj.At > end.At {
				t.Errorf("%s injected after drill.end", c.id)
			}
		}

		// f1 is reverted once at the end of its for, counted from its
		// effect, before the drill ends.
		f1 := one(t, rec, EventFaultInjected, "f1")
		rv := one(t, rec, EventFaultReverted, "f1")
		if rv.At < f1.At+ms(100) || rv.At > end.At {
			t.Errorf("f1 reverted at %s; injected at %s for 100ms, drill.end at %s", rv.At, f1.At, end.At)
		}
		if rv.Evidence != "undone f1" || !strings.Contains(rv.Detail, "end of for") || !slices.Equal(rv.Nodes, f1.Nodes) {
			t.Errorf("f1 reverted event %+v", rv)
		}
		if n := len(g.inj.revertsOf("f1")); n != 1 {
			t.Errorf("f1 reverted %d times", n)
		}
		// f2 has no for: reverted once, at the end of the drill, after the
		// workload stopped.
		rv2 := one(t, rec, EventFaultReverted, "f2")
		if rv2.At < end.At || !strings.Contains(rv2.Detail, "end of drill") {
			t.Errorf("f2 reverted event %+v, drill.end at %s", rv2, end.At)
		}
		if n := len(g.inj.revertsOf("f2")); n != 1 {
			t.Errorf("f2 reverted %d times", n)
		}
		// f0 is a kill: nothing to revert.
		if evs := eventsOf(rec, EventFaultReverted, "f0"); len(evs) != 0 {
			t.Errorf("a kill was reverted: %+v", evs)
		}

		// drill.end before the workload's context ended; the parts run
		// through the settle period, then the read-back.
		if !g.wl.endBeforeDone || g.wl.done < end.At {
			t.Errorf("the workload saw its context end at %s (drill.end at %s, on the timeline then: %v)", g.wl.done, end.At, g.wl.endBeforeDone)
		}
		if g.part.started > g.wl.started || g.part.stopped < end.At+g.r.Settle || g.part.stopped < rv2.At {
			t.Errorf("part ran %s..%s; workload from %s, drill.end %s, settle %s, last revert %s",
				g.part.started, g.part.stopped, g.wl.started, end.At, g.r.Settle, rv2.At)
		}
		if !g.ver.called || g.ver.at < g.part.stopped {
			t.Errorf("read back at %s (called %v), parts stopped at %s", g.ver.at, g.ver.called, g.part.stopped)
		}
		if !rec.ReadBack["w-1"] || rec.ReadFrom != "pg-r1" || rec.ReadBackErr != nil {
			t.Errorf("read-back not recorded: %+v", rec)
		}
		if one(t, rec, EventDrillStart, "").At > g.wl.started {
			t.Error("drill.start after the workload started")
		}
	})
}

// TestRunnerInterrupt: an interrupt while a fault is in effect, and one
// while a fault is being applied: each revert runs once, detached from the
// cancelled context, and Run returns the context's cause.
func TestRunnerInterrupt(t *testing.T) {
	for _, c := range []struct {
		name     string
		apply    time.Duration
		cancelAt time.Duration
	}{
		{"in effect", 0, ms(150)},
		{"while applying", ms(200), ms(100)},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newDrill(ms(300), fault(ms(50), scenarios.ActionPause, "app", ms(200)))
				g.inj.apply = c.apply
				interrupt := errors.New("SIGINT")
				ctx, cancel := context.WithCancelCause(context.Background())
				defer cancel(nil)
				time.AfterFunc(c.cancelAt, func() { cancel(interrupt) })
				rec, err := g.r.Run(ctx)
				if !errors.Is(err, interrupt) {
					t.Fatalf("err %v, want the context's cause %v", err, interrupt)
				}
				if rec == nil {
					t.Fatal("no recording")
				}
				reverts := g.inj.revertsOf("f0")
				if len(reverts) != 1 {
					t.Fatalf("f0 reverted %d times, want once", len(reverts))
				}
				if reverts[0].err != nil {
					t.Errorf("the revert got a context already done (%v): it would be cut short", reverts[0].err)
				}
				if reverts[0].at < c.cancelAt {
					t.Errorf("reverted at %s, before the interrupt at %s", reverts[0].at, c.cancelAt)
				}
				rv := one(t, rec, EventFaultReverted, "f0")
				if !strings.Contains(rv.Detail, "interrupted") {
					t.Errorf("reverted event %+v", rv)
				}
				end := one(t, rec, EventDrillEnd, "")
				if !g.wl.endBeforeDone || end.At < c.cancelAt || rec.Duration != end.At {
					t.Errorf("drill.end at %s, duration %s, before the workload's end: %v", end.At, rec.Duration, g.wl.endBeforeDone)
				}
				if g.ver.called {
					t.Error("an interrupted drill read back")
				}
				if g.part.stopped < rv.At {
					t.Errorf("the parts stopped at %s, before the revert at %s", g.part.stopped, rv.At)
				}
			})
		})
	}
}

// TestRunnerPanic: a panic in the workload or in a background part ends
// the drill with the panic as its error, and the fault in effect is still
// reverted, once.
func TestRunnerPanic(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(g *drillRig)
		want string
	}{
		{"workload", func(g *drillRig) { g.wl.panicAt = ms(120) }, "workload panicked: probe exploded"},
		{"part", func(g *drillRig) { g.part.panicAt = ms(120) }, "fake-manager panicked: manager exploded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newDrill(ms(300), fault(ms(50), scenarios.ActionStop, "app", ms(200)),
					fault(ms(200), scenarios.ActionKill, "postgres.primary", 0))
				c.set(g)
				rec, err := g.r.Run(context.Background())
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err %v, want %q", err, c.want)
				}
				if rec == nil {
					t.Fatal("no recording")
				}
				if n := len(g.inj.revertsOf("f0")); n != 1 {
					t.Errorf("f0 reverted %d times, want once", n)
				}
				if rv := one(t, rec, EventFaultReverted, "f0"); rv.At < ms(120) {
					t.Errorf("reverted at %s, before the panic", rv.At)
				}
				if ids := g.inj.injected(); len(ids) != 1 {
					t.Errorf("injections after the panic: %v", ids)
				}
				if g.ver.called {
					t.Error("read back after a panic")
				}
			})
		})
	}
}

// TestRunnerSurvivesInjectorPanic: a panic in a fault (the Injector runs it
// in the injection's own goroutine) must end the drill like one in the
// workload, reverting what is in effect, instead of killing the process
// with faults in effect and no teardown. It runs in a child process so
// that the panic, if it escapes, fails this test instead of the package.
func TestRunnerSurvivesInjectorPanic(t *testing.T) {
	const env = "FIREDRILL_TEST_INJECTOR_PANIC"
	if os.Getenv(env) == "1" {
		injectorPanicDrill(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunnerSurvivesInjectorPanic$", "-test.v")
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the drill's process ended with %v:\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestRunnerSurvivesInjectorPanic") {
		t.Fatalf("the child did not run the drill:\n%s", out)
	}
}

func injectorPanicDrill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newDrill(ms(300), fault(ms(50), scenarios.ActionPause, "app", ms(200)),
			fault(ms(100), scenarios.ActionKill, "postgres.primary", 0))
		g.inj.panics = map[string]bool{"f1": true}
		rec, err := g.r.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "fault exploded") {
			t.Fatalf("err %v, want the injection's panic", err)
		}
		if rec == nil || len(g.inj.revertsOf("f0")) != 1 {
			t.Fatalf("f0 reverted %d times after the panic, want once", len(g.inj.revertsOf("f0")))
		}
	})
}

// TestRunnerCleanupCancelledSkipsReverts: a second Ctrl-C cancels Cleanup;
// pending reverts are skipped, and the progress says so.
func TestRunnerCleanupCancelledSkipsReverts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newDrill(ms(300), fault(ms(50), scenarios.ActionPause, "app", ms(200)))
		cleanup, force := context.WithCancel(context.Background())
		g.r.Cleanup = cleanup
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(ms(100), func() { force(); cancel() })
		rec, err := g.r.Run(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
		if n := len(g.inj.revertsOf("f0")); n != 0 {
			t.Errorf("f0 reverted %d times after the forced teardown", n)
		}
		if evs := eventsOf(rec, EventFaultReverted, ""); len(evs) != 0 {
			t.Errorf("reverted events: %+v", evs)
		}
		if !strings.Contains(g.progress.String(), "revert of f0 (pause app) skipped") {
			t.Errorf("progress does not say the revert was skipped:\n%s", g.progress)
		}
	})
}

// TestRunnerFailedInjection: a failed injection is recorded as
// fault.failed with its id, never as injected; a fault that failed part way
// and came with a Revert is still reverted.
func TestRunnerFailedInjection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newDrill(ms(300), fault(ms(50), scenarios.ActionPause, "app", ms(100)),
			fault(ms(100), scenarios.ActionKill, "postgres.primary", 0))
		g.inj.fail = map[string]error{"f0": errors.New("froze one node of two"), "f1": errors.New("no such container")}
		rec, err := g.r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]string{"f0": "froze one node of two", "f1": "no such container"} {
			f := one(t, rec, EventFaultFailed, id)
			if !strings.Contains(f.Detail, want) || len(f.Nodes) != 2 {
				t.Errorf("%s failed event %+v", id, f)
			}
			if evs := eventsOf(rec, EventFaultInjected, id); len(evs) != 0 {
				t.Errorf("%s failed and was recorded as injected: %+v", id, evs)
			}
		}
		if n := len(g.inj.revertsOf("f0")); n != 1 {
			t.Errorf("f0 failed part way and was reverted %d times, want once", n)
		}
		// At once, not at the end of the drill nor at the end of its for:
		// what it applied part way must not linger as an unmeasured fault.
		rv := one(t, rec, EventFaultReverted, "f0")
		if failed := one(t, rec, EventFaultFailed, "f0"); rv.At < failed.At || rv.At > failed.At+ms(10) {
			t.Errorf("f0 failed at %s and was reverted at %s, want right after the failure", failed.At, rv.At)
		}
		if !strings.Contains(rv.Detail, "failed") {
			t.Errorf("the revert does not say why it ran: %q", rv.Detail)
		}
		if !strings.Contains(g.progress.String(), "FAILED") {
			t.Errorf("progress does not say it failed:\n%s", g.progress)
		}
	})
}

func TestRunnerReadBackFailureIsRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newDrill(ms(300))
		g.ver.err = errors.New("no primary")
		rec, err := g.r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if rec.ReadBack != nil || !errors.Is(rec.ReadBackErr, g.ver.err) {
			t.Fatalf("read-back failure lost: %+v", rec)
		}
	})
}

// TestRunnerScheduleAddsInjections: a Schedule given to the Runner (the
// monkey adds to it) is what runs, instead of the scenario's faults.
func TestRunnerScheduleAddsInjections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newDrill(ms(300), fault(ms(200), scenarios.ActionKill, "app", 0))
		s := NewSchedule(g.r.Scenario)
		s.Add(Injection{ID: "m0", Source: SourceMonkey, Index: -1, At: ms(100), For: ms(50),
			Action: scenarios.ActionPause, Target: "postgres.r1"})
		g.r.Schedule = s
		rec, err := g.r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range g.inj.injected() {
			ids = append(ids, c.id)
		}
		if !slices.Equal(ids, []string{"m0", "f0"}) {
			t.Errorf("injected %v", ids)
		}
		in := one(t, rec, EventFaultInjected, "m0")
		if rv := one(t, rec, EventFaultReverted, "m0"); rv.At < in.At+ms(50) {
			t.Errorf("m0 reverted at %s, injected at %s for 50ms", rv.At, in.At)
		}
	})
}

// overlapWriter notices two Write calls in progress at once. It yields
// instead of sleeping while in a Write: in a synctest bubble a goroutine
// waiting on a mutex does not let the clock advance, so a sleep would hang
// a Runner that serialises its writes with one.
type overlapWriter struct {
	inFlight atomic.Int32
	overlaps atomic.Int32
}

func (w *overlapWriter) Write(p []byte) (int, error) {
	if w.inFlight.Add(1) > 1 {
		w.overlaps.Add(1)
	}
	for range 1000 { // a slow terminal: let another writer in
		runtime.Gosched()
	}
	w.inFlight.Add(-1)
	return len(p), nil
}

// TestRunnerProgressWritesDoNotOverlap: injections report from their own
// goroutines; Progress is a plain io.Writer (a terminal, a buffer in the
// CLI's tests), so the Runner must not write to it from two goroutines at
// once.
func TestRunnerProgressWritesDoNotOverlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newDrill(ms(300), fault(ms(100), scenarios.ActionKill, "app", 0),
			fault(ms(100), scenarios.ActionKill, "storage", 0),
			fault(ms(100), scenarios.ActionKill, "postgres.primary", 0))
		w := &overlapWriter{}
		g.r.Progress = w
		if _, err := g.r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := w.overlaps.Load(); n > 0 {
			t.Errorf("%d progress writes overlapped another", n)
		}
	})
}

// TestRunnerAnnouncesSettleAndReadBack: the live progress learns of the
// stages after the timeline from OnStage, in order, the read-back after
// the settle period.
func TestRunnerAnnouncesSettleAndReadBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newDrill(ms(300))
		g.r.Settle = ms(200)
		var stages []string
		var settleAt time.Duration
		g.r.OnStage = func(stage string) {
			stages = append(stages, stage)
			if stage == StageSettle {
				settleAt = g.tl.Now()
			} else if stage == StageReadBack && g.tl.Now()-settleAt < ms(200) {
				t.Errorf("read-back announced %s after the settle began, want after the %s settle", g.tl.Now()-settleAt, ms(200))
			}
		}
		if _, err := g.r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if want := []string{StageSettle, StageReadBack}; !slices.Equal(stages, want) {
			t.Errorf("stages %v, want %v", stages, want)
		}
	})
}

func TestScheduleOrdersByTime(t *testing.T) {
	scn := scenarioWith(time.Minute, fault(ms(30), "kill", "a", 0), fault(ms(10), "kill", "b", 0), fault(ms(30), "kill", "c", 0))
	s := NewSchedule(scn)
	s.Add(Injection{ID: "m0", At: ms(10)})
	var got []string
	for _, in := range s.Injections() {
		got = append(got, in.ID)
	}
	// Stable for equal times: f1 before m0, f0 before f2.
	if want := []string{"f1", "m0", "f0", "f2"}; !slices.Equal(got, want) {
		t.Errorf("schedule %v, want %v", got, want)
	}
	in := s.Injections()[2]
	if in.Index != 0 || in.Source != SourceTimeline || in.Label() != "f0 (kill a)" || in.AtMS != 30 {
		t.Errorf("f0 %+v", in)
	}
	sel := scenarios.Selector{Role: scenarios.RoleReplica, Mode: scenarios.ModeOne}
	if in := TimelineInjection(3, scenarios.Fault{Action: "pause", Selector: &sel}); in.Target != sel.String() || in.Target == "" {
		t.Errorf("a selector's injection names its target %q, want %q", in.Target, sel.String())
	}
}

func TestVerdictExitCodes(t *testing.T) {
	for v, want := range map[Verdict]int{VerdictPass: 0, VerdictFail: 1, VerdictInconclusive: 3, "": 3} {
		if got := v.ExitCode(); got != want {
			t.Errorf("%q.ExitCode() = %d, want %d", v, got, want)
		}
	}
}

func TestTimelineOrdersEvents(t *testing.T) {
	tl := NewTimeline()
	tl.Add(Event{At: ms(20), Kind: EventFaultInjected, Nodes: []string{"a"}})
	nodes := []string{"b"}
	tl.Add(Event{At: ms(10), Span: ms(2), Kind: EventFaultResolved, Nodes: nodes})
	nodes[0] = "changed"
	evs := tl.Events()
	if len(evs) != 2 || evs[0].Kind != EventFaultResolved || evs[0].AtMS != 10 || evs[0].SpanMS != 2 {
		t.Fatalf("events %+v", evs)
	}
	if evs[0].Nodes[0] != "b" {
		t.Error("the timeline kept the caller's slice")
	}
	evs[1].Kind = "mutated"
	if tl.Events()[1].Kind != EventFaultInjected {
		t.Error("Events returned the timeline's own slice")
	}
}
