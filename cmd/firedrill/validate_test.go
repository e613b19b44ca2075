package main

import (
	"github.com/firedrill/firedrill/internal/ghactions"

	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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
	prefix := "::error file=" + escapedFile + ",line=3,col=1,title=firedrill validate::[\"100%25\\r\\nsure\"]: unknown field \"100%25\\r\\nsure\""
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
	for _, empty := range []string{`"errors": []`, `"unsupported": []`, `"warnings": []`} {
		if !strings.Contains(out, empty) {
			t.Errorf("a valid scenario's %s is missing:\n%s", empty, out)
		}
	}
}

func TestValidateUnknownFormat(t *testing.T) {
	code, _, errOut := run(t, "validate", "--format", "xml", "primary-kill")
	if code != 2 || !strings.Contains(errOut, "unknown --format") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
}

// runsEverything is an engine that executes the whole language.
type runsEverything struct{}

func (runsEverything) Action(string) bool             { return true }
func (runsEverything) Feature(scenarios.Feature) bool { return true }

// A valid scenario using a feature this build cannot run is valid, with a
// warning at the feature's position (an annotation there on GitHub), built
// from the engine's own answer.
func TestValidateWarnsAboutUnsupported(t *testing.T) {
	file := "testdata/run/unimplemented.yaml"
	scn, err := scenarios.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if u := scn.Unsupported(engineCapabilities); len(u) != 1 || u[0].Feature != scenarios.FeatureAppInstances {
		t.Fatalf("%s must use one feature this build cannot run, two app instances: %v", file, u)
	}
	code, out, errOut := run(t, "validate", file)
	if code != 0 || out != file+": ok\n" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	want := file + ":15:16: warning: environment.app.instances: more than one app instance (2) is not executed by this build's engine yet ('firedrill run' refuses it)\n"
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
	code, out, _ = run(t, "validate", "--format", "github", file)
	wantGH := file + ": ok\n::warning file=" + file + ",line=15,col=16,title=firedrill validate::environment.app.instances: more than one app instance (2) is not executed by this build's engine yet ('firedrill run' refuses it)\n"
	if code != 0 || out != wantGH {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s", code, out, wantGH)
	}
	code, out, _ = run(t, "validate", "--format", "json", file)
	var got []validateResult
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 || len(got) != 1 {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	wantU := validateWarning{File: file, Line: 15, Col: 16, Path: "environment.app.instances", Feature: "app-instances", Detail: "2",
		Message: "more than one app instance (2) is not executed by this build's engine yet", Warning: strings.TrimSuffix(want, "\n")}
	if u := got[0].Unsupported; len(u) != 1 || u[0] != wantU || len(got[0].Warnings) != 0 {
		t.Errorf("unsupported %+v\nwant %+v; warnings %+v", u, wantU, got[0].Warnings)
	}

	// The engine decides: one that runs two instances draws no warning.
	defer func(e scenarios.Capabilities) { engineCapabilities = e }(engineCapabilities)
	engineCapabilities = runsEverything{}
	if code, out, errOut := run(t, "validate", file); code != 0 || out != file+": ok\n" || errOut != "" {
		t.Errorf("with an engine that runs everything: exit %d\n%s%s", code, out, errOut)
	}
}

// A fault whose at + stability_window reaches the end of the timeline is
// warned about (its RTO will be inconclusive), without changing the exit
// code; one that leaves room for the window is not. The default window is
// 5s and good.yaml's timeline 30s.
func TestValidateWarnsWhenRecoveryCannotBeConfirmed(t *testing.T) {
	good, err := os.ReadFile("testdata/validate/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, at string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Replace(string(good), "at: 10s", "at: "+at, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fits, reaches, passes := write("fits.yaml", "24s"), write("reaches.yaml", "25s"), write("passes.yaml", "26s")

	code, out, errOut := run(t, "validate", fits, reaches, passes)
	if code != 0 || out != fits+": ok\n"+reaches+": ok\n"+passes+": ok\n" {
		t.Fatalf("exit %d, stdout:\n%s", code, out)
	}
	want := reaches + ":16:11: warning: timeline.faults[0].at: the fault at 25s leaves 5s before the end of the timeline (30s), not more than workload.stability_window (5s): its recovery cannot be confirmed in time, so its RTO will be inconclusive (hint: make timeline.duration longer than 30s, inject the fault earlier, or shorten workload.stability_window)\n" +
		passes + ":16:11: warning: timeline.faults[0].at: the fault at 26s leaves 4s before the end of the timeline (30s), not more than workload.stability_window (5s): its recovery cannot be confirmed in time, so its RTO will be inconclusive (hint: make timeline.duration longer than 31s, inject the fault earlier, or shorten workload.stability_window)\n"
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}

	code, out, _ = run(t, "validate", "--format", "github", passes)
	wantGH := "::warning file=" + ghactions.EscapeProperty(passes) + ",line=16,col=11,title=firedrill validate::timeline.faults[0].at: the fault at 26s leaves 4s"
	if code != 0 || !strings.Contains(out, "\n"+wantGH) || strings.Contains(out, "refuses") {
		t.Errorf("exit %d, stdout:\n%s\nwant a line starting %s", code, out, wantGH)
	}

	code, out, _ = run(t, "validate", "--format", "json", fits, passes)
	var got []validateResult
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 || len(got) != 2 {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if len(got[0].Warnings) != 0 {
		t.Errorf("a fault that leaves room for the window is warned about: %+v", got[0].Warnings)
	}
	if w := got[1].Warnings; len(w) != 1 || w[0].Line != 16 || w[0].Col != 11 || w[0].Path != "timeline.faults[0].at" ||
		w[0].Feature != "" || !strings.HasPrefix(w[0].Hint, "make timeline.duration longer than 31s") || len(got[1].Unsupported) != 0 {
		t.Errorf("warnings %+v, unsupported %+v", w, got[1].Unsupported)
	}
}

// A directory stands for its *.yaml and *.yml files, sorted, and nothing
// else in it.
func TestValidateDirectory(t *testing.T) {
	code, out, errOut := run(t, "validate", "testdata/validate")
	wantCode, wantOut, wantErr := run(t, append([]string{"validate"}, validateInputs...)...)
	if code != wantCode || out != wantOut || errOut != wantErr {
		t.Errorf("validate DIR differs from validate FILES:\nexit %d\n%s%s\nwant exit %d\n%s%s", code, out, errOut, wantCode, wantOut, wantErr)
	}

	dir := t.TempDir()
	good, err := os.ReadFile("testdata/validate/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"b.yml", "a.yaml", "notes.txt", "sub/c.yaml"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), good, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ = run(t, "validate", dir)
	if want := filepath.Join(dir, "a.yaml") + ": ok\n" + filepath.Join(dir, "b.yml") + ": ok\n"; code != 0 || out != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s", code, out, want)
	}

	empty := t.TempDir()
	code, _, errOut = run(t, "validate", empty)
	if code != 2 || !strings.Contains(errOut, empty+": the directory holds no .yaml or .yml file") {
		t.Errorf("empty directory: exit %d\n%s", code, errOut)
	}
}

// hostileInputs writes the hostile scenarios into dir, one file each, and
// returns their paths.
func hostileInputs(t *testing.T, dir string) []string {
	t.Helper()
	good, err := os.ReadFile("testdata/validate/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g := string(good)
	var bomb strings.Builder
	bomb.WriteString("x:\n  a0: &a0 {k: v}\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&bomb, "  a%d: &a%d {<<: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	bomb.WriteString(strings.Replace(g, "  postgres:\n", "  app: {env: {<<: *a30}}\n  postgres:\n", 1))
	var unknown strings.Builder
	unknown.WriteString(g)
	for i := range 50_000 {
		fmt.Fprintf(&unknown, "f%d: 1\n", i)
	}
	files := map[string]string{
		"bomb.yaml":      bomb.String(),
		"unknown.yaml":   unknown.String(),
		"rate.yaml":      g + "workload: {writes_per_second: 1e-300}\n",
		"replicas.yaml":  strings.Replace(g, "      - name: replica1\n", strings.Repeat("      - {name: rx, region: west}\n", 10)+"      - name: replica1\n", 1),
		"name.yaml":      strings.Replace(g, "name: replica1", "name: "+strings.Repeat("r", 60), 1),
		"failover.yaml":  g + "dr: {failover: {check_interval: 1h, failures_before_action: 9223372036854775807}}\n",
		"stability.yaml": g + "workload: {stability_window: 1h}\n",
		"timeline.yaml":  strings.Replace(strings.Replace(g, "duration: 30s", "duration: 1ns", 1), "at: 10s", "at: 0s", 1),
		"image.yaml":     strings.Replace(g, "  postgres:\n", "  postgres:\n    image: 'postgres:15 latest'\n", 1),
		"bucket.yaml":    strings.Replace(g, "  postgres:\n", "  storage: {bucket: 192.168.5.4}\n  postgres:\n", 1),
	}
	var paths []string
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if fifo := filepath.Join(dir, "fifo.yaml"); exec.Command("mkfifo", fifo).Run() == nil {
		paths = append(paths, fifo)
	}
	return paths
}

// Every hostile input is refused with exit 2 and a file:line:col message,
// all in one run of validate over their directory; a hang fails the test
// after a minute (it takes well under a second).
func TestValidateHostileInputs(t *testing.T) {
	dir := t.TempDir()
	paths := hostileInputs(t, dir)
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := run(t, "validate", dir)
		done <- result{code, out, errOut}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Minute):
		t.Fatal("validate did not finish")
	}
	if r.code != 2 || r.out != "" {
		t.Fatalf("exit %d, stdout:\n%s", r.code, r.out)
	}
	for _, p := range paths {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(p) + `:\d+:\d+: `).MatchString(r.errOut) {
			t.Errorf("no file:line:col error for %s", filepath.Base(p))
		}
	}
	if !strings.Contains(r.errOut, "… and 49900 more problems") {
		t.Errorf("the 50,000 unknown fields are not capped")
	}
	if t.Failed() {
		t.Logf("stderr:\n%.5000s", r.errOut)
	}
}

// File names cannot forge workflow commands: a line that is not one of
// validate's annotations never starts with :: nor holds the old ##[ syntax.
func TestValidateGitHubFileNamesCannotForgeCommands(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/validate/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"::error file=x.yaml::forged.yaml", "##[error]forged.yaml", "  ::warning::x.yaml", "new\n::error::line.yaml"}
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), good, 0o644); err != nil {
			t.Fatalf("file name %q: %v", name, err)
		}
		// The same name, broken, to get annotations too.
		if err := os.WriteFile(filepath.Join(dir, "bad"+name), []byte("apiVersion: firedrill/v1\nname: x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ := run(t, "validate", "--format", "github", dir)
	if code != 2 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	oks := 0
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "::error file="+ghactions.EscapeProperty(filepath.Join(dir, "bad"))):
			if strings.Count(l, "::") != 2 {
				t.Errorf("annotation with a forged command: %q", l)
			}
		case strings.HasPrefix(strings.TrimLeft(l, " "), ":") || strings.Contains(l, "##["):
			t.Errorf("forged command: %q", l)
		case strings.HasSuffix(l, ": ok"):
			oks++
		default:
			t.Errorf("unexpected line %q", l)
		}
	}
	if oks != len(names) {
		t.Errorf("%d ok lines, want %d:\n%s", oks, len(names), out)
	}
}

// The text format escapes control characters of file names and messages.
func TestValidateTextEscapesControlCharacters(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/validate/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "\x1b[2J\x1b]0;owned\a.yaml")
	if err := os.WriteFile(name, good, 0o644); err != nil {
		t.Fatalf("file name: %v", err)
	}
	bad := filepath.Join(dir, "bad\x1b[31m.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: firedrill/v1\nname: x\n\"\\e[5m\": 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "validate", name, bad)
	if code != 2 {
		t.Fatalf("exit %d", code)
	}
	if strings.ContainsAny(out+errOut, "\x1b\a") {
		t.Errorf("raw control characters:\n%q\n%q", out, errOut)
	}
	if !strings.Contains(out, `\x1b[2J\x1b]0;owned\a.yaml: ok`) || !strings.Contains(errOut, `bad\x1b[31m.yaml:3:1: ["\x1b[5m"]: unknown field`) {
		t.Errorf("stdout %q\nstderr %q", out, errOut)
	}
	if got := termSafe("a\u202eb\tc\u0085d"); got != `a\u202eb\tc\u0085d` {
		t.Errorf("termSafe = %q", got)
	}
}
