package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/drill"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedImages stands in for Docker in plan tests: the official postgres
// image is absent but firedrill's recipe is present; MinIO is absent
// altogether (pull, else build); the app recipe is not built yet.
func fixedImages(t *testing.T) {
	t.Helper()
	old := planLookup
	t.Cleanup(func() { planLookup = old })
	planLookup = func(context.Context, *globals) (drill.ImageLookup, func()) {
		return testImages, func() {}
	}
}

// testImages are fixedImages' answers.
var testImages = drill.FixedImages([]images.ImageStatus{
	{Role: images.RolePostgres, RecipeTag: "firedrill/postgres:15-0123456789ab", RecipePresent: true},
	{Role: images.RoleMinIO, RecipeTag: "firedrill/minio:20260212-0123456789ab"},
	{Role: images.RoleApp, RecipeTag: "firedrill/app:devel-0123456789ab"},
	{Role: images.RoleNetTools, RecipeTag: "firedrill/nettools:bookworm-0123456789ab", RecipePresent: true},
})

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/firedrill -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./cmd/firedrill -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestPlanGolden(t *testing.T) {
	fixedImages(t)
	// Docker must not matter: point it nowhere.
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	// Every built-in, and the scenarios in testdata/plan that use the rest
	// of the language.
	inputs := scenarios.BuiltinNames()
	files, _ := filepath.Glob(filepath.Join("testdata", "plan", "*.yaml"))
	inputs = append(inputs, files...)
	for _, input := range inputs {
		name := strings.TrimSuffix(filepath.Base(input), ".yaml")
		t.Run(name, func(t *testing.T) {
			code, out, errOut := run(t, "plan", input)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			golden(t, filepath.Join("plan", name+".golden"), out)

			code, out, errOut = run(t, "plan", "--json", input)
			if code != 0 || errOut != "" {
				t.Fatalf("--json: exit %d\n%s", code, errOut)
			}
			var p drill.Plan
			dec := json.NewDecoder(strings.NewReader(out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p); err != nil || dec.More() {
				t.Fatalf("stdout is not one JSON plan: %v\n%s", err, out)
			}
			if p.Scenario != name || p.RunID != topology.RunPlaceholder {
				t.Errorf("plan names %q run %q", p.Scenario, p.RunID)
			}
			golden(t, filepath.Join("plan", name+".json.golden"), out)
		})
	}
}

func TestPlanWithoutDockerSaysUnknown(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	code, out, errOut := run(t, "plan", "primary-kill")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	roles := []string{"postgres", "minio", "app", "nettools"}
	for _, role := range roles {
		if !strings.Contains(out, "  "+role+" ") {
			t.Errorf("no image line for %s", role)
		}
	}
	if strings.Count(out, "unknown (Docker unreachable)") != len(roles) {
		t.Errorf("images are not unknown:\n%s", out)
	}
}

func TestPlanInvalidScenario(t *testing.T) {
	fixedImages(t)
	code, out, errOut := run(t, "plan", "testdata/validate/refs.yaml")
	if code != 2 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errOut, "testdata/validate/refs.yaml:7:15: environment.postgres.primary.region: unknown region") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// The failover budget: detection = interval x failures + timeout, with a
// warning when that alone does not fit in the RTO.
func TestPlanFailoverBudget(t *testing.T) {
	fixedImages(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "slow.yaml")
	body := `apiVersion: firedrill/v1
name: slow-detection
objectives:
  rto: 20s
environment:
  regions: [east, west]
  postgres:
    primary: {region: east}
    replicas: [{name: r1, region: west}]
dr:
  failover:
    check_interval: 4s
    check_timeout: 2s
    failures_before_action: 2
timeline:
  duration: 30s
  faults:
    - {at: 5s, action: kill, target: postgres.r1, objectives: {rto: 1s}}
    - {at: 10s, action: kill, target: postgres.primary, objectives: {rto: 8s}}
`
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "plan", file)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		"worst-case detection 10s = check_interval 4s x failures_before_action 2 + check_timeout 2s",
		"  rto 20s leaves 10s for fencing, promotion, rerouting and the first write",
		"  fault #0 rto 1s: no fault on the primary, failover not expected",
		"  fault #1 rto 8s: detection alone uses it all",
		"\nwarning: worst-case failure detection alone (10s) does not fit in fault #1's RTO objective (8s)",
		"  - (permanent)  -       pg-r1, region west, whether primary or replica by then\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run(t, "plan", "--json", file)
	var p drill.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil || code != 0 {
		t.Fatalf("exit %d: %v", code, err)
	}
	b := p.Budget
	if b.Detection != "10s" || len(b.Checks) != 3 || len(p.Warnings) != 1 {
		t.Fatalf("budget %+v, warnings %q", b, p.Warnings)
	}
	want := []drill.PlanBudgetCheck{
		{Fault: -1, RTO: "20s", Remaining: "10s", HitsPrimary: true},
		{Fault: 0, RTO: "1s", Remaining: "-9s", Exceeds: true},
		{Fault: 1, RTO: "8s", Remaining: "-2s", Exceeds: true, HitsPrimary: true},
	}
	for i, c := range b.Checks {
		if c != want[i] {
			t.Errorf("check %d = %+v, want %+v", i, c, want[i])
		}
	}
}

// Scenario text that reaches the terminal is escaped: a description or a
// label value cannot clear the screen, set the title or reorder the line.
func TestPlanEscapesControlCharacters(t *testing.T) {
	fixedImages(t)
	good, err := os.ReadFile("testdata/validate/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ctl.yaml")
	text := strings.Replace(string(good), "name: good\n", "name: good\ndescription: \"clear\\e[2J title\\e]0;owned\\a cr\\r bidi\\u202e\"\n", 1)
	text = strings.Replace(text, "        region: west\n", "        region: west\n        labels: {tier: \"\\e[31mred\"}\n", 1)
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "plan", file)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if strings.ContainsAny(out, "\x1b\a\r\u202e") {
		t.Errorf("raw control characters in the plan:\n%q", out)
	}
	for _, want := range []string{`clear\x1b[2J title\x1b]0;owned\a cr\r bidi\u202e`, `labels tier=\x1b[31mred`} {
		if !strings.Contains(out, want) {
			t.Errorf("plan does not show %s:\n%s", want, out)
		}
	}
	// JSON carries the value itself, encoded.
	code, out, _ = run(t, "plan", "--json", file)
	var p drill.Plan
	if err := json.Unmarshal([]byte(out), &p); code != 0 || err != nil {
		t.Fatalf("exit %d: %v", code, err)
	}
	if p.Description != "clear\x1b[2J title\x1b]0;owned\a cr\r bidi\u202e" {
		t.Errorf("JSON description %q", p.Description)
	}
}

// The longest replica name the loader accepts still makes identifiers that
// fit: the container (a DNS name) with the longest run id, the node (its
// cluster_name) and the replication slot (Postgres names), 63 bytes each;
// and the Docker runtime's run ids are within that length.
func TestPlanNamesFitTheirLimits(t *testing.T) {
	if n := len(docker.NewRunID()); n > scenarios.MaxRunIDLength {
		t.Errorf("the Docker runtime's run ids have %d characters, the name limits assume at most %d", n, scenarios.MaxRunIDLength)
	}
	good, err := os.ReadFile("testdata/validate/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	name := strings.Repeat("r", scenarios.MaxReplicaNameLength-2) + "-x"
	scn, err := scenarios.LoadBytes("long.yaml", []byte(strings.Replace(string(good), "replica1", name, 1)))
	if err != nil {
		t.Fatal(err)
	}
	p := drill.NewPlan(context.Background(), scn, testImages)
	runID := strings.Repeat("9", scenarios.MaxRunIDLength)
	for _, n := range p.Topology.Nodes {
		container := strings.ReplaceAll(n.Container, topology.RunPlaceholder, runID)
		if len(container) > 63 || len(n.Name) > 63 {
			t.Errorf("container %s (%d) or node %s too long", container, len(container), n.Name)
		}
	}
	if slot := strings.ReplaceAll(topology.ReplicaNode(name), "-", "_"); len(slot) > 63 {
		t.Errorf("slot %s too long", slot)
	}
	// One character more is refused.
	if _, err := scenarios.LoadBytes("longer.yaml", []byte(strings.Replace(string(good), "replica1", name+"y", 1))); err == nil {
		t.Error("a replica name one character too long loaded")
	}
}

// Plan shows the language's warnings as validate does: here a fault too
// late for its recovery to be confirmed.
func TestPlanShowsScenarioWarnings(t *testing.T) {
	fixedImages(t)
	good, err := os.ReadFile("testdata/validate/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "late.yaml")
	if err := os.WriteFile(file, []byte(strings.Replace(string(good), "at: 10s", "at: 28s", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "plan", file)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if want := file + ":16:11: warning: timeline.faults[0].at: the fault at 28s leaves 2s"; !strings.Contains(out, "\n"+want) {
		t.Errorf("plan lacks %q:\n%s", want, out)
	}
	code, out, _ = run(t, "plan", "--json", file)
	var p drill.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil || code != 0 {
		t.Fatalf("exit %d: %v", code, err)
	}
	if len(p.ScenarioWarnings) != 1 || !strings.Contains(p.ScenarioWarnings[0], "timeline.faults[0].at") {
		t.Errorf("scenario warnings %q", p.ScenarioWarnings)
	}
}
