package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

// The three inputs every validate test uses: one good file, two broken ones
// with several problems each.
var validateInputs = []string{
	"testdata/validate/good.yaml",
	"testdata/validate/refs.yaml",
	"testdata/validate/typos.yaml",
}

func TestValidateTextAllErrorsOfAllFiles(t *testing.T) {
	code, out, errOut := run(t, append([]string{"validate"}, validateInputs...)...)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, errOut)
	}
	if out != "testdata/validate/good.yaml: ok\n" {
		t.Errorf("stdout:\n%s", out)
	}
	want := `testdata/validate/refs.yaml:7:15: environment.postgres.primary.region: unknown region "north" (hint: regions are: east, west)
testdata/validate/refs.yaml:14:11: timeline.faults[0].at: the fault at 45s is not before the end of the timeline (30s) (hint: make timeline.duration longer than 45s or inject the fault earlier)
testdata/validate/refs.yaml:16:12: timeline.faults[0].for: kill cannot be reverted, so it takes no for (hint: remove for: the fault happens once; the DR engine has to deal with it)
testdata/validate/refs.yaml:17:15: timeline.faults[0].target: unknown target "postgres.replica2, the second one" (hint: targets are: postgres.primary, postgres.replica, postgres.replica1, storage, app)
testdata/validate/typos.yaml:6:5: environment.postgres.replicas: failover needs a replica (hint: add a replica under environment.postgres.replicas, or set dr.failover.enabled: false)
testdata/validate/typos.yaml:8:5: environment.postgres.replica: unknown field "replica" (hint: did you mean replicas?)
testdata/validate/typos.yaml:13:12: workload.timeout: a duration needs a unit, got the bare number 5 (hint: write 5s)
firedrill: 2 of 3 scenarios invalid
`
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
}

func TestValidateAllGoodExitsZero(t *testing.T) {
	code, out, errOut := run(t, "validate", "testdata/validate/good.yaml", "primary-kill")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if out != "testdata/validate/good.yaml: ok\nprimary-kill: ok\n" {
		t.Errorf("stdout:\n%s", out)
	}
}

func TestValidateGitHubAnnotations(t *testing.T) {
	code, out, errOut := run(t, append([]string{"validate", "--format", "github"}, validateInputs...)...)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, errOut)
	}
	want := `testdata/validate/good.yaml: ok
::error file=testdata/validate/refs.yaml,line=7,col=15,title=firedrill validate::environment.postgres.primary.region: unknown region "north" (hint: regions are: east, west)
::error file=testdata/validate/refs.yaml,line=14,col=11,title=firedrill validate::timeline.faults[0].at: the fault at 45s is not before the end of the timeline (30s) (hint: make timeline.duration longer than 45s or inject the fault earlier)
::error file=testdata/validate/refs.yaml,line=16,col=12,title=firedrill validate::timeline.faults[0].for: kill cannot be reverted, so it takes no for (hint: remove for: the fault happens once; the DR engine has to deal with it)
::error file=testdata/validate/refs.yaml,line=17,col=15,title=firedrill validate::timeline.faults[0].target: unknown target "postgres.replica2, the second one" (hint: targets are: postgres.primary, postgres.replica, postgres.replica1, storage, app)
::error file=testdata/validate/typos.yaml,line=6,col=5,title=firedrill validate::environment.postgres.replicas: failover needs a replica (hint: add a replica under environment.postgres.replicas, or set dr.failover.enabled: false)
::error file=testdata/validate/typos.yaml,line=8,col=5,title=firedrill validate::environment.postgres.replica: unknown field "replica" (hint: did you mean replicas?)
::error file=testdata/validate/typos.yaml,line=13,col=12,title=firedrill validate::workload.timeout: a duration needs a unit, got the bare number 5 (hint: write 5s)
`
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if errOut != "firedrill: 2 of 3 scenarios invalid\n" {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// GitHub's workflow-command rules: %, CR and LF are escaped in the message;
// in properties also : and , (a path may hold either).
func TestValidateGitHubEscaping(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "odd,name:1.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: firedrill/v1\nname: odd\n\"100%\\r\\nsure\": 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, "validate", "--format", "github", bad)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	escapedFile := strings.NewReplacer(":", "%3A", ",", "%2C").Replace(bad)
	prefix := "::error file=" + escapedFile + ",line=3,col=1,title=firedrill validate::100%25%0D%0Asure: unknown field \"100%25\\r\\nsure\""
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	found := false
	for _, l := range lines {
		if !strings.HasPrefix(l, "::error ") {
			t.Errorf("not an annotation: %q", l)
		}
		if strings.HasPrefix(l, prefix) {
			found = true
		}
	}
	if !found {
		t.Errorf("no line starts with\n%s\ngot:\n%s", prefix, out)
	}

	if got := ghEscapeProperty("builtin:a,b%\r\n"); got != "builtin%3Aa%2Cb%25%0D%0A" {
		t.Errorf("ghEscapeProperty = %q", got)
	}
	if got := ghEscapeData("a: b, 5%\r\n"); got != "a: b, 5%25%0D%0A" {
		t.Errorf("ghEscapeData = %q", got)
	}
	if got := ghAnnotation("error", "builtin:x", 0, 0, "m"); got != "::error file=builtin%3Ax,title=firedrill validate::m" {
		t.Errorf("annotation without a position = %q", got)
	}
}

func TestValidateJSONIsTheOnlyOutput(t *testing.T) {
	args := append([]string{"validate", "--format", "json"}, validateInputs...)
	code, out, errOut := run(t, append(args, "no-such-scenario")...)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if errOut != "" {
		t.Errorf("stderr is not empty:\n%s", errOut)
	}
	var got []validateResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout is not a JSON array: %v\n%s", err, out)
	}
	if len(got) != 4 {
		t.Fatalf("%d results, want 4", len(got))
	}
	type summary struct {
		valid  bool
		errors int
		name   string
	}
	want := []summary{{true, 0, "good"}, {false, 4, ""}, {false, 3, ""}, {false, 1, ""}}
	for i, r := range got {
		if s := (summary{r.Valid, len(r.Errs), r.Name}); s != want[i] {
			t.Errorf("result %d (%s) = %+v, want %+v", i, r.Input, s, want[i])
		}
	}
	e := got[2].Errs[2]
	wantErr := validateError{File: "testdata/validate/typos.yaml", Line: 13, Col: 12, Path: "workload.timeout",
		Message: "a duration needs a unit, got the bare number 5", Hint: "write 5s",
		Error: "testdata/validate/typos.yaml:13:12: workload.timeout: a duration needs a unit, got the bare number 5 (hint: write 5s)"}
	if e != wantErr {
		t.Errorf("error = %+v\nwant %+v", e, wantErr)
	}
	if e := got[3].Errs[0]; e.File != "no-such-scenario" || e.Line != 0 || !strings.Contains(e.Message, "neither a built-in") {
		t.Errorf("missing input = %+v", e)
	}
	// The raw JSON keeps empty lists as [] for consumers.
	if !strings.Contains(out, `"errors": []`) {
		t.Errorf("a valid scenario's errors are not []:\n%s", out)
	}
}

func TestValidateUnknownFormat(t *testing.T) {
	code, _, errOut := run(t, "validate", "--format", "xml", "primary-kill")
	if code != 2 || !strings.Contains(errOut, "unknown --format") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
}

// A valid scenario using a feature this build cannot run is valid, with a
// warning (an annotation at the feature's position on GitHub).
func TestValidateWarnsAboutUnimplemented(t *testing.T) {
	file := "testdata/run/unimplemented.yaml"
	scn, err := scenarios.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	features := scn.Unimplemented()
	if len(features) == 0 {
		t.Fatalf("%s must use a feature this build cannot run (the monkey)", file)
	}
	code, out, errOut := run(t, "validate", file)
	if code != 0 || out != file+": ok\n" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if !strings.HasPrefix(errOut, "warning: "+file+":16:3: monkey: ") || !strings.Contains(errOut, "('firedrill run' refuses it)") {
		t.Errorf("stderr:\n%s", errOut)
	}
	code, out, _ = run(t, "validate", "--format", "github", file)
	if code != 0 || !strings.Contains(out, "\n::warning file="+file+",line=16,col=3,title=firedrill validate::monkey: ") {
		t.Errorf("exit %d, stdout:\n%s", code, out)
	}
}

func TestSplitPosition(t *testing.T) {
	for _, c := range []struct {
		in        string
		line, col int
		rest      string
	}{
		{"a.yaml:3:4: x.y: msg", 3, 4, "x.y: msg"},
		{"a.yaml: x.y: msg", 0, 0, "x.y: msg"},
		{"other: msg", 0, 0, "other: msg"},
	} {
		line, col, rest := splitPosition("a.yaml", c.in)
		if line != c.line || col != c.col || rest != c.rest {
			t.Errorf("splitPosition(%q) = %d %d %q", c.in, line, col, rest)
		}
	}
}
