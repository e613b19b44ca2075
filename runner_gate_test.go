package firedrill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// monkeyDrill is a drill whose schedule is the given monkey faults (and
// timeline faults), with max_at_once max.
func monkeyDrill(d time.Duration, max int, monkey []scenarios.Fault, timeline ...scenarios.Fault) *drillRig {
	g := newDrill(d, timeline...)
	g.r.Scenario.Monkey = &scenarios.Monkey{MaxAtOnce: max}
	g.r.Schedule = NewSchedule(g.r.Scenario)
	for i, f := range monkey {
		g.r.Schedule.Add(MonkeyInjection(i+1, f))
	}
	return g
}

func injectedIDs(g *drillRig) []string {
	var ids []string
	for _, c := range g.inj.injected() {
		ids = append(ids, c.id)
	}
	return ids
}

// A monkey fault due while max_at_once monkey faults are in effect is
// skipped, on the timeline with the reason; once the earlier fault is
// reverted there is room again.
func TestMonkeyMaxAtOnceSkipsWhileAFaultIsInEffect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := monkeyDrill(ms(300), 1, []scenarios.Fault{
			fault(ms(50), scenarios.ActionPause, "app", ms(100)),
			fault(ms(100), scenarios.ActionStop, "postgres.r1", ms(50)),
			fault(ms(200), scenarios.ActionPause, "app", ms(50)),
		})
		rec, err := g.r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ids := injectedIDs(g); !slices.Equal(ids, []string{"m1", "m3"}) {
			t.Fatalf("injected %v, want m1 and m3 (m2 over max_at_once)", ids)
		}
		sk := one(t, rec, EventFaultSkipped, "m2")
		if sk.At < ms(100) || !strings.Contains(sk.Detail, "monkey.max_at_once 1 reached: m1 (pause app) in effect") {
			t.Errorf("m2 skipped at %s: %q", sk.At, sk.Detail)
		}
		if !strings.Contains(g.progress.String(), "fault m2 (stop postgres.r1) skipped: monkey.max_at_once 1") {
			t.Errorf("progress does not say m2 was skipped:\n%s", g.progress.String())
		}
		if len(eventsOf(rec, EventFaultFailed, "")) > 0 {
			t.Errorf("a skip is not a failure: %+v", eventsOf(rec, EventFaultFailed, ""))
		}
	})
	// With two at once, nothing is skipped.
	synctest.Test(t, func(t *testing.T) {
		g := monkeyDrill(ms(300), 2, []scenarios.Fault{
			fault(ms(50), scenarios.ActionPause, "app", ms(100)),
			fault(ms(100), scenarios.ActionStop, "postgres.r1", ms(50)),
		})
		rec, err := g.r.Run(context.Background())
		if err != nil || len(eventsOf(rec, EventFaultSkipped, "")) > 0 || len(injectedIDs(g)) != 2 {
			t.Fatalf("err %v, injected %v, skipped %+v", err, injectedIDs(g), eventsOf(rec, EventFaultSkipped, ""))
		}
	})
}

// A fault being applied counts too: a stop still in its grace period when
// the next monkey fault is due.
func TestMonkeyMaxAtOnceCountsAFaultBeingApplied(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := monkeyDrill(ms(300), 1, []scenarios.Fault{
			fault(ms(50), scenarios.ActionKill, "postgres.primary", 0),
			fault(ms(60), scenarios.ActionKill, "postgres.r1", 0),
		})
		g.inj.apply = ms(50) // m1's kill takes 50ms to land
		states := &nodesRunningFrom{tl: g.tl, from: 0}
		g.r.Injector = &injectorWithStates{fakeInjector: g.inj, states: states}
		rec, err := g.r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if sk := one(t, rec, EventFaultSkipped, "m2"); !strings.Contains(sk.Detail, "m1 (kill postgres.primary) being injected") {
			t.Errorf("m2 skipped for %q", sk.Detail)
		}
	})
}

// nodesRunningFrom says every node runs from the offset from on.
type nodesRunningFrom struct {
	tl   *Timeline
	from time.Duration
	err  error
}

func (n *nodesRunningFrom) Running(context.Context, string) (bool, error) {
	return n.tl.Now() >= n.from, n.err
}

type injectorWithStates struct {
	*fakeInjector
	states NodeStates
}

func (i *injectorWithStates) Running(ctx context.Context, node string) (bool, error) {
	return i.states.Running(ctx, node)
}

// A node the monkey killed counts until it runs again, as the platform
// says; an Injector that cannot say keeps it counted, and so does a
// node whose state cannot be read.
func TestMonkeyKilledNodeCountsUntilItRunsAgain(t *testing.T) {
	faults := []scenarios.Fault{
		fault(ms(50), scenarios.ActionKill, "postgres.primary", 0),
		fault(ms(100), scenarios.ActionKill, "postgres.r1", 0),
		fault(ms(200), scenarios.ActionKill, "postgres.r1", 0),
	}
	for name, c := range map[string]struct {
		states NodeStates
		want   []string
		detail string
	}{
		"runs again at 150ms": {&nodesRunningFrom{from: ms(150)}, []string{"m1", "m3"},
			"m1 (kill postgres.primary): node-postgres.primary, other-postgres.primary not running again yet"},
		"cannot tell": {nil, []string{"m1"}, "not running again yet"},
		"state unknown": {&nodesRunningFrom{err: errors.New("daemon gone")}, []string{"m1"},
			"node-postgres.primary (state unknown: daemon gone)"},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := monkeyDrill(ms(300), 1, faults)
				if c.states != nil {
					if s, ok := c.states.(*nodesRunningFrom); ok {
						s.tl = g.tl
					}
					g.r.Injector = &injectorWithStates{fakeInjector: g.inj, states: c.states}
				}
				rec, err := g.r.Run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if ids := injectedIDs(g); !slices.Equal(ids, c.want) {
					t.Errorf("injected %v, want %v", ids, c.want)
				}
				if sk := one(t, rec, EventFaultSkipped, "m2"); !strings.Contains(sk.Detail, c.detail) {
					t.Errorf("m2 skipped for %q, want it to say %q", sk.Detail, c.detail)
				}
			})
		})
	}
}

// A monkey fault whose target matches nothing at its time is skipped (the
// monkey picks among what is there); a timeline fault that does the same
// fails, since the scenario asked for that target.
func TestNothingToHitSkipsOnlyMonkeyFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := monkeyDrill(ms(300), 3,
			[]scenarios.Fault{fault(ms(100), scenarios.ActionKill, "postgres.replica", 0)},
			fault(ms(50), scenarios.ActionKill, "postgres.replica", 0))
		none := fmt.Errorf("%w: resolve postgres.replica: no node matches", ErrNothingToHit)
		g.inj.fail = map[string]error{"f0": none, "m1": none}
		rec, err := g.r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if f := one(t, rec, EventFaultFailed, "f0"); !strings.Contains(f.Detail, "nothing to hit") {
			t.Errorf("f0 failed with %q", f.Detail)
		}
		if sk := one(t, rec, EventFaultSkipped, "m1"); !strings.HasPrefix(sk.Detail, "nothing to hit at its time: nothing to hit: resolve postgres.replica") {
			t.Errorf("m1 skipped for %q", sk.Detail)
		}
		if n := len(eventsOf(rec, EventFaultFailed, "m1")) + len(eventsOf(rec, EventFaultInjected, "m1")); n > 0 {
			t.Errorf("m1 has %d failed or injected events", n)
		}
	})
}

// abortAt is an AbortWatch whose condition trips at a given offset.
type abortAt struct {
	tl *Timeline
	at time.Duration
	// late returns a result only once ctx has ended (a watcher that raced
	// the end of the drill).
	late bool
}

func (a *abortAt) Watch(ctx context.Context) *AbortResult {
	res := func() *AbortResult {
		now := a.tl.Now()
		return &AbortResult{Metric: scenarios.MetricWriteSuccessRate, At: now, AtMS: Millis(now), Detail: "abort[0] write_success_rate below 0.5: 0.1"}
	}
	if a.late {
		<-ctx.Done()
		return res()
	}
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(a.at - a.tl.Now()):
		return res()
	}
}

// A tripped abort condition stops the drill early: drill.abort on the
// timeline, nothing injected after it (each such fault skipped, not
// failed), the workload stopped, the fault in effect reverted, the parts
// stopped after the settle period and the writes read back as at a
// normal end.
func TestAbortStopsTheDrillEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newDrill(ms(1000),
			fault(ms(50), scenarios.ActionPause, "app", ms(800)),
			fault(ms(400), scenarios.ActionKill, "postgres.primary", 0))
		g.r.Aborts = &abortAt{tl: g.tl, at: ms(120)}
		g.r.Settle = ms(30)
		rec, err := g.r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ab := one(t, rec, EventAbort, "")
		if ab.At < ms(120) || ab.Detail != "abort[0] write_success_rate below 0.5: 0.1" || rec.Abort == nil || rec.Abort.At != ab.At {
			t.Errorf("drill.abort %+v, recording's abort %+v", ab, rec.Abort)
		}
		end := one(t, rec, EventDrillEnd, "")
		if end.At < ab.At || end.At >= ms(400) || rec.Duration != end.At {
			t.Errorf("drill.end at %s after an abort at %s", end.At, ab.At)
		}
		if g.wl.done < ab.At || g.wl.done >= ms(400) || !g.wl.endBeforeDone {
			t.Errorf("workload stopped at %s (drill.end first: %v)", g.wl.done, g.wl.endBeforeDone)
		}
		rv := one(t, rec, EventFaultReverted, "f0")
		if rv.At < ab.At || rv.At >= ms(400) || !strings.Contains(rv.Detail, "(drill aborted)") {
			t.Errorf("f0 reverted at %s: %q", rv.At, rv.Detail)
		}
		if ids := injectedIDs(g); !slices.Equal(ids, []string{"f0"}) {
			t.Errorf("injected %v, want f0 only", ids)
		}
		if sk := one(t, rec, EventFaultSkipped, "f1"); sk.Detail != "the drill was aborted before its time" {
			t.Errorf("f1 skipped for %q", sk.Detail)
		}
		if !g.ver.called || g.ver.at < rv.At || rec.ReadBack == nil {
			t.Errorf("read-back called %v at %s, after the revert at %s", g.ver.called, g.ver.at, rv.At)
		}
		if g.part.stopped < end.At+ms(30) {
			t.Errorf("parts stopped at %s, before the settle period after %s", g.part.stopped, end.At)
		}
		if !strings.Contains(g.progress.String(), "ABORT abort[0] write_success_rate below 0.5: 0.1; stopping the drill") {
			t.Errorf("progress:\n%s", g.progress.String())
		}
	})
}

// A reversible fault's `for` cut short by the abort is reverted once, by
// the end-of-drill path.
func TestAbortRevertsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newDrill(ms(500), fault(ms(10), scenarios.ActionStop, "postgres.r1", ms(300)))
		g.r.Aborts = &abortAt{tl: g.tl, at: ms(100)}
		if _, err := g.r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if rv := g.inj.revertsOf("f0"); len(rv) != 1 || rv[0].at >= ms(310) {
			t.Errorf("reverts of f0: %+v, want one, before the end of its for", rv)
		}
	})
}

// A condition that trips as the measured part ends does not abort a drill
// that is over: no drill.abort, no abort in the recording.
func TestAbortAfterTheEndIsIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newDrill(ms(200), fault(ms(50), scenarios.ActionKill, "postgres.primary", 0))
		g.r.Aborts = &abortAt{tl: g.tl, late: true}
		rec, err := g.r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if rec.Abort != nil || len(eventsOf(rec, EventAbort, "")) > 0 {
			t.Errorf("aborted after the end: %+v", rec.Abort)
		}
	})
}

// An interrupt after an abort is still an interrupt: the drill returns the
// cause, with every fault reverted.
func TestInterruptDuringAbortedDrill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newDrill(ms(1000), fault(ms(10), scenarios.ActionPause, "app", ms(900)))
		g.r.Aborts = &abortAt{tl: g.tl, at: ms(50)}
		g.r.Settle = ms(500)
		ctx, cancel := context.WithCancelCause(context.Background())
		go func() {
			time.Sleep(ms(200))
			cancel(errors.New("SIGINT"))
		}()
		rec, err := g.r.Run(ctx)
		if err == nil || err.Error() != "SIGINT" {
			t.Fatalf("err %v, want the interrupt", err)
		}
		if rec.Abort == nil || len(g.inj.revertsOf("f0")) != 1 {
			t.Errorf("abort %+v, reverts %+v", rec.Abort, g.inj.revertsOf("f0"))
		}
	})
}
