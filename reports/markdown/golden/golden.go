// Package golden holds what the golden tests of the report renderers
// share (reports/markdown, reports/junit): the Results they render, read
// from the fixtures score pins (reports/score/testdata/*.json.golden) and
// from reports/markdown/testdata/*.result.json (a richer DR drill), and
// the comparison with a golden file that -update rewrites, as
// reports/golden_test.go does for the terminal summary. Only tests import
// it.
package golden

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

// reportsDir is the reports directory of this source tree.
func reportsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Fixtures are the Results to render, by name ("pass", "fail", ..., "dr"),
// with their names sorted.
func Fixtures(t testing.TB) (names []string, results map[string]firedrill.Result) {
	t.Helper()
	pinned, _ := filepath.Glob(filepath.Join(reportsDir(), "score", "testdata", "*.json.golden"))
	ours, _ := filepath.Glob(filepath.Join(reportsDir(), "markdown", "testdata", "*.result.json"))
	if len(pinned) == 0 || len(ours) == 0 {
		t.Fatalf("fixtures missing: %d in reports/score/testdata, %d in reports/markdown/testdata", len(pinned), len(ours))
	}
	results = map[string]firedrill.Result{}
	for _, p := range append(pinned, ours...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var r firedrill.Result
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(p), ".json.golden"), ".result.json")
		results[name] = r
		names = append(names, name)
	}
	sort.Strings(names)
	return names, results
}

// Several are the results of a run of several drills: four runs of one
// scenario, as repeats (each its own run id, a minute apart), then the DR
// drill.
func Several(t testing.TB) []firedrill.Result {
	t.Helper()
	_, all := Fixtures(t)
	var out []firedrill.Result
	for i, name := range []string{"pass", "fail", "never", "inconclusive", "dr"} {
		r := all[name]
		if name != "dr" {
			r.RunID = fmt.Sprintf("r-%d", i+1)
			r.StartedAt = r.StartedAt.Add(time.Duration(i) * time.Minute)
		}
		out = append(out, r)
	}
	return out
}

// Check compares got with testdata/name in the test's package, or
// rewrites it when update is set; pkg names the package for the hint
// ("./reports/junit").
func Check(t testing.TB, update bool, pkg, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test %s -update creates it)", err, pkg)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test %s -update to accept):\n--- got\n%s\n--- want\n%s", path, pkg, got, want)
	}
}

// CheckManagers checks that a combined report names each result's failover
// manager when the results ran more than one (`firedrill run --manager`):
// render of Several with two managers has every one of wants, render with
// one manager none of them.
func CheckManagers(t *testing.T, render func(io.Writer, []firedrill.Result, string) error, wants ...string) {
	t.Helper()
	results := Several(t)
	for i := range results {
		results[i].Manager = "builtin"
	}
	var single strings.Builder
	if err := render(&single, results, "one manager"); err != nil {
		t.Fatal(err)
	}
	results[len(results)-1].Manager = "none"
	var b strings.Builder
	if err := render(&b, results, "two managers"); err != nil {
		t.Fatal(err)
	}
	for _, want := range wants {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
		if strings.Contains(single.String(), want) {
			t.Errorf("one manager's report has %q", want)
		}
	}
}
