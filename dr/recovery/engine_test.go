package recovery

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

const s = time.Second

var failoverPlan = scenarios.Recovery{Database: []string{scenarios.StepPromoteReplica, scenarios.StepRebuildReplicas, scenarios.StepHealthCheck}}

// rebuildTakes makes a re-seeded replica stream from primary after d.
func (r *rig) rebuildTakes(d time.Duration) {
	r.rb.replica = func(_ context.Context, node, primary string) error {
		time.Sleep(d)
		r.c.set(func(c *fakeCluster) { c.down[node], c.follows[node] = false, primary })
		return nil
	}
}

// A confirmed failure runs its plan's steps in order, each a
// recovery.step with its span and outcome, between recovery.classified
// and recovery.done (docs/architecture.md, "Recovery plans").
func TestPlanRunsItsStepsInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(1, failoverPlan)
		r.c.at(5500*time.Millisecond, losePrimary)
		r.c.set(func(c *fakeCluster) { c.lsn["pg-r1"] = 0x1_0000_0060 })
		r.rebuildTakes(3100 * time.Millisecond)
		r.app.check = func() error { time.Sleep(s); return nil }
		e := r.run(t, 20*s)

		// Down at 5.5s: the rounds at 6s and 7s see it, 8s confirms it.
		wantEvents(t, events(r.tl, planKinds...),
			"recovery.classified@8s: database failure: no writable primary (pg-r1 answer as standbys); running its plan: promote-replica, rebuild-replicas, health-check",
			"recovery.step@8s: promote-replica: ok — promoted pg-r1",
			"recovery.step@8s+3.1s: rebuild-replicas: ok — re-seeded pg-primary from pg-r1",
			"recovery.step@11.1s+1s: health-check: ok — wrote and read back",
			"recovery.done@12.1s: database plan done in 4.1s")
		if got := r.rb.Calls(); !slices.Equal(got, []string{"replica pg-primary from pg-r1"}) {
			t.Errorf("rebuilds %v", got)
		}
		for _, ev := range r.tl.Events() {
			if ev.Kind == firedrill.EventRecoveryStep && strings.HasPrefix(ev.Detail, "promote-replica") && ev.Evidence != "it had received WAL up to 1/60" {
				t.Errorf("promote evidence %q", ev.Evidence)
			}
		}
		plans := e.Plans()
		if len(plans) != 1 {
			t.Fatalf("Plans() = %+v, want one", plans)
		}
		p := plans[0]
		if p.Type != TypeDatabase || p.At != 8*s || p.Since != 6*s || !p.Done || p.Fail || len(p.Steps) != 3 ||
			p.Steps[1].Name != scenarios.StepRebuildReplicas || p.Steps[1].Span != 3100*time.Millisecond || p.Steps[1].Outcome != "ok" {
			t.Errorf("plan %+v", p)
		}
	})
}

// The plan stops at the first failing step: recovery.step_failed, no
// recovery.done, the later steps not run.
func TestPlanStopsAtTheFirstFailingStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(1, scenarios.Recovery{Database: []string{scenarios.StepPromoteReplica, scenarios.StepHealthCheck, scenarios.StepRebuildReplicas}})
		r.c.at(5500*time.Millisecond, losePrimary)
		r.app.check = func() error { time.Sleep(2 * s); return errors.New("read back nothing") }
		e := r.run(t, 15*s)
		wantEvents(t, events(r.tl, planKinds...),
			"recovery.classified@8s",
			"recovery.step@8s: promote-replica: ok",
			"recovery.step_failed@8s+2s: health-check: failed — the app failed its health check: read back nothing")
		if got := r.rb.Calls(); len(got) != 0 {
			t.Errorf("rebuild-replicas ran after the failed step: %v", got)
		}
		p := e.Plans()[0]
		if !p.Fail || p.Done || len(p.Steps) != 2 || p.Steps[1].Outcome != "failed" {
			t.Errorf("plan %+v", p)
		}
	})
}

// A step with nothing to do is skipped, which is no failure: here the
// primary answers (its data is gone) and every standby streams.
func TestSkippedStepsAreNoFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(1, failoverPlan)
		r.writes(0, 5*s, true, "")
		r.writes(5*s, 20*s, false, tableGone)
		e := r.run(t, 12*s)
		wantEvents(t, events(r.tl, planKinds...),
			"recovery.classified@8s: database failure: pg-primary answers but its data is gone",
			"recovery.step@8s: promote-replica: skipped — pg-primary is the primary already",
			"recovery.step@8s: rebuild-replicas: skipped — pg-r1 already streaming",
			"recovery.step@8s: health-check: ok",
			"recovery.done@8s")
		if p := e.Plans()[0]; !p.Done || p.Steps[0].Outcome != "skipped" || p.Steps[1].Outcome != "skipped" {
			t.Errorf("plan %+v", p)
		}
		if len(r.c.promoted) != 0 || len(r.rb.Calls()) != 0 {
			t.Errorf("promoted %v, rebuilt %v: want nothing done", r.c.promoted, r.rb.Calls())
		}
	})
}

// restore-latest-backup is skipped when a writable primary exists and its
// data is not the failure: here promote-replica made one.
func TestRestoreSkippedOverAWritablePrimary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(1, scenarios.Recovery{Database: []string{scenarios.StepPromoteReplica, scenarios.StepRestoreLatestBackup}}, scenarios.BackupLogical)
		r.c.at(5500*time.Millisecond, losePrimary)
		e := r.run(t, 12*s)
		wantEvents(t, events(r.tl, planKinds...),
			"recovery.classified@8s",
			"recovery.step@8s: promote-replica: ok",
			"recovery.step@8s: restore-latest-backup: skipped — pg-r1 is a writable primary",
			"recovery.done@8s")
		if len(r.rb.Calls()) != 0 || len(e.Restores()) != 0 {
			t.Errorf("rebuilt %v, restores %+v: want no restore", r.rb.Calls(), e.Restores())
		}
	})
}

// A type without a plan runs nothing: it is only watched.
func TestTypeWithoutAPlanRunsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(1, failoverPlan) // no network plan
		r.writes(0, 20*s, true, "")
		time.AfterFunc(3*s, func() { r.rt.set(func(rt *fakeRuntime) { rt.nets["pg-r1"] = []string{topology.WAN} }) })
		e := r.run(t, 15*s)
		if got := events(r.tl); len(got) != 0 || len(e.Plans()) != 0 {
			t.Errorf("events %v, plans %+v: want none", got, e.Plans())
		}
		if len(r.rt.joined) != 0 {
			t.Errorf("reconnected %v", r.rt.joined)
		}
	})
}

// A failure is handled once per outage, and again after a healthy round.
func TestAFailureIsHandledOncePerOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(0, scenarios.Recovery{Database: []string{scenarios.StepHealthCheck}})
		r.writes(0, 5*s, true, "")
		r.writes(5*s, 15*s, false, tableGone)
		r.writes(15*s, 18*s, true, "")
		r.writes(18*s, 40*s, false, tableGone)
		e := r.run(t, 30*s)
		var got []string
		for _, p := range e.Plans() {
			got = append(got, p.Since.String()+"-"+p.At.String())
		}
		// Failed writes from 5s: seen at 6s, confirmed at 8s; ok from 15s:
		// the round at 16s is healthy; failed from 18s: seen at 19s, 21s.
		if want := []string{"6s-8s", "19s-21s"}; !slices.Equal(got, want) {
			t.Errorf("plans (since-at) %v, want %v", got, want)
		}
	})
}

// While the failover manager runs and a standby answers, a lost primary
// is left to it for the grace (docs/architecture.md, "Recovery plans"):
// the database plan runs only once the manager had its worst-case
// detection plus 10s, and not at all when it promoted meanwhile.
func TestALostPrimaryIsTheManagersFirst(t *testing.T) {
	for _, tc := range []struct {
		name     string
		promote  bool // the manager promotes pg-r1 at 9s
		allDown  bool // no standby answers either
		wantPlan string
	}{
		{name: "the manager did nothing", wantPlan: "6s-21s"},
		{name: "the manager promoted", promote: true},
		{name: "no standby answers", allDown: true, wantPlan: "6s-8s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(1, failoverPlan)
				r.scn.DR.Failover.Enabled = nil // on
				r.c.at(5500*time.Millisecond, func(c *fakeCluster) {
					losePrimary(c)
					c.down["pg-r1"] = tc.allDown
				})
				if tc.promote {
					r.c.at(9*s, func(c *fakeCluster) { c.primary = "pg-r1"; delete(c.follows, "pg-r1") })
				}
				e := New(r.deps())
				// 1s × 2 + 1s of worst-case detection, plus 10s.
				if e.managerGrace != 13*s {
					t.Fatalf("managerGrace = %s, want 13s", e.managerGrace)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 25*s)
				defer cancel()
				_ = e.Run(ctx)
				var got []string
				for _, p := range e.Plans() {
					got = append(got, p.Since.String()+"-"+p.At.String())
				}
				// Lost at 5.5s, first seen at 6s; the grace ends at 19s, the
				// window at 21s. The plan's Since is when it was first seen.
				if want := []string{tc.wantPlan}; tc.wantPlan == "" && len(got) != 0 || tc.wantPlan != "" && !slices.Equal(got, want) {
					t.Errorf("plans (since-at) %v, want %q", got, tc.wantPlan)
				}
			})
		})
	}
}

// The dr.Hold is held exactly while a plan runs: the failover manager
// stands down for it and only for it (docs/architecture.md, "The DR
// engine").
func TestTheHoldCoversThePlan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(1, failoverPlan)
		r.c.at(5500*time.Millisecond, losePrimary)
		r.rebuildTakes(2 * s)
		outside := make(chan bool, 2)
		for _, at := range []time.Duration{7900 * time.Millisecond, 10100 * time.Millisecond} {
			time.AfterFunc(at, func() { _, held := r.hold.Active(); outside <- held })
		}
		r.run(t, 12*s)
		if !slices.Equal(r.c.holdSeen, []bool{true}) {
			t.Errorf("held at the promotion: %v, want true", r.c.holdSeen)
		}
		if want := []string{"the database plan since 8s"}; !slices.Equal(r.rb.holdSeen, want) {
			t.Errorf("hold at the rebuild %q, want %q", r.rb.holdSeen, want)
		}
		if before, after := <-outside, <-outside; before || after {
			t.Errorf("held before the plan %v, after it %v: want neither", before, after)
		}
	})
}
