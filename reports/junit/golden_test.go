package junit

import (
	"bytes"
	"encoding/xml"
	"flag"
	"sort"
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
	goldenfiles "github.com/firedrill/firedrill/reports/markdown/golden"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// goldenCases are the Results rendered to testdata/<name>.xml.golden:
// the renderers' fixtures (reports/markdown/golden) one by one, and
// "several" (repeats and a second scenario in one file), by name.
func goldenCases(t *testing.T) map[string][]firedrill.Result {
	t.Helper()
	names, results := goldenfiles.Fixtures(t)
	out := map[string][]firedrill.Result{"several": goldenfiles.Several(t)}
	for _, name := range names {
		out[name] = []firedrill.Result{results[name]}
	}
	return out
}

func sortedNames(cases map[string][]firedrill.Result) []string {
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func TestGoldenJUnit(t *testing.T) {
	cases := goldenCases(t)
	for _, name := range sortedNames(cases) {
		t.Run(name, func(t *testing.T) {
			title := ""
			if name == "several" {
				title = "game day"
			}
			var buf bytes.Buffer
			if err := Write(&buf, cases[name], title); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".xml.golden", buf.Bytes())
			checkCounts(t, buf.Bytes(), cases[name])
		})
	}
}

// checkCounts reads the document back: its counts add up, and a drill
// that did not pass is never all green; a no-data objective is an error
// of type inconclusive, never a failure nor a pass.
func checkCounts(t *testing.T, data []byte, results []firedrill.Result) {
	t.Helper()
	var doc testSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if len(doc.Suites) != len(results) {
		t.Fatalf("%d suites for %d results", len(doc.Suites), len(results))
	}
	for i, s := range doc.Suites {
		r := results[i]
		failures, errors := 0, 0
		for _, c := range s.Cases {
			if c.Failure != nil {
				failures++
			}
			if c.Error != nil {
				errors++
			}
			for _, o := range r.Objectives {
				if o.Name == c.Name && o.Status == firedrill.StatusNoData && (c.Error == nil || c.Error.Type != TypeInconclusive || c.Failure != nil) {
					t.Errorf("%s: no-data objective %s is not an inconclusive error", s.Name, o.Name)
				}
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != failures || s.Errors != errors {
			t.Errorf("%s: counts %d/%d/%d, cases %d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, len(s.Cases), failures, errors)
		}
		if r.Verdict != firedrill.VerdictPass && failures+errors == 0 {
			t.Errorf("%s: verdict %s, yet all green", s.Name, r.Verdict)
		}
		if r.Verdict == firedrill.VerdictFail && failures == 0 {
			t.Errorf("%s: a failed drill without a failure", s.Name)
		}
	}
}

// A drill that failed for a reason no objective states (an abort, a
// failed restore) still fails, in a verdict test case.
func TestReasonsOutsideObjectivesFail(t *testing.T) {
	for _, tc := range []struct {
		verdict firedrill.Verdict
		want    string
	}{{firedrill.VerdictFail, "<failure"}, {firedrill.VerdictInconclusive, `<error message="inconclusive (exit 3): the restore failed" type="inconclusive"`}} {
		r := firedrill.Result{Scenario: "s", RunID: "r", Verdict: tc.verdict, Reasons: []string{"the restore failed"},
			Objectives: []firedrill.ObjectiveResult{{Name: "rto", Target: "<= 5s", Measured: "1s", Met: true, Status: firedrill.StatusMet}}}
		var buf bytes.Buffer
		if err := Write(&buf, []firedrill.Result{r}, ""); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), `<testcase name="verdict"`) || !strings.Contains(buf.String(), tc.want) {
			t.Errorf("%s: no verdict case with %s:\n%s", tc.verdict, tc.want, buf.String())
		}
		checkCounts(t, buf.Bytes(), []firedrill.Result{r})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfiles.Check(t, *update, "./reports/junit", name, got)
}
