package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/drill"
	"github.com/firedrill/firedrill/scenarios"
)

// noDocker points the Docker client at a socket that does not exist: a
// command that reaches for Docker then fails with exit 3 and says so.
func noDocker(t *testing.T) {
	t.Helper()
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
}

// Every scenario is checked before anything starts: a runnable built-in
// next to one this build cannot run means neither runs.
func TestRunRefusesUnimplementedBeforeTouchingDocker(t *testing.T) {
	noDocker(t)
	file := "testdata/run/unimplemented.yaml"
	code, out, errOut := run(t, "run", "primary-kill", file)
	if code != firedrill.ExitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q, want 2 and nothing\n%s", code, out, errOut)
	}
	if !strings.HasPrefix(errOut, file+":15:16: environment.app.instances: ") ||
		!strings.HasSuffix(errOut, "firedrill: this build cannot run instances-drill yet (features above); nothing was started\n") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if strings.Contains(errOut, "Docker") || strings.Contains(errOut, "primary-kill (run") {
		t.Errorf("a drill started or Docker was reached:\n%s", errOut)
	}
}

// A scenario with two app instances is refused by this build's engine,
// each feature on its own line with its position.
func TestRunRefusesRealUnimplementedScenario(t *testing.T) {
	noDocker(t)
	file := "testdata/run/unimplemented.yaml"
	scn, err := scenarios.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	var features []string
	for _, u := range scn.Unsupported(drill.Engine) {
		features = append(features, u.Error())
	}
	if len(features) == 0 {
		t.Fatalf("%s must use a feature this build cannot run (two app instances)", file)
	}
	code, _, errOut := run(t, "run", file)
	if code != firedrill.ExitUsage || strings.Contains(errOut, "Docker") {
		t.Fatalf("exit %d, want 2 without reaching Docker:\n%s", code, errOut)
	}
	want := strings.Join(features, "\n") + "\nfiredrill: this build cannot run instances-drill yet (features above); nothing was started\n"
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
	if !strings.HasPrefix(features[0], file+":15:16: environment.app.instances: ") {
		t.Errorf("feature line lacks file:line:col and field: %q", features[0])
	}
}

func TestRunChecksEveryScenarioBeforeStarting(t *testing.T) {
	noDocker(t)
	code, out, errOut := run(t, "run", "primary-kill", "testdata/validate/typos.yaml", "testdata/validate/refs.yaml")
	if code != firedrill.ExitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{
		"testdata/validate/typos.yaml:13:12: workload.timeout: a duration needs a unit",
		"testdata/validate/refs.yaml:7:15: environment.postgres.primary.region: unknown region",
		"firedrill: 2 of 3 scenarios invalid; nothing was started",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "Docker") {
		t.Errorf("Docker was reached:\n%s", errOut)
	}
}

func TestRunSeveralWithoutDockerIsInfrastructureError(t *testing.T) {
	noDocker(t)
	code, out, errOut := run(t, "run", "--json", "--seed", "7", "primary-kill", "primary-kill-no-failover")
	if code != firedrill.ExitInconclusive || !strings.Contains(errOut, "Docker is not reachable") {
		t.Fatalf("exit %d, want 3:\n%s", code, errOut)
	}
	if out != "" {
		t.Errorf("--json stdout is not empty: %q", out)
	}
}

func TestWorseExit(t *testing.T) {
	order := []int{firedrill.ExitPass, firedrill.ExitFail, firedrill.ExitUsage, firedrill.ExitInconclusive, firedrill.ExitInterrupted}
	for i, a := range order {
		for j, b := range order {
			want := a
			if j > i {
				want = b
			}
			if got := worseExit(a, b); got != want {
				t.Errorf("worseExit(%d, %d) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestWriteResultsJSON(t *testing.T) {
	var b strings.Builder
	done := []drillOutcome{
		{name: "a", res: &firedrill.Result{Scenario: "a", Verdict: firedrill.VerdictPass}},
		{name: "b", code: 3},
		{name: "c", res: &firedrill.Result{Scenario: "c", Verdict: firedrill.VerdictFail}},
	}
	if err := writeResultsJSON(&b, done); err != nil {
		t.Fatal(err)
	}
	var got []firedrill.Result
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(got) != 2 || got[0].Scenario != "a" || got[1].Scenario != "c" {
		t.Errorf("results = %+v", got)
	}
	b.Reset()
	if err := writeResultsJSON(&b, done[1:2]); err != nil || b.String() != "[]\n" {
		t.Errorf("no results: %q %v", b.String(), err)
	}
}

// Every --json output is JSON alone on stdout, also with debug logs on.
func TestJSONStdoutIsPure(t *testing.T) {
	fixedImages(t)
	noDocker(t)
	for _, args := range [][]string{
		{"list", "--json"},
		{"-v", "plan", "--json", "primary-kill"},
		{"-v", "validate", "--format", "json", "primary-kill", "testdata/validate/refs.yaml"},
	} {
		_, out, _ := run(t, args...)
		if !json.Valid([]byte(out)) {
			t.Errorf("%s: stdout is not JSON:\n%s", strings.Join(args, " "), out)
		}
	}
}

func TestEveryCommandHasExamples(t *testing.T) {
	var check func(c *cobra.Command)
	check = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			if sub.Example == "" {
				t.Errorf("%q has no examples", sub.CommandPath())
			}
			check(sub)
		}
	}
	check(newRoot(&globals{}))
}

func TestSeedFor(t *testing.T) {
	plain := &scenarios.Scenario{}
	if got := seedFor(plain, 5, false); got != 5 {
		t.Errorf("no monkey: %d, want the run's 5", got)
	}
	seeded := func() *scenarios.Scenario {
		s := int64(42)
		return &scenarios.Scenario{Monkey: &scenarios.Monkey{Seed: &s}}
	}
	if got := seedFor(seeded(), 5, false); got != 42 {
		t.Errorf("monkey.seed 42 without --seed: %d", got)
	}
	scn := seeded()
	if got := seedFor(scn, 5, true); got != 5 || *scn.Monkey.Seed != 5 {
		t.Errorf("--seed 5 over monkey.seed 42: %d, monkey seed %d", got, *scn.Monkey.Seed)
	}
	scn = &scenarios.Scenario{Monkey: &scenarios.Monkey{}}
	if got := seedFor(scn, 9, false); got != 9 || scn.Monkey.Seed == nil || *scn.Monkey.Seed != 9 {
		t.Errorf("monkey without a seed gets the run's: %d", got)
	}
}
