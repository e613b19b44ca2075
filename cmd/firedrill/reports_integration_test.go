//go:build integration

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports"
)

// drillFile is the name a format's report has in a drill's output
// directory (reports.Format.File).
func drillFile(t *testing.T, dir, format string) string {
	t.Helper()
	f, ok := reports.Lookup(format)
	if !ok || f.File == "" {
		t.Fatalf("the %s format is not registered with a file name", format)
	}
	return filepath.Join(dir, f.File)
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// svgNamespace is the XML namespace an inline SVG may declare: a name,
// not a reference the browser fetches.
var svgNamespace = regexp.MustCompile(`xmlns(:\w+)?="http://www\.w3\.org/[^"]*"`)

// assertSelfContained checks that an HTML report is one file: an inline
// SVG, and nothing it would load from elsewhere.
func assertSelfContained(t *testing.T, path string) {
	t.Helper()
	html := readText(t, path)
	if !strings.Contains(html, "<svg") {
		t.Errorf("%s has no inline <svg", path)
	}
	rest := svgNamespace.ReplaceAllString(html, "")
	for _, ref := range []string{"http://", "https://", "src="} {
		if i := strings.Index(rest, ref); i >= 0 {
			t.Errorf("%s refers outside itself (%q): %q", path, ref, rest[max(0, i-60):min(len(rest), i+60)])
		}
	}
}

// A drill whose RTO objective cannot be met fails with exit 1; its JUnit
// report records the rto failure, measured against the target, and its
// HTML report is one self-contained file with an SVG timeline. The
// combined reports of the invocation say the same.
func TestIntegrationReportsOfAFailingDrill(t *testing.T) {
	files := t.TempDir()
	junit, html, md := filepath.Join(files, "junit.xml"), filepath.Join(files, "report.html"), filepath.Join(files, "summary.md")
	d := runFiredrill(t, "run", "--junit", junit, "--html", html, "--markdown", md, "testdata/drills/rto-unmeetable.yaml")
	res := readResult(t, d.out)
	t.Cleanup(func() { assertNothingLeft(t, res.RunID) })
	if d.code != firedrill.ExitFail || res.Verdict != firedrill.VerdictFail {
		t.Fatalf("exit %d verdict %s, want 1 fail (reasons %v)", d.code, res.Verdict, res.Reasons)
	}
	var rto firedrill.ObjectiveResult
	for _, o := range res.Objectives {
		if o.Name == "rto" {
			rto = o
		}
	}
	if rto.Status != firedrill.StatusMissed {
		t.Fatalf("rto objective %+v, want missed", rto)
	}
	for _, path := range []string{drillFile(t, d.out, "junit"), junit} {
		x := readText(t, path)
		failure := regexp.MustCompile(`(?s)<failure[^>]*>`).FindString(x)
		if failure == "" {
			t.Errorf("%s has no <failure>:\n%s", path, x)
			continue
		}
		if !strings.Contains(x, rto.Measured) || !strings.Contains(x, "100ms") {
			t.Errorf("%s does not give the rto measured (%s) against its target (<= 100ms):\n%s", path, rto.Measured, x)
		}
	}
	assertSelfContained(t, drillFile(t, d.out, "html"))
	assertSelfContained(t, html)
	if m := readText(t, md); !strings.Contains(m, "rto-unmeetable") {
		t.Errorf("the Markdown report does not name the drill:\n%s", m)
	}
	// Re-rendered from result.json, the JUnit report is the same failure.
	again := filepath.Join(files, "again.xml")
	if out, err := exec.Command(bin, "report", d.out, "--junit", again).CombinedOutput(); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if !strings.Contains(readText(t, again), "<failure") {
		t.Error("the re-rendered JUnit report has no <failure>")
	}
}

// An inconclusive drill (an rto objective and no fault to measure it by)
// exits 3, and its JUnit report has an <error>, not a pass.
func TestIntegrationReportsOfAnInconclusiveDrill(t *testing.T) {
	d := runFiredrill(t, "run", "testdata/drills/no-fault-inconclusive.yaml")
	res := readResult(t, d.out)
	t.Cleanup(func() { assertNothingLeft(t, res.RunID) })
	if d.code != firedrill.ExitInconclusive || res.Verdict != firedrill.VerdictInconclusive {
		t.Fatalf("exit %d verdict %s, want 3 inconclusive", d.code, res.Verdict)
	}
	if x := readText(t, drillFile(t, d.out, "junit")); !strings.Contains(x, "<error") {
		t.Errorf("junit.xml has no <error>:\n%s", x)
	}
}

// percentileLines are the p50/p90/max rows of a trend table.
var percentileLines = regexp.MustCompile(`(?m)^  (p50|p90|max) .*$`)

// A game day: primary-kill (a 16 s timeline) five times in a row gives
// five output directories, five history copies and the p50/p90/max of
// RTO; history over the output directory shows the five runs and the same
// percentiles.
func TestIntegrationRepeatAndHistory(t *testing.T) {
	hist := t.TempDir()
	d := runFiredrill(t, "run", "--repeat", "5", "--history", hist, "testdata/drills/primary-kill-gameday.yaml")
	var runIDs []string
	for i := 1; i <= 5; i++ {
		res := readResult(t, filepath.Join(d.out, "primary-kill-"+string(rune('0'+i))))
		runIDs = append(runIDs, res.RunID)
		t.Cleanup(func() { assertNothingLeft(t, res.RunID) })
	}
	if d.code != firedrill.ExitPass {
		t.Fatalf("exit %d, want 0", d.code)
	}
	summary := d.stdout.String()
	at := strings.Index(summary, "primary-kill: 5 runs: 5 pass")
	if at < 0 {
		t.Fatalf("summary lacks the game day's heading:\n%s", summary)
	}
	summary = summary[at:] // the game day's table, after each drill's own summary
	want := percentileLines.FindAllString(summary, -1)
	if len(want) != 3 {
		t.Fatalf("summary has %d p50/p90/max lines, want 3:\n%s", len(want), summary)
	}
	copies, _ := filepath.Glob(filepath.Join(hist, "primary-kill", "*.json"))
	if len(copies) != 5 {
		t.Errorf("history holds %d copies, want 5: %v", len(copies), copies)
	}
	for _, dir := range []string{d.out, hist} {
		out, err := exec.Command(bin, "history", dir).Output()
		if err != nil {
			t.Fatalf("history %s: %v", dir, err)
		}
		text := string(out)
		t.Logf("history %s:\n%s", dir, text)
		for _, id := range runIDs {
			if !strings.Contains(text, id) {
				t.Errorf("history %s lacks run %s", dir, id)
			}
		}
		if got := percentileLines.FindAllString(text, -1); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("history %s percentiles:\n%s\nwant the run's:\n%s", dir, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	// Two runs of the same drill compare without a regression gate failing
	// on a generous tolerance.
	cmp := exec.Command(bin, "compare", "--fail-on", "rto+10s,lost_writes+1000", filepath.Join(d.out, "primary-kill-1"), filepath.Join(d.out, "primary-kill-2"))
	if out, err := cmp.CombinedOutput(); err != nil {
		t.Errorf("compare: %v\n%s", err, out)
	}
}
