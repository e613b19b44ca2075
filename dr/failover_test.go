package dr

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill"
)

// fakeCluster is a cluster whose nodes go down at given virtual times.
type fakeCluster struct {
	mu          sync.Mutex
	downAt      map[string]time.Time
	lsn         map[string]uint64
	promoteErrs int // fail this many promotions first
	fenced      []string
	promoted    []string
	checked     map[string]int
}

func (c *fakeCluster) Check(ctx context.Context, node string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked[node]++
	if t, ok := c.downAt[node]; ok && !time.Now().Before(t) {
		return errors.New("connection refused")
	}
	return nil
}

func (c *fakeCluster) Fence(ctx context.Context, node, method string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fenced = append(c.fenced, node+":"+method)
	return nil
}

func (c *fakeCluster) ReceivedLSN(ctx context.Context, node string) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.downAt[node]; ok && !time.Now().Before(t) {
		return 0, errors.New("down")
	}
	return c.lsn[node], nil
}

func (c *fakeCluster) Promote(ctx context.Context, node string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.promoteErrs > 0 {
		c.promoteErrs--
		return errors.New("promotion refused")
	}
	c.promoted = append(c.promoted, node)
	return nil
}

// kinds lists the event kinds, leaving out the manager's start event.
func kinds(evs []firedrill.Event) []firedrill.EventKind {
	var out []firedrill.EventKind
	for _, e := range withoutStart(evs) {
		out = append(out, e.Kind)
	}
	return out
}

func withoutStart(evs []firedrill.Event) []firedrill.Event {
	var out []firedrill.Event
	for _, e := range evs {
		if e.Kind != firedrill.EventManagerStart {
			out = append(out, e)
		}
	}
	return out
}

// The health-check phase is drawn from the seed: replayable, spread over
// the interval, and the detection instant moves with it (a fault at a
// whole second no longer always lands just after a successful check).
func TestHealthCheckPhase(t *testing.T) {
	seen := map[time.Duration]bool{}
	for seed := int64(0); seed < 50; seed++ {
		p := PhaseFor(seed, time.Second)
		if p < 0 || p >= time.Second {
			t.Fatalf("PhaseFor(%d) = %v, want within [0, 1s)", seed, p)
		}
		if PhaseFor(seed, time.Second) != p {
			t.Fatalf("PhaseFor(%d) is not deterministic", seed)
		}
		seen[p.Round(100*time.Millisecond)] = true
	}
	if len(seen) < 5 {
		t.Errorf("50 seeds gave only %d distinct phases (to 100ms): not spread over the interval", len(seen))
	}
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{downAt: map[string]time.Time{"p": start.Add(5 * time.Second)}, lsn: map[string]uint64{"s": 1},
			checked: map[string]int{}}
		tl := firedrill.NewTimelineAt(start)
		f := NewFailover(FailoverConfig{Primary: "p", Standbys: []string{"s"}, Interval: time.Second, Timeout: time.Second,
			FailuresBeforeAction: 2, Phase: 300 * time.Millisecond}, c, tl, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = f.Run(ctx)
		evs := tl.Events()
		if evs[0].Kind != firedrill.EventManagerStart || evs[0].Span != 300*time.Millisecond {
			t.Fatalf("first event %+v, want failover.start carrying the 300ms phase as its span", evs[0])
		}
		// Down at 5s: checks at 5.3s and 6.3s fail; detection at 6.3s, not at 7s.
		rest := withoutStart(evs)
		if len(rest) == 0 || rest[0].Kind != firedrill.EventDetect || rest[0].At != 6300*time.Millisecond {
			t.Fatalf("events %v, want a detect at 6.3s", rest)
		}
	})
}

func TestFailoverPromotesMostAdvancedStandby(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{
			downAt:  map[string]time.Time{"pg-primary": start.Add(5500 * time.Millisecond), "pg-b": start.Add(12 * time.Second)},
			lsn:     map[string]uint64{"pg-a": 100, "pg-b": 300, "pg-c": 200},
			checked: map[string]int{},
		}
		tl := firedrill.NewTimelineAt(start)
		f := NewFailover(FailoverConfig{Primary: "pg-primary", Standbys: []string{"pg-a", "pg-b", "pg-c"},
			Interval: time.Second, Timeout: time.Second, FailuresBeforeAction: 2, Fencing: "stop"}, c, tl, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := f.Run(ctx); err != nil {
			t.Fatal(err)
		}
		evs := withoutStart(tl.Events())
		want := []firedrill.EventKind{firedrill.EventDetect, firedrill.EventFence, firedrill.EventPromote,
			firedrill.EventDetect, firedrill.EventFence, firedrill.EventPromote}
		if got := kinds(evs); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("events = %v, want %v", got, want)
		}
		// Checks at 6s and 7s fail (down from 5.5s): detection at the second one.
		if evs[0].At != 7*time.Second {
			t.Errorf("detect at %v, want 7s", evs[0].At)
		}
		// After the failover the manager watches the new primary: when
		// pg-b goes down at 12s, it fails over again, to the best left.
		if len(c.promoted) != 2 || c.promoted[0] != "pg-b" || c.promoted[1] != "pg-c" {
			t.Errorf("promoted %v, want [pg-b pg-c] (the most advanced, then the best left)", c.promoted)
		}
		if len(c.fenced) != 2 || c.fenced[0] != "pg-primary:stop" || c.fenced[1] != "pg-b:stop" {
			t.Errorf("fenced %v", c.fenced)
		}
		if evs[3].At != 13*time.Second {
			t.Errorf("second detect at %v, want 13s (checks at 12s and 13s fail)", evs[3].At)
		}
	})
}

func TestFailoverRetriesAfterFailedPromotion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{downAt: map[string]time.Time{"p": start}, lsn: map[string]uint64{"s": 1},
			promoteErrs: 1, checked: map[string]int{}}
		tl := firedrill.NewTimelineAt(start)
		f := NewFailover(FailoverConfig{Primary: "p", Standbys: []string{"s"}, Interval: time.Second,
			Timeout: time.Second, FailuresBeforeAction: 1}, c, tl, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5500*time.Millisecond)
		defer cancel()
		_ = f.Run(ctx)
		got := kinds(tl.Events())
		want := []firedrill.EventKind{firedrill.EventDetect, firedrill.EventFence, firedrill.EventFailoverError,
			firedrill.EventDetect, firedrill.EventFence, firedrill.EventPromote}
		if len(got) != len(want) {
			t.Fatalf("events = %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("events = %v, want %v", got, want)
			}
		}
	})
}

func TestFailoverWithNoStandbyReportsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{downAt: map[string]time.Time{"p": start}, checked: map[string]int{}}
		tl := firedrill.NewTimelineAt(start)
		f := NewFailover(FailoverConfig{Primary: "p", Interval: time.Second, Timeout: time.Second,
			FailuresBeforeAction: 2}, c, tl, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = f.Run(ctx)
		got := kinds(tl.Events())
		if len(got) != 1 || got[0] != firedrill.EventFailoverError {
			t.Fatalf("events = %v, want one failover.error", got)
		}
		if len(c.fenced) != 0 {
			t.Errorf("fenced %v with nothing to promote", c.fenced)
		}
	})
}

func TestHealthyPrimaryCausesNoFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &fakeCluster{downAt: map[string]time.Time{}, lsn: map[string]uint64{"s": 1}, checked: map[string]int{}}
		tl := firedrill.NewTimeline()
		f := NewFailover(FailoverConfig{Primary: "p", Standbys: []string{"s"}, Interval: time.Second,
			Timeout: time.Second, FailuresBeforeAction: 1}, c, tl, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = f.Run(ctx)
		if evs := withoutStart(tl.Events()); len(evs) != 0 {
			t.Fatalf("events = %v, want none", kinds(evs))
		}
		if c.checked["p"] < 29 {
			t.Fatalf("primary checked %d times in 30s at 1s interval", c.checked["p"])
		}
	})
}

// While a recovery plan holds the cluster the manager does not fail over,
// says so once, and fails over once the hold ends.
func TestFailoverStandsDownWhileHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{downAt: map[string]time.Time{"p": start}, lsn: map[string]uint64{"s": 1}, checked: map[string]int{}}
		tl := firedrill.NewTimelineAt(start)
		hold := &Hold{}
		hold.Begin("the database plan")
		f := NewFailover(FailoverConfig{Primary: "p", Standbys: []string{"s"}, Interval: time.Second, Timeout: time.Second,
			FailuresBeforeAction: 2, Fencing: "stop"}, c, tl, nil, WithHold(hold))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		go func() {
			time.Sleep(10 * time.Second)
			hold.End()
		}()
		if err := f.Run(ctx); err != nil {
			t.Fatal(err)
		}
		evs := withoutStart(tl.Events())
		if len(evs) == 0 || evs[0].Kind != firedrill.EventFailoverWithheld || !strings.Contains(evs[0].Detail, "the database plan") {
			t.Fatalf("first event %v, want one failover.withheld naming the plan", evs)
		}
		withheld := 0
		for _, e := range evs {
			if e.Kind == firedrill.EventFailoverWithheld {
				withheld++
			}
			if e.Kind == firedrill.EventPromote && e.At < 10*time.Second {
				t.Errorf("promoted at %s, while held", e.At)
			}
		}
		if withheld != 1 {
			t.Errorf("%d withheld events, want 1", withheld)
		}
		if len(c.promoted) != 1 || c.promoted[0] != "s" {
			t.Errorf("promoted %v after the hold ended, want [s]", c.promoted)
		}
	})
}

// When the primary and every standby fail their checks, the manager cannot
// tell clients cut off from nodes all lost: it withholds the failover once
// and says both, never that the primary is fine.
func TestFailoverWithheldWhenNothingAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{downAt: map[string]time.Time{"p": start, "s": start}, lsn: map[string]uint64{"s": 1}, checked: map[string]int{}}
		tl := firedrill.NewTimelineAt(start)
		f := NewFailover(FailoverConfig{Primary: "p", Standbys: []string{"s"}, Interval: time.Second, Timeout: time.Second,
			FailuresBeforeAction: 2, Fencing: "stop"}, c, tl, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.Run(ctx); err != nil {
			t.Fatal(err)
		}
		evs := withoutStart(tl.Events())
		if len(evs) != 1 || evs[0].Kind != firedrill.EventFailoverWithheld {
			t.Fatalf("events %v, want one failover.withheld", kinds(evs))
		}
		d := evs[0].Detail
		if strings.Contains(d, "not the primary") || !strings.Contains(d, "cut off") || !strings.Contains(d, "every node is down") {
			t.Errorf("detail %q: want both explanations (clients cut off, or every node down), and no claim that the primary is fine", d)
		}
		if len(c.promoted) != 0 || len(c.fenced) != 0 {
			t.Errorf("promoted %v, fenced %v with nothing reachable", c.promoted, c.fenced)
		}
	})
}

// Checks tells, while it lasts, how many checks in a row the primary has
// failed and how many the manager acts on: the live progress shows it.
func TestFailoverChecksShowsFailingChecksLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{downAt: map[string]time.Time{"p": start.Add(5 * time.Second)}, lsn: map[string]uint64{"s": 1}, checked: map[string]int{}}
		tl := firedrill.NewTimelineAt(start)
		f := NewFailover(FailoverConfig{Primary: "p", Standbys: []string{"s"}, Interval: time.Second, Timeout: time.Second,
			FailuresBeforeAction: 3, Fencing: "stop"}, c, tl, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var seen []int
		var poller sync.WaitGroup
		defer poller.Wait()
		poller.Go(func() {
			for ctx.Err() == nil {
				time.Sleep(500 * time.Millisecond)
				if ch := f.Checks(); ch.Failing > 0 && (len(seen) == 0 || seen[len(seen)-1] != ch.Failing) {
					seen = append(seen, ch.Failing)
					if ch.Of != 3 || ch.Primary != "p" {
						t.Errorf("checks %+v, want of 3 on p", ch)
					}
				}
			}
		})
		_ = f.Run(ctx)
		poller.Wait()
		if !slices.Equal(seen, []int{1, 2}) {
			t.Errorf("failing checks seen %v, want 1 then 2 (the third acts)", seen)
		}
		if ch := f.Checks(); ch.Failing != 0 || ch.Primary != "s" {
			t.Errorf("after the failover: %+v, want s watched, none failing", ch)
		}
	})
}
