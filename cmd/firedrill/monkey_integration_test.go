//go:build integration

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/drill"
	"github.com/firedrill/firedrill/scenarios"
)

// The built-in game day: the monkey's faults are the ones `plan` lists
// for the scenario's seed, each injected one measured on its own (evidence,
// revert, RTO), each one over max_at_once skipped on the timeline; the
// verdict is pass and nothing is left behind (docs/architecture.md, "The
// monkey").
func TestIntegrationChaosMonkey(t *testing.T) {
	planOut, err := exec.Command(bin, "plan", "--json", "chaos-monkey").Output()
	var plan drill.Plan
	if err != nil || json.Unmarshal(planOut, &plan) != nil || plan.Monkey == nil || len(plan.Monkey.Schedule) < 3 {
		t.Fatalf("plan --json chaos-monkey: %v, monkey %+v", err, plan.Monkey)
	}
	seed := plan.Monkey.ScheduleSeed

	d := runFiredrill(t, "run", "chaos-monkey")
	res := readResult(t, d.out)
	if res.RunID == "" {
		t.Fatal("no run id in result.json")
	}
	defer assertNothingLeft(t, res.RunID)
	if d.code != 0 || res.Verdict != firedrill.VerdictPass {
		t.Fatalf("exit %d verdict %s, want 0 pass (reasons %q)", d.code, res.Verdict, res.Reasons)
	}
	var info struct {
		Seed   int64  `json:"seed"`
		Replay string `json:"replay"`
	}
	if b, err := os.ReadFile(filepath.Join(d.out, "run.json")); err != nil || json.Unmarshal(b, &info) != nil ||
		seed == "" || info.Replay != "firedrill run --seed "+seed+" chaos-monkey" {
		t.Errorf("run.json %+v (%v), want the seed %s the plan used", info, err, seed)
	}

	// The run's injections are the plan's, one for one.
	if len(res.Faults) != len(plan.Monkey.Schedule) {
		t.Fatalf("%d faults in the result, %d in the plan", len(res.Faults), len(plan.Monkey.Schedule))
	}
	actions := map[string]int{}
	skipped := 0
	for i, f := range res.Faults {
		p := plan.Monkey.Schedule[i]
		at, err := time.ParseDuration(p.At)
		if err != nil || f.ID != p.ID || f.Source != firedrill.SourceMonkey || f.Action != p.Action || f.Target != p.Target ||
			f.ScheduledMS != firedrill.Millis(at) {
			t.Errorf("fault %d: %s %s %s at %vms; the plan has %s %s %s at %s", i, f.ID, f.Action, f.Target, f.ScheduledMS, p.ID, p.Action, p.Target, p.At)
		}
		switch {
		case f.Recovery == firedrill.RecoverySkipped:
			skipped++
			if !strings.Contains(f.Error, "max_at_once 1 reached") {
				t.Errorf("%s skipped for %q", f.ID, f.Error)
			}
		case !f.Injected || f.Evidence == "" || f.RTOMS == nil:
			t.Errorf("%s not measured: injected %v, evidence %q, RTO %v (%s)", f.ID, f.Injected, f.Evidence, f.RTOMS, f.Recovery)
		default:
			actions[f.Action]++
			if p.For != "" && (f.RevertedMS == nil || f.RevertError != "") {
				t.Errorf("%s (%s for %s) not reverted: %v %q", f.ID, f.Action, p.For, f.RevertedMS, f.RevertError)
			}
		}
	}
	for _, a := range []string{scenarios.ActionKill, scenarios.ActionStop, scenarios.ActionPartition} {
		if actions[a] == 0 {
			t.Errorf("no %s injected with seed %s: %v", a, seed, actions)
		}
	}
	if skipped == 0 || len(eventsOf(res, firedrill.EventFaultSkipped)) != skipped {
		t.Errorf("%d faults skipped, %d fault.skipped events", skipped, len(eventsOf(res, firedrill.EventFaultSkipped)))
	}
	if !strings.Contains(d.stderr.String(), "skipped: monkey.max_at_once 1 reached") {
		t.Errorf("progress does not show the skips:\n%s", tail(d.stderr.String(), 40))
	}
}

// A drill whose abort condition trips stops early: the fault in effect is
// reverted (the app runs again), the later fault is skipped, the writes
// are read back, the verdict is fail naming the condition, exit 1, and
// nothing is left behind (docs/architecture.md, "Abort conditions").
func TestIntegrationAbortStopsTheDrill(t *testing.T) {
	d := runFiredrill(t, "run", "testdata/drills/abort-app-stop.yaml")
	res := readResult(t, d.out)
	if res.RunID == "" {
		t.Fatal("no run id in result.json")
	}
	defer assertNothingLeft(t, res.RunID)
	if d.code != firedrill.ExitFail || res.Verdict != firedrill.VerdictFail {
		t.Fatalf("exit %d verdict %s, want 1 fail (reasons %q)", d.code, res.Verdict, res.Reasons)
	}
	a := res.Abort
	if a == nil || a.Metric != scenarios.MetricWriteSuccessRate || a.Condition != "below 0.5 for 1s" || a.Value >= 0.5 {
		t.Fatalf("abort %+v", a)
	}
	if len(res.Reasons) == 0 || !strings.Contains(res.Reasons[0], "aborted at") || !strings.Contains(res.Reasons[0], "write_success_rate below 0.5 for 1s") {
		t.Errorf("first reason %q does not name the condition", res.Reasons)
	}
	aborts := eventsOf(res, firedrill.EventAbort)
	if len(aborts) != 1 || aborts[0].Detail != a.Detail {
		t.Errorf("drill.abort events %+v", aborts)
	}
	// The stop took effect at 5s; the abort comes about a second and a
	// window's lag later, long before the stop's 20s are up.
	stop := res.Faults[0]
	if !stop.Injected || a.AtMS <= stop.AtMS || a.AtMS > stop.AtMS+10000 || res.DurationMS > a.AtMS+1000 {
		t.Errorf("stop at %vms, abort at %vms, drill ended at %vms", stop.AtMS, a.AtMS, res.DurationMS)
	}
	if stop.RevertedMS == nil || *stop.RevertedMS < a.AtMS || *stop.RevertedMS > stop.AtMS+15000 {
		t.Errorf("the stop was reverted at %v, want after the abort at %vms and before its for ended", stop.RevertedMS, a.AtMS)
	}
	reverted := eventsOf(res, firedrill.EventFaultReverted)
	if len(reverted) != 1 || !strings.Contains(reverted[0].Detail, "drill aborted") || !strings.Contains(reverted[0].Evidence, "started again") {
		t.Errorf("fault.reverted %+v, want the app started again by the abort", reverted)
	}
	if kill := res.Faults[1]; kill.Injected || kill.Recovery != firedrill.RecoverySkipped {
		t.Errorf("the kill due at 25s: %+v, want skipped", kill)
	}
	if res.Writes.Lost == nil || res.Writes.Verified == 0 || res.Writes.Verified != res.Writes.Acked {
		t.Errorf("writes %+v: the read-back must have run", res.Writes)
	}
	if !strings.Contains(d.stdout.String(), "aborted at") || !strings.Contains(d.stderr.String(), "ABORT abort[0] write_success_rate") {
		t.Errorf("the abort is not shown:\nstdout:\n%s\nstderr:\n%s", d.stdout.String(), tail(d.stderr.String(), 20))
	}
}
