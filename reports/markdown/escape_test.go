package markdown

import (
	"bytes"
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
)

// Untrusted text cannot break a table row, open a tag or close ours.
func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"a|b":                   `a\|b`,
		"line\nbreak":           "line break",
		"</details><img src=x>": "&lt;/details&gt;&lt;img src=x&gt;",
		"*bold* _em_ `code`":    "\\*bold\\* \\_em\\_ \\`code\\`",
		"[link](http://x)":      `\[link\](http://x)`,
		`back\slash`:            `back\\slash`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// A detail with a pipe and a newline stays in its table cell.
func TestHostileTextStaysInItsCell(t *testing.T) {
	r := firedrill.Result{Scenario: "s", Verdict: firedrill.VerdictInconclusive,
		Objectives: []firedrill.ObjectiveResult{{Name: "rto", Target: "<= 5s", Measured: "no data |\n| injected | row |", Status: firedrill.StatusNoData}}}
	var buf bytes.Buffer
	if err := Write(&buf, []firedrill.Result{r}, ""); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, "injected") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 5 {
			t.Errorf("the row was split or widened: %s", line)
		}
	}
	if !strings.Contains(buf.String(), "⚠️ no data") || strings.Contains(buf.String(), "✅") {
		t.Errorf("no data must read as inconclusive, never a pass:\n%s", buf.String())
	}
}
