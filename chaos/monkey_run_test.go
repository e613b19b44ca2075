package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/reports/score"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// The monkey and an abort condition end to end on the in-memory runtime:
// the Runner with this package's Injector and schedule, the root's abort
// watcher reading a ledger, and the scorer.

// monkeyDrillYAML: the monkey stops the app (the only path of the writes)
// every 2s on average from 1s, for 3s each; writes failing for 500ms
// abort the drill.
const monkeyDrillYAML = `apiVersion: firedrill/v1
name: monkey-abort
objectives: {rto: 10s}
environment:
  regions: [east]
  postgres:
    primary: {region: east}
    replicas: [{name: r1, region: east}]
  storage: {region: east}
  app: {region: east}
workload: {writes_per_second: 50, timeout: 200ms, stability_window: 1s}
timeline:
  duration: 20s
monkey:
  seed: 11
  mean_interval: 2s
  actions: [stop]
  targets: [app]
  fault_duration: 3s
  between: {start: 1s, end: 15s}
abort:
  - {metric: write_success_rate, below: 0.5, for: 500ms}
`

// appWorkload writes every 20ms into a ledger: ok while the app runs on
// the runtime, failed when it does not (as a refused connection is).
type appWorkload struct {
	tl     *firedrill.Timeline
	rt     *fakert.Runtime
	ledger *firedrill.Ledger
}

func (w *appWorkload) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for seq := int64(0); ; seq++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		sent := w.tl.Now()
		wg.Go(func() {
			time.Sleep(5 * time.Millisecond)
			op := firedrill.Op{ID: fmt.Sprintf("w-%d", seq), Seq: seq, Kind: "write", Due: sent, Sent: sent, Done: w.tl.Now(),
				Outcome: firedrill.OutcomeOK, Node: topology.NodePrimary}
			if w.rt.Snapshot(topology.NodeApp).Status != platform.StatusRunning {
				op.Outcome, op.Node, op.Error = firedrill.OutcomeFailed, "", "connection refused"
			}
			w.ledger.Add(op)
		})
	}
}

// ledgerVerifier reads back every acknowledged write.
type ledgerVerifier struct{ ledger *firedrill.Ledger }

func (v ledgerVerifier) ReadBack(context.Context) (map[string]bool, string, error) {
	ids := map[string]bool{}
	for _, op := range v.ledger.Ops() {
		if op.Outcome == firedrill.OutcomeOK {
			ids[op.ID] = true
		}
	}
	return ids, topology.NodePrimary, nil
}

func TestMonkeyDrillAbortsAndLeavesNothingBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		scn, err := scenarios.LoadBytes("monkey-abort.yaml", []byte(monkeyDrillYAML))
		if err != nil {
			t.Fatal(err)
		}
		topo := topology.New(scn)
		rt := fakert.New()
		for _, n := range topo.Nodes {
			rt.Add(n.Name, n.Networks...)
		}
		tl := firedrill.NewTimeline()
		ledger := &firedrill.Ledger{}
		seed := *scn.Monkey.Seed
		sched := chaos.Schedule(scn, seed)
		if len(sched.Injections()) < 3 {
			t.Fatalf("seed %d drew %d monkey faults; the test wants several", seed, len(sched.Injections()))
		}
		runner := &firedrill.Runner{
			Scenario: scn, Timeline: tl, Schedule: sched,
			Workload: &appWorkload{tl: tl, rt: rt, ledger: ledger},
			Injector: chaos.NewInjector(topo, rt, topo.Initial(), tl, chaos.WithSeed(seed)),
			Verifier: ledgerVerifier{ledger},
			Aborts: firedrill.NewAbortWatcher(scn.Abort, tl, firedrill.WithOps(ledger),
				firedrill.WithOutcomeWithin(scn.Workload.Timeout.Duration)),
			Settle: 100 * time.Millisecond,
		}
		rec, err := runner.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}

		m1 := rec.Injections[0]
		if m1.ID != "m1" || m1.Action != scenarios.ActionStop || m1.For != 3*time.Second {
			t.Fatalf("first injection %+v", m1)
		}
		// The stop makes every write fail: 500ms of windows under 0.5,
		// a window lagging by the timeout and a little.
		a := rec.Abort
		if a == nil || a.Metric != scenarios.MetricWriteSuccessRate || a.Value >= 0.5 {
			t.Fatalf("abort %+v; events %+v", a, rec.Events)
		}
		if a.At <= m1.At || a.At > m1.At+2*time.Second || a.At-a.Since < 500*time.Millisecond {
			t.Errorf("aborted at %s (holding since %s) after m1 at %s", a.At, a.Since, m1.At)
		}
		if rec.Duration < a.At || rec.Duration > a.At+100*time.Millisecond {
			t.Errorf("drill ended at %s, abort at %s", rec.Duration, a.At)
		}
		// m1 is reverted by the abort, before its 3s are up: the app runs
		// again, nothing is left behind.
		var reverted *firedrill.Event
		for _, e := range rec.Events {
			if e.Kind == firedrill.EventFaultReverted && e.Injection == "m1" {
				reverted = &e
			}
		}
		if reverted == nil || !strings.Contains(reverted.Detail, "drill aborted") || reverted.At >= m1.At+3*time.Second {
			t.Errorf("m1 reverted: %+v", reverted)
		}
		if st := rt.Snapshot(topology.NodeApp); st.Status != platform.StatusRunning {
			t.Errorf("the app is left %s", st.Status)
		}
		// Every later monkey fault is on the timeline as skipped.
		for _, in := range rec.Injections[1:] {
			var kinds []firedrill.EventKind
			for _, e := range rec.Events {
				if e.Injection == in.ID {
					kinds = append(kinds, e.Kind)
				}
			}
			if in.At > a.At && !slices.Equal(kinds, []firedrill.EventKind{firedrill.EventFaultSkipped}) {
				t.Errorf("%s at %s after the abort: events %v, want one fault.skipped", in.ID, in.At, kinds)
			}
		}

		// Scored: a fail, the condition named first; every monkey fault has
		// its own entry.
		res := score.Score(score.Input{Scenario: scn, Duration: rec.Duration, Events: rec.Events, Injections: rec.Injections,
			Ops: ledger.Ops(), ReadBack: rec.ReadBack, ReadFrom: rec.ReadFrom, Abort: rec.Abort})
		if res.Verdict != firedrill.VerdictFail || !strings.Contains(res.Reasons[0], "write_success_rate below 0.5 for 500ms") {
			t.Errorf("verdict %s, reasons %q", res.Verdict, res.Reasons)
		}
		if len(res.Faults) != len(rec.Injections) || res.Faults[0].ID != "m1" || !res.Faults[0].Injected ||
			res.Faults[0].Evidence == "" || res.Faults[len(res.Faults)-1].Recovery != firedrill.RecoverySkipped {
			t.Errorf("faults %+v", res.Faults)
		}
	})
}

// A monkey selector is resolved when its fault is injected: role primary
// is the primary of that moment, and a pick among several matches comes
// from the run's seed and the injection's id, the same on a replay.
func TestMonkeySelectorResolvedAtInjection(t *testing.T) {
	scn := monkeyScenario(t, "  mean_interval: 1s\n  actions: [kill]\n  selectors:\n    - {role: primary}\n    - {role: replica}\n")
	sched := chaos.MonkeySchedule(scn, 5)
	var primaryFault, replicaFault *firedrill.Injection
	for i := range sched {
		switch sched[i].Fault.Selector.Role {
		case scenarios.RolePrimary:
			primaryFault = &sched[i]
		case scenarios.RoleReplica:
			replicaFault = &sched[i]
		}
	}
	if primaryFault == nil || replicaFault == nil {
		t.Fatal("seed 5 drew no fault of one of the selectors")
	}

	// After a failover to r2, role primary is r2.
	st := &slowState{primary: "pg-r2"}
	r := newRig(t, st, chaos.WithSeed(5))
	st.tl = r.tl
	ap, err := r.in.Inject(bg, *primaryFault)
	if err != nil || !slices.Equal(ap.Nodes, []string{"pg-r2"}) {
		t.Errorf("role primary hit %v (%v), want pg-r2, the primary at injection", ap.Nodes, err)
	}

	// Role replica: one of pg-primary, pg-r1, pg-r3 (r2 is primary), the
	// same one on a replay with the seed.
	pick := func(seed int64) string {
		st := &slowState{primary: "pg-r2"}
		r := newRig(t, st, chaos.WithSeed(seed))
		st.tl = r.tl
		ap, err := r.in.Inject(bg, *replicaFault)
		if err != nil || len(ap.Nodes) != 1 || ap.Nodes[0] == "pg-r2" {
			t.Fatalf("role replica hit %v (%v)", ap.Nodes, err)
		}
		return ap.Nodes[0]
	}
	if a, b := pick(5), pick(5); a != b {
		t.Errorf("seed 5 picked %s, then %s", a, b)
	}
	seen := map[string]bool{}
	for seed := range int64(12) {
		seen[pick(seed)] = true
	}
	if len(seen) < 2 {
		t.Errorf("twelve seeds all picked %v", seen)
	}
}

// The Injector says whether a node runs, for max_at_once, and a target
// matching nothing is ErrNothingToHit (the Runner skips a monkey fault).
func TestInjectorNodeStatesAndNothingToHit(t *testing.T) {
	r := newRig(t, nil)
	if ok, err := r.in.Running(bg, "pg-r1"); !ok || err != nil {
		t.Errorf("pg-r1 running %v (%v)", ok, err)
	}
	if _, err := r.in.Inject(bg, injection(0, scenarios.ActionKill, "postgres.r1", scenarios.Params{})); err != nil {
		t.Fatal(err)
	}
	if ok, err := r.in.Running(bg, "pg-r1"); ok || err != nil {
		t.Errorf("killed pg-r1 running %v (%v)", ok, err)
	}
	r.rt.Fail(fakert.OpState, "pg-r2", fmt.Errorf("daemon gone"))
	if _, err := r.in.Running(bg, "pg-r2"); err == nil || !strings.Contains(err.Error(), "pg-r2") {
		t.Errorf("an unreadable state: %v", err)
	}
	_, err := r.in.Inject(bg, selectorInjection(1, scenarios.ActionKill, scenarios.Selector{Labels: map[string]string{"none": "x"}}))
	if !errors.Is(err, firedrill.ErrNothingToHit) {
		t.Errorf("a selector matching nothing: %v, want ErrNothingToHit", err)
	}
}
