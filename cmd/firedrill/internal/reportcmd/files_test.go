package reportcmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports"
)

// $GITHUB_STEP_SUMMARY's file is shared by a job's steps: a Markdown
// report there is appended, never truncated; any other path is replaced.
func TestStepSummaryIsAppended(t *testing.T) {
	dir := t.TempDir()
	summary := filepath.Join(dir, "step_summary")
	if err := os.WriteFile(summary, []byte("## an earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvStepSummary, summary)
	if !isStepSummary(summary) || !isStepSummary(filepath.Join(dir, ".", "step_summary")) || isStepSummary(filepath.Join(dir, "other.md")) {
		t.Fatal("isStepSummary")
	}
	if err := appendFile(summary, []byte("## firedrill\n")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(summary); string(b) != "## an earlier step\n## firedrill\n" {
		t.Errorf("summary = %q", b)
	}
	if _, ok := reports.Lookup("markdown"); !ok {
		t.Fatal("the markdown format is not registered (reports/all)")
	}
	res := []firedrill.Result{{Scenario: "pk", RunID: "r", Verdict: firedrill.VerdictPass}}
	if err := WriteReports([]Target{{Format: "markdown", Path: summary}}, res, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(summary); !strings.HasPrefix(string(b), "## an earlier step\n## firedrill\n") || len(b) < 40 {
		t.Errorf("markdown not appended: %q", b)
	}
}

// A history copy is never overwritten, and reads back as the result.
func TestSaveHistory(t *testing.T) {
	dir := t.TempDir()
	res := firedrill.Result{Scenario: "primary-kill", RunID: "ab12", Verdict: firedrill.VerdictPass, StartedAt: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	first, err := SaveHistory(dir, res)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "primary-kill", "20260501T100000Z-ab12.json"); first != want {
		t.Errorf("path %s, want %s", first, want)
	}
	second, err := SaveHistory(dir, res)
	if err != nil || second == first || !strings.HasSuffix(second, "-ab12-2.json") {
		t.Errorf("second copy %s, %v", second, err)
	}
	var back firedrill.Result
	if b, err := os.ReadFile(first); err != nil || json.Unmarshal(b, &back) != nil || back.RunID != "ab12" || back.SchemaVersion != firedrill.ResultSchemaVersion {
		t.Errorf("copy reads back as %+v (%v)", back, err)
	}
}
