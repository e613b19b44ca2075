package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/drill"
	"github.com/firedrill/firedrill/scenarios"
)

// The monkey's schedule in the plan is a pure function of the scenario and
// the seed: the same pair prints byte for byte the same plan, text and
// JSON; another seed prints another schedule; without a seed the plan says
// how to get one. testdata/plan/chaos-monkey.golden pins the built-in's.
func TestPlanMonkeyScheduleIsPure(t *testing.T) {
	fixedImages(t)
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	for _, args := range [][]string{{"plan"}, {"plan", "--json"}} {
		plan := func(seed string) string {
			t.Helper()
			a := append(append([]string{}, args...), "--seed", seed, "chaos-monkey")
			code, out, errOut := run(t, a...)
			if code != 0 || errOut != "" {
				t.Fatalf("%v: exit %d\n%s", a, code, errOut)
			}
			return out
		}
		first, again, other := plan("42"), plan("42"), plan("43")
		if first != again {
			t.Errorf("%v --seed 42 twice: the plans differ", args)
		}
		if first == other || !strings.Contains(first, "42") {
			t.Errorf("%v: seeds 42 and 43 print the same plan", args)
		}
	}
	// The built-in's own seed is the default, as for run.
	_, withSeed, _ := run(t, "plan", "--seed", "149", "chaos-monkey")
	_, byDefault, _ := run(t, "plan", "chaos-monkey")
	if withSeed != byDefault || !strings.Contains(byDefault, "with seed 149 it injects these") {
		t.Errorf("plan chaos-monkey does not default to monkey.seed 149:\n%s", byDefault)
	}

	src, err := os.ReadFile("../../scenarios/library/chaos-monkey.yaml")
	if err != nil || !strings.Contains(string(src), "\n  seed: 149\n") {
		t.Fatalf("the built-in's source, with its seed: %v", err)
	}
	file := filepath.Join(t.TempDir(), "unseeded.yaml")
	if err := os.WriteFile(file, []byte(strings.Replace(string(src), "\n  seed: 149\n", "\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ := run(t, "plan", file)
	if !strings.Contains(out, "its faults depend on the seed: firedrill plan --seed N lists those firedrill run --seed N injects") {
		t.Errorf("a monkey without a seed:\n%s", out)
	}
}

// What plan --json lists for the monkey is what chaos.Schedule gives the
// run for that seed: ids, times, actions, targets and durations.
func TestPlanMonkeyAgreesWithRun(t *testing.T) {
	fixedImages(t)
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	for _, seed := range []int64{1, 149, 987654321} {
		code, out, errOut := run(t, "plan", "--json", "--seed", itoa(seed), "chaos-monkey")
		var p drill.Plan
		if code != 0 || json.Unmarshal([]byte(out), &p) != nil || p.Monkey == nil {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		scn, err := scenarios.Builtin("chaos-monkey")
		if err != nil {
			t.Fatal(err)
		}
		injections := chaos.Schedule(scn, seed).Injections()
		if len(injections) == 0 || len(p.Monkey.Schedule) != len(injections) || p.Monkey.ScheduleSeed != itoa(seed) {
			t.Fatalf("seed %d: plan lists %d faults (seed %q), the run injects %d", seed, len(p.Monkey.Schedule), p.Monkey.ScheduleSeed, len(injections))
		}
		for i, in := range injections {
			pi := p.Monkey.Schedule[i]
			at, _ := time.ParseDuration(pi.At)
			var forD time.Duration
			if pi.For != "" {
				forD, _ = time.ParseDuration(pi.For)
			}
			if pi.ID != in.ID || at != in.At || pi.Action != in.Action || pi.Target != in.Target || forD != in.For {
				t.Errorf("seed %d #%d: plan %+v, run %s at %s %s %s for %s", seed, i, pi, in.ID, in.At, in.Action, in.Target, in.For)
			}
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
