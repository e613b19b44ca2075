package resultfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports"
)

func resultJSON(t *testing.T, scenario, runID string) []byte {
	t.Helper()
	var b bytes.Buffer
	r := firedrill.Result{Scenario: scenario, RunID: runID, Verdict: firedrill.VerdictPass, StartedAt: time.Unix(1, 0)}
	if err := reports.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func write(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadFilesAndArrays(t *testing.T) {
	dir := t.TempDir()
	one := write(t, filepath.Join(dir, "one.json"), resultJSON(t, "a", "r1"))
	var arr bytes.Buffer
	arr.WriteString("[" + string(resultJSON(t, "b", "r2")) + "," + string(resultJSON(t, "c", "r3")) + "]")
	many := write(t, filepath.Join(dir, "many.json"), arr.Bytes())
	set, err := Read([]string{one, many})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Results) != 3 || set.Results[2].Scenario != "c" || set.Files[1] != many+"[0]" {
		t.Fatalf("set = %+v", set)
	}
}

// A directory is walked: result.json files and history copies are read,
// run.json passed over in silence, other JSON skipped with a warning, and
// the same run found twice counted once.
func TestReadDirectory(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "pk-1", "result.json"), resultJSON(t, "pk", "r1"))
	write(t, filepath.Join(dir, "pk-1", "run.json"), []byte(`{"scenario":"pk","run_id":"r1","seed":1}`))
	write(t, filepath.Join(dir, "pk-1", "ledger.jsonl"), []byte("{}\n"))
	write(t, filepath.Join(dir, "pk-2", "result.json"), resultJSON(t, "pk", "r2"))
	write(t, filepath.Join(dir, "history", "pk", "20260101T000000Z-r2.json"), resultJSON(t, "pk", "r2"))
	write(t, filepath.Join(dir, "package.json"), []byte(`{"name":"x"}`))
	write(t, filepath.Join(dir, "broken.json"), []byte(`{"name":`))
	set, err := Read([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Results) != 2 || set.Duplicates != 1 {
		t.Fatalf("results %d, duplicates %d", len(set.Results), set.Duplicates)
	}
	if len(set.Warnings) != 2 || !strings.Contains(strings.Join(set.Warnings, "\n"), "package.json: skipped: not a firedrill result: no scenario, run_id, verdict") {
		t.Errorf("warnings = %q", set.Warnings)
	}
}

// Every bad input is named at once, with the file and a hint.
func TestReadBadInput(t *testing.T) {
	dir := t.TempDir()
	notJSON := write(t, filepath.Join(dir, "ledger.jsonl"), []byte("{}\n{}\n"))
	other := write(t, filepath.Join(dir, "other.json"), []byte(`{"name":"x"}`))
	newer := write(t, filepath.Join(dir, "newer.json"), bytes.Replace(resultJSON(t, "a", "r"), []byte(`"schema_version": 1`), []byte(`"schema_version": 99`), 1))
	badField := write(t, filepath.Join(dir, "bad.json"), []byte(`{"scenario":"a","run_id":"r","verdict":"pass","rpo_ms":"soon"}`))
	badVerdict := write(t, filepath.Join(dir, "verdict.json"), []byte(`{"scenario":"a","run_id":"r","verdict":"maybe"}`))
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	missing := filepath.Join(dir, "missing.json")
	_, err := Read([]string{notJSON, other, newer, badField, badVerdict, empty, missing})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		notJSON + ": not JSON (line 2: invalid character '{' after top-level value) (hint: give a result.json",
		other + ": not a firedrill result: no scenario, run_id, verdict (hint:",
		newer + ": schema_version 99 is newer than this build reads (1) (hint: read it with a firedrill at least as new",
		badField + ": a firedrill result with a broken field: cannot unmarshal string into Go struct field Result.rpo_ms",
		badVerdict + `: verdict "maybe": want pass, fail or inconclusive`,
		empty + ": no firedrill result in this directory or below it",
		missing + ": cannot read it: no such file or directory",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	// A newer schema is refused inside a directory too: leaving it out
	// would change the figures.
	sub := filepath.Join(dir, "hist")
	write(t, filepath.Join(sub, "x.json"), bytes.Replace(resultJSON(t, "a", "r"), []byte(`"schema_version": 1`), []byte(`"schema_version": 2`), 1))
	if _, err := Read([]string{sub}); err == nil || !strings.Contains(err.Error(), "schema_version 2 is newer") {
		t.Errorf("newer schema in a directory: %v", err)
	}
}
