package dr

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill"
)

// appView is the cluster as the app sees it, which may differ from what
// the harness sees (fakeCluster.Check): a partition between the app and
// the primary, or the app cut off from everything.
type appView struct {
	mu sync.Mutex
	// cut says, per node, from when the app cannot reach it.
	cut map[string]time.Time
	// dieAt: the watcher's sidecar dies then (zero: never); until backAt
	// no new one can be started (the app is down: no namespace).
	dieAt, backAt time.Time
	watches       int
}

func (v *appView) Where() string { return "app" }

func (v *appView) reachable(node string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	t, ok := v.cut[node]
	return !ok || time.Now().Before(t)
}

func (v *appView) Watch(ctx context.Context, spec WatchSpec) (Watch, error) {
	v.mu.Lock()
	now := time.Now()
	if !v.dieAt.IsZero() && !now.Before(v.dieAt) && now.Before(v.backAt) {
		v.mu.Unlock()
		return nil, errors.New("app is exited: no network namespace to watch from")
	}
	v.watches++
	dieAt := v.dieAt
	v.mu.Unlock()
	wctx, cancel := context.WithCancel(context.Background())
	w := &dyingWatch{rounds: make(chan Round), cancel: cancel, done: make(chan struct{})}
	if !dieAt.IsZero() && now.Before(dieAt) {
		time.AfterFunc(time.Until(dieAt), func() { w.die(errors.New("app restarted: the watcher's network namespace is gone")) })
	}
	go func() {
		defer close(w.done)
		defer close(w.rounds)
		RunRounds(wctx, spec, func(ctx context.Context, node string) error {
			if !v.reachable(node) {
				<-ctx.Done() // packets dropped: the check hangs until its timeout
				return errors.New("connect: i/o timeout")
			}
			return nil
		}, func(r Round) {
			select {
			case w.rounds <- r:
			case <-wctx.Done():
			}
		})
	}()
	return w, nil
}

type dyingWatch struct {
	rounds chan Round
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

func (w *dyingWatch) die(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	w.cancel()
}
func (w *dyingWatch) Rounds() <-chan Round { return w.rounds }
func (w *dyingWatch) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}
func (w *dyingWatch) Stop(context.Context) error { w.cancel(); <-w.done; return nil }

func eventsOf(evs []firedrill.Event, kind firedrill.EventKind) []firedrill.Event {
	var out []firedrill.Event
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// runManager runs a manager watching from view for d of virtual time.
func runManager(t *testing.T, c *fakeCluster, view Vantage, cfg FailoverConfig, d time.Duration) []firedrill.Event {
	t.Helper()
	tl := firedrill.NewTimeline()
	f := NewFailover(cfg, c, tl, nil, WithVantage(view))
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := f.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return tl.Events()
}

var twoStandbys = FailoverConfig{Primary: "pg-primary", Standbys: []string{"pg-a", "pg-b"}, Interval: time.Second,
	Timeout: time.Second, FailuresBeforeAction: 2, Fencing: "stop", Phase: 300 * time.Millisecond}

// The primary is cut off from the app but fine from the harness: the
// manager, judging from the app, fails over; the harness's own view is
// never asked.
func TestPrimaryCutOffFromTheAppIsFailedOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{downAt: map[string]time.Time{}, lsn: map[string]uint64{"pg-a": 100, "pg-b": 300}, checked: map[string]int{}}
		view := &appView{cut: map[string]time.Time{"pg-primary": start.Add(5 * time.Second)}}
		evs := runManager(t, c, view, twoStandbys, 20*time.Second)
		got := kinds(evs)
		if len(got) != 3 || got[0] != firedrill.EventDetect || got[1] != firedrill.EventFence || got[2] != firedrill.EventPromote {
			t.Fatalf("events %v, want detect, fence, promote", got)
		}
		// Rounds at 5.3s and 6.3s hang for their 1s timeout: detect at 7.3s.
		if d := evs[1]; d.Kind != firedrill.EventDetect || d.At != 7300*time.Millisecond || !strings.Contains(d.Detail, "from app") {
			t.Errorf("detect %+v, want at 7.3s, judged from app", d)
		}
		if len(c.fenced) != 1 || c.fenced[0] != "pg-primary:stop" || len(c.promoted) != 1 || c.promoted[0] != "pg-b" {
			t.Errorf("fenced %v, promoted %v; want pg-primary stopped, pg-b (the most advanced) promoted", c.fenced, c.promoted)
		}
		if c.checked["pg-primary"] != 0 {
			t.Errorf("the harness checked the primary %d times: the manager must judge from the app only", c.checked["pg-primary"])
		}
	})
}

// A standby the app cannot reach is never promoted, however advanced.
func TestOnlyAStandbyTheAppReachesIsPromoted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{downAt: map[string]time.Time{}, lsn: map[string]uint64{"pg-a": 100, "pg-b": 300}, checked: map[string]int{}}
		view := &appView{cut: map[string]time.Time{"pg-primary": start.Add(5 * time.Second), "pg-b": start}}
		runManager(t, c, view, twoStandbys, 20*time.Second)
		if len(c.promoted) != 1 || c.promoted[0] != "pg-a" {
			t.Errorf("promoted %v, want [pg-a]: pg-b is more advanced but the app cannot reach it", c.promoted)
		}
	})
}

// The app is cut off from everything: nothing is reachable from it, so a
// failover would help nobody. The manager fences nothing, promotes
// nothing, and says so once.
func TestAppCutOffFromEverythingCausesNoFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{downAt: map[string]time.Time{}, lsn: map[string]uint64{"pg-a": 1, "pg-b": 1}, checked: map[string]int{}}
		at := start.Add(5 * time.Second)
		view := &appView{cut: map[string]time.Time{"pg-primary": at, "pg-a": at, "pg-b": at}}
		evs := runManager(t, c, view, twoStandbys, 30*time.Second)
		if len(c.fenced) != 0 || len(c.promoted) != 0 {
			t.Fatalf("fenced %v, promoted %v with nothing reachable from the app", c.fenced, c.promoted)
		}
		w := eventsOf(evs, firedrill.EventFailoverWithheld)
		if len(w) != 1 || len(eventsOf(evs, firedrill.EventDetect)) != 0 {
			t.Fatalf("events %v, want exactly one failover.withheld and no detect", kinds(evs))
		}
		if !strings.Contains(w[0].Detail, "no standby is reachable") || w[0].At != 7300*time.Millisecond {
			t.Errorf("withheld %+v, want at 7.3s saying no standby is reachable", w[0])
		}
	})
}

// The app comes back after a cut: the outage ends without a failover,
// and a later real outage of the primary alone is still failed over.
func TestWithheldOutageEndsAndALaterOneIsFailedOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{downAt: map[string]time.Time{}, lsn: map[string]uint64{"pg-a": 1, "pg-b": 2}, checked: map[string]int{}}
		at := start.Add(5 * time.Second)
		view := &appView{cut: map[string]time.Time{"pg-primary": at, "pg-a": at, "pg-b": at}}
		tl := firedrill.NewTimeline()
		f := NewFailover(twoStandbys, c, tl, nil, WithVantage(view))
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		go func() {
			time.Sleep(10 * time.Second) // the cut heals; at 20s the primary alone goes
			view.mu.Lock()
			view.cut = map[string]time.Time{"pg-primary": start.Add(20 * time.Second)}
			view.mu.Unlock()
		}()
		_ = f.Run(ctx)
		evs := tl.Events()
		if n := len(eventsOf(evs, firedrill.EventFailoverWithheld)); n != 1 {
			t.Errorf("%d failover.withheld, want 1", n)
		}
		if len(c.promoted) != 1 || c.promoted[0] != "pg-b" {
			t.Errorf("promoted %v, want the later outage failed over to pg-b", c.promoted)
		}
		if d := eventsOf(evs, firedrill.EventDetect); len(d) != 1 || d[0].At < 20*time.Second {
			t.Errorf("detects %v, want one after 20s", d)
		}
	})
}

// The watcher dies with the app's namespace (the app restarted) while
// the primary is down: with no verdict the manager does not fail over,
// restarts the watcher at every round until it can, records the blind
// period, and fails over once it sees again.
func TestBlindManagerDoesNotFailOverAndSaysSo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{downAt: map[string]time.Time{"pg-primary": start.Add(5 * time.Second)},
			lsn: map[string]uint64{"pg-a": 1, "pg-b": 2}, checked: map[string]int{}}
		view := &appView{cut: map[string]time.Time{"pg-primary": start.Add(5 * time.Second)},
			dieAt: start.Add(6500 * time.Millisecond), backAt: start.Add(12 * time.Second)}
		tl := firedrill.NewTimeline()
		f := NewFailover(twoStandbys, c, tl, nil, WithVantage(view))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var promotedBy12 int
		go func() {
			time.Sleep(12 * time.Second)
			c.mu.Lock()
			promotedBy12 = len(c.promoted)
			c.mu.Unlock()
		}()
		_ = f.Run(ctx)
		if promotedBy12 != 0 {
			t.Fatalf("promoted %d times while blind", promotedBy12)
		}
		blind := eventsOf(tl.Events(), firedrill.EventFailoverBlind)
		if len(blind) != 1 {
			t.Fatalf("events %v, want one failover.blind", kinds(tl.Events()))
		}
		b := blind[0]
		// One round failed (5.3s, ended 6.3s) before the death at 6.5s.
		// Blind from the death to the first round of the watcher
		// started at the 12.3s round (this fake starts at once): that
		// round hangs for 1s on the down primary and ends at 13.3s.
		if b.At != 6500*time.Millisecond || b.At+b.Span != 13300*time.Millisecond ||
			strings.Contains(b.Detail, "6.5s") || !strings.Contains(b.Detail, "restarted") {
			t.Errorf("blind %+v, want from 6.5s to 13.3s saying the app restarted", b)
		}
		if view.watches < 2 {
			t.Errorf("%d watchers started, want the dead one restarted", view.watches)
		}
		if d := eventsOf(tl.Events(), firedrill.EventDetect); len(d) != 1 || d[0].At != 14300*time.Millisecond {
			t.Errorf("detects %+v, want one at 14.3s: two failed rounds of the new watcher, none from before the gap", d)
		}
	})
}

// A manager that cannot start any watcher is blind for the whole drill,
// never fails over, and the blind period is on the timeline.
func TestNoWatcherAtAllIsBlindToTheEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := &fakeCluster{downAt: map[string]time.Time{"pg-primary": start}, lsn: map[string]uint64{"pg-a": 1}, checked: map[string]int{}}
		view := &appView{dieAt: start, backAt: start.Add(time.Hour)}
		evs := runManager(t, c, view, twoStandbys, 10*time.Second)
		if len(c.fenced) != 0 || len(c.promoted) != 0 {
			t.Fatalf("acted while blind: fenced %v, promoted %v", c.fenced, c.promoted)
		}
		b := eventsOf(evs, firedrill.EventFailoverBlind)
		if len(b) != 1 || b[0].At != 0 || b[0].Span != 10*time.Second || !strings.Contains(b[0].Detail, "the drill ended") {
			t.Fatalf("blind events %+v, want one from 0 to the end", b)
		}
	})
}

// Rounds keep to the schedule: at First + k×Interval, even when a check
// takes the whole timeout and the timeout equals the interval; a watcher
// that starts late skips to the next round instead of running late.
func TestRunRoundsKeepsTheSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		spec := WatchSpec{Nodes: []string{"a", "b"}, First: start.Add(-2500 * time.Millisecond), Interval: time.Second, Timeout: time.Second}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var begun []time.Duration
		var mu sync.Mutex
		var rounds []Round
		RunRounds(ctx, spec, func(ctx context.Context, node string) error {
			if node == "a" {
				mu.Lock()
				begun = append(begun, time.Since(start))
				mu.Unlock()
				<-ctx.Done() // hangs for the whole timeout
				return errors.New("timeout")
			}
			return nil
		}, func(r Round) { rounds = append(rounds, r) })
		// Started 2.5s after First: round 3 (at 0.5s) is the first; then
		// 4, 5, 6 back to back at their instants (each check hangs 1s).
		want := []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond, 2500 * time.Millisecond, 3500 * time.Millisecond}
		if len(begun) < len(want) {
			t.Fatalf("checks began at %v, want %v", begun, want)
		}
		for i, w := range want {
			if begun[i] != w {
				t.Fatalf("checks began at %v, want %v", begun, want)
			}
		}
		if rounds[0].Seq != 3 || rounds[1].Seq != 4 || rounds[0].Reachable("a") || !rounds[0].Reachable("b") || rounds[0].Down["a"] != "timeout" {
			t.Errorf("rounds %+v", rounds[:2])
		}
	})
}
