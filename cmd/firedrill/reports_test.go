package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports"
	"github.com/firedrill/firedrill/reports/score"
)

// fakeResult is a scored drill as result.json holds it: one fault that
// recovered after rtoMS (0: it never recovered).
func fakeResult(scenario, runID string, at int, rtoMS float64) firedrill.Result {
	f := firedrill.FaultResult{ID: "f0", Action: "kill", Target: "postgres.primary", Injected: true, Recovery: firedrill.RecoveryNever}
	verdict, status := firedrill.VerdictFail, firedrill.StatusMissed
	if rtoMS > 0 {
		f.Recovery, f.RTOMS = firedrill.RecoveryRecovered, &rtoMS
		verdict, status = firedrill.VerdictPass, firedrill.StatusMet
	}
	zero, rpo := 0, 0.0
	return firedrill.Result{Scenario: scenario, RunID: runID, Verdict: verdict, StartedAt: time.Date(2026, 5, 1, 10, at, 0, 0, time.UTC),
		Faults: []firedrill.FaultResult{f}, RPOMS: &rpo, Writes: firedrill.WriteStats{Lost: &zero, FailedButPresent: &zero},
		Objectives: []firedrill.ObjectiveResult{{Name: score.ObjectiveRTO, Target: "<= 15s", Measured: "x", Status: status}}}
}

func saveResult(t *testing.T, path string, results ...firedrill.Result) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	var err error
	if len(results) == 1 {
		err = reports.WriteJSON(&b, results[0])
	} else {
		err = reports.WriteJSONArray(&b, results)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Bad input to report is exit 2 with every file named, fast, and nothing
// is written.
func TestReportBadInput(t *testing.T) {
	dir := t.TempDir()
	good := saveResult(t, filepath.Join(dir, "good.json"), fakeResult("pk", "r1", 1, 3000))
	notJSON := filepath.Join(dir, "notes.json")
	os.WriteFile(notJSON, []byte("hello"), 0o644)
	other := filepath.Join(dir, "package.json")
	os.WriteFile(other, []byte(`{"name":"x"}`), 0o644)
	out := filepath.Join(dir, "out.json")
	code, stdout, stderr := run(t, "report", good, notJSON, other, filepath.Join(dir, "missing.json"), "--json", out)
	if code != firedrill.ExitUsage || stdout != "" {
		t.Fatalf("exit %d, stdout %q, want 2", code, stdout)
	}
	for _, want := range []string{notJSON + ": not JSON", other + ": not a firedrill result: no scenario, run_id, verdict",
		filepath.Join(dir, "missing.json") + ": cannot read it: no such file or directory"} {
		if !strings.Contains(stderr, "firedrill: "+want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a report was written from bad input")
	}
	if code, _, _ := run(t, "report"); code != firedrill.ExitUsage {
		t.Errorf("report without a result: exit %d", code)
	}
	if code, _, stderr := run(t, "report", good, "--json", dir); code != firedrill.ExitUsage || !strings.Contains(stderr, "it is a directory") {
		t.Errorf("--json into a directory: exit %d\n%s", code, stderr)
	}
}

func TestReportRerenders(t *testing.T) {
	dir := t.TempDir()
	saveResult(t, filepath.Join(dir, "gameday", "pk-1", "result.json"), fakeResult("pk", "r1", 1, 3000))
	saveResult(t, filepath.Join(dir, "gameday", "pk-2", "result.json"), fakeResult("pk", "r2", 2, 0))
	out := filepath.Join(dir, "all.json")
	code, _, stderr := run(t, "report", filepath.Join(dir, "gameday"), "--json", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var back []firedrill.Result
	if b, err := os.ReadFile(out); err != nil || json.Unmarshal(b, &back) != nil || len(back) != 2 {
		t.Fatalf("re-rendered JSON: %v, %d results", err, len(back))
	}
	code, stdout, _ := run(t, "report", filepath.Join(dir, "gameday", "pk-1", "result.json"))
	if code != 0 || !strings.Contains(stdout, "pk") {
		t.Errorf("terminal summary: exit %d\n%s", code, stdout)
	}
}

func TestCompareExitCodes(t *testing.T) {
	dir := t.TempDir()
	old := saveResult(t, filepath.Join(dir, "old.json"), fakeResult("pk", "r1", 1, 3000))
	same := saveResult(t, filepath.Join(dir, "same.json"), fakeResult("pk", "r2", 2, 3200))
	never := saveResult(t, filepath.Join(dir, "never.json"), fakeResult("pk", "r3", 3, 0))
	code, stdout, stderr := run(t, "compare", "--fail-on", "rto+10%,lost_writes+0", old, same)
	if code != 0 || !strings.Contains(stdout, "worse (+200ms)") || !strings.Contains(stderr, "no regression") {
		t.Errorf("within tolerance: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = run(t, "compare", "--fail-on", "rto+1%", old, same)
	if code != firedrill.ExitFail || !strings.Contains(stderr, "regressed: pk: rto+1%: OLD 3s, NEW 3.2s") {
		t.Errorf("beyond tolerance: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = run(t, "compare", "--fail-on", "rto+1h", old, never)
	if code != firedrill.ExitFail || !strings.Contains(stderr, "NEW never recovered") || !strings.Contains(stdout, "verdict") {
		t.Errorf("never: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, _ := run(t, "compare", old, never); code != 0 {
		t.Errorf("without --fail-on a worse figure is exit 0, got %d", code)
	}
	code, _, stderr = run(t, "compare", "--fail-on", "latency+5%", old, same)
	if code != firedrill.ExitUsage || !strings.Contains(stderr, "figures: rto, rto_p90") {
		t.Errorf("bad --fail-on: exit %d\n%s", code, stderr)
	}
	if code, _, _ := run(t, "compare", old, filepath.Join(dir, "nope.json")); code != firedrill.ExitUsage {
		t.Errorf("missing NEW: exit %d", code)
	}
}

func TestHistory(t *testing.T) {
	dir := t.TempDir()
	for i, ms := range []float64{3000, 2000, 4000, 2500, 3500} {
		saveResult(t, filepath.Join(dir, "pk-"+string(rune('1'+i)), "result.json"), fakeResult("pk", "run"+string(rune('a'+i)), 10-i, ms))
	}
	os.WriteFile(filepath.Join(dir, "pk-1", "run.json"), []byte(`{"run_id":"runa"}`), 0o644)
	code, stdout, stderr := run(t, "history", dir)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"pk: 5 runs: 5 pass", "runa", "rune", "p50", "3s", "p90", "max", "4s"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("history lacks %q:\n%s", want, stdout)
		}
	}
	// Start order: rune started first.
	if strings.Index(stdout, "rune") > strings.Index(stdout, "runa") {
		t.Errorf("runs not in start order:\n%s", stdout)
	}
	newer := filepath.Join(dir, "pk-9", "result.json")
	os.MkdirAll(filepath.Dir(newer), 0o755)
	os.WriteFile(newer, []byte(`{"schema_version": 7, "scenario":"pk","run_id":"z","verdict":"pass"}`), 0o644)
	code, _, stderr = run(t, "history", dir)
	if code != firedrill.ExitUsage || !strings.Contains(stderr, newer+": schema_version 7 is newer than this build reads") {
		t.Errorf("newer schema: exit %d\n%s", code, stderr)
	}
}

// --repeat's summary: each run and the percentiles, the never-recovered
// run as never, the drill that gave no result left out.
func TestRepeatSummary(t *testing.T) {
	var done []drillOutcome
	for i, ms := range []float64{3000, 2000, 0, 2500} {
		r := fakeResult("pk", "run"+string(rune('a'+i)), i, ms)
		done = append(done, drillOutcome{name: "pk", res: &r, verdict: string(r.Verdict), code: r.Verdict.ExitCode()})
	}
	done = append(done, drillOutcome{name: "pk", verdict: "error", code: firedrill.ExitInconclusive})
	var b strings.Builder
	writeRepeatSummary(&b, done)
	got := b.String()
	for _, want := range []string{"pk: 4 runs: 3 pass, 1 fail", "runc", "never", "p50", "3s", "p90", "max"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if reportTitle(resultsOf(done)) != "pk ×4" {
		t.Errorf("title %q", reportTitle(resultsOf(done)))
	}
}

// Suites are expanded and every scenario checked before Docker is reached.
func TestRunSuiteErrorsBeforeTouchingDocker(t *testing.T) {
	noDocker(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "ci.list")
	os.WriteFile(list, []byte("primary-kill\n# comment\nno-such.yaml\n@nested.list\n"), 0o644)
	code, out, errOut := run(t, "run", "--repeat", "3", "@"+list, "testdata/validate/typos.yaml")
	if code != firedrill.ExitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{
		list + ":4: a list file cannot name another list file",
		list + ":3: ",
		"testdata/validate/typos.yaml:13:12: workload.timeout",
		"problems with the scenarios given; nothing was started",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "Docker is not reachable") || strings.Count(errOut, "typos.yaml:13:12") != 1 {
		t.Errorf("Docker reached, or a repeat reported twice:\n%s", errOut)
	}
}

// A drill that ended without a result still appears in the combined
// reports, as inconclusive with its error: a CI report never leaves a
// drill out.
func TestCombinedReportsKeepADrillWithoutAResult(t *testing.T) {
	r := fakeResult("pk", "runa", 0, 2000)
	done := []drillOutcome{{name: "pk", res: &r}, {name: "region-drop", err: errors.New("docker: the daemon went away")}}
	results := resultsOf(done)
	if len(results) != 2 || results[1].Scenario != "region-drop" || results[1].Verdict != firedrill.VerdictInconclusive ||
		!strings.Contains(strings.Join(results[1].Reasons, " "), "the daemon went away") {
		t.Fatalf("results %+v", results)
	}
	junit, ok := reports.Lookup("junit")
	if !ok {
		t.Fatal("no junit format registered")
	}
	var b bytes.Buffer
	if err := junit.New(reports.Options{}).Render(&b, results); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `<testsuite name="region-drop`) || !strings.Contains(b.String(), "<error") {
		t.Errorf("the JUnit report lacks the drill without a result as an error:\n%s", b.String())
	}
}
