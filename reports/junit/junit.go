package junit

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports"
	"github.com/firedrill/firedrill/reports/internal/words"
)

// Failure types: what a CI tool shows beside a failed or erroring test
// case, so that a missed objective and one that could not be measured
// read differently (docs/reports.md, "JUnit").
const (
	// TypeMissed: an objective broken by a measured value (a <failure>).
	TypeMissed = "missed"
	// TypeInconclusive: an objective with no data, or a drill that could
	// not be measured (an <error>): never a pass, never a plain failure.
	TypeInconclusive = "inconclusive"
	// TypeFailed: a drill that failed for a reason no objective states
	// (an abort, a fault that never recovered...) (a <failure>).
	TypeFailed = "failed"
)

// VerdictCase is the name of the test case that carries the reasons of a
// failed or inconclusive drill that no objective's test case states.
const VerdictCase = "verdict"

// timestampLayout is the Ant schema's timestamp: ISO 8601 without a time
// zone. Results' started_at is written in UTC.
const timestampLayout = "2006-01-02T15:04:05"

func init() {
	reports.Register(reports.Format{Name: "junit", File: "junit.xml",
		Doc: "JUnit XML for CI: a test suite per drill, a test case per objective",
		New: func(o reports.Options) reports.Renderer {
			return reports.RendererFunc(func(w io.Writer, results []firedrill.Result) error {
				return Write(w, results, o.Title)
			})
		}})
}

// The JUnit document, as Jenkins, GitLab and GitHub's test reporters read
// it (testdata/junit.xsd describes it).
type (
	testSuites struct {
		XMLName  xml.Name    `xml:"testsuites"`
		Name     string      `xml:"name,attr,omitempty"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Errors   int         `xml:"errors,attr"`
		Skipped  int         `xml:"skipped,attr"`
		Time     string      `xml:"time,attr"`
		Suites   []testSuite `xml:"testsuite"`
	}
	testSuite struct {
		Name       string     `xml:"name,attr"`
		Tests      int        `xml:"tests,attr"`
		Failures   int        `xml:"failures,attr"`
		Errors     int        `xml:"errors,attr"`
		Skipped    int        `xml:"skipped,attr"`
		Time       string     `xml:"time,attr"`
		Timestamp  string     `xml:"timestamp,attr,omitempty"`
		Properties []property `xml:"properties>property"`
		Cases      []testCase `xml:"testcase"`
		SystemOut  *text      `xml:"system-out"`
	}
	property struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	testCase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *outcome `xml:"failure"`
		Error     *outcome `xml:"error"`
		SystemOut *text    `xml:"system-out"`
	}
	outcome struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",cdata"`
	}
	// text is an element's text as CDATA: lines stay lines in the file.
	text struct {
		Body string `xml:",cdata"`
	}
)

// textOf is s as an element's text; nil when s is empty.
func textOf(s string) *text {
	if s == "" {
		return nil
	}
	return &text{Body: xmlChars(s)}
}

// xmlChars replaces what XML 1.0 cannot hold at all (control characters
// but tab and line breaks, a Docker error's escape sequence, invalid
// UTF-8) with U+FFFD: encoding/xml writes CDATA as it is given.
func xmlChars(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == utf8.RuneError, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return utf8.RuneError
		}
		return r
	}, s)
}

// Write writes results as one JUnit document: a <testsuite> per result,
// in order, under <testsuites> named title (omitted when empty). When the
// results ran more than one failover manager (`firedrill run --manager`),
// each suite's name ends with " [<manager>]".
func Write(w io.Writer, results []firedrill.Result, title string) error {
	doc := testSuites{Name: title}
	var totalMS float64
	managers := map[string]bool{}
	for _, r := range results {
		managers[r.Manager] = true
	}
	for _, r := range results {
		s, err := suite(r)
		if err != nil {
			return err
		}
		if len(managers) > 1 {
			s.Name += " [" + r.Manager + "]"
		}
		doc.Suites = append(doc.Suites, s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		totalMS += r.DurationMS
	}
	doc.Time = seconds(totalMS)
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit: encode: %w", err)
	}
	b.WriteString("\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("junit: write: %w", err)
	}
	return nil
}

// suite is one drill's test suite: a test case per objective, and the
// verdict's when reasons remain that no objective's case states, so that
// a failed or inconclusive drill never reads all green.
func suite(r firedrill.Result) (testSuite, error) {
	s := testSuite{
		Name: r.Scenario,
		Time: seconds(r.DurationMS),
		Properties: []property{
			{"run_id", r.RunID},
			{"seed", strconv.FormatInt(r.Seed, 10)},
			{"verdict", string(r.Verdict)},
			{"exit_code", strconv.Itoa(r.Verdict.ExitCode())},
			{"schema_version", strconv.Itoa(firedrill.ResultSchemaVersion)},
		},
	}
	if r.RunID != "" {
		s.Name += " (run " + r.RunID + ")"
	}
	if !r.StartedAt.IsZero() {
		s.Timestamp = r.StartedAt.UTC().Format(timestampLayout)
	}
	class := "firedrill." + r.Scenario
	stated := map[string]bool{} // reasons an objective's case states
	for _, o := range r.Objectives {
		c, reasons := objectiveCase(r, o)
		c.Classname = class
		for _, reason := range reasons {
			stated[reason] = true
		}
		s.Cases = append(s.Cases, c)
	}
	var rest []string
	for _, reason := range r.Reasons {
		if !stated[reason] {
			rest = append(rest, reason)
		}
	}
	if c, ok := verdictCase(r, rest, s.Cases); ok {
		c.Classname = class
		s.Cases = append(s.Cases, c)
	}
	for _, c := range s.Cases {
		s.Tests++
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		}
	}
	// The terminal summary, in full, for whoever opens the suite's output.
	var out strings.Builder
	if err := reports.WriteTerminal(&out, r, reports.TerminalOptions{}); err != nil {
		return s, fmt.Errorf("junit: %s: the summary: %w", r.Scenario, err)
	}
	s.SystemOut = textOf(out.String())
	return s, nil
}

// objectiveCase is one objective's test case, with the reasons of the
// verdict that it states (those the scoring prefixed with its name).
func objectiveCase(r firedrill.Result, o firedrill.ObjectiveResult) (testCase, []string) {
	c := testCase{Name: o.Name, Time: "0"}
	measured := o.Name + ": measured " + o.Measured + " against target " + o.Target
	var reasons []string
	for _, reason := range r.Reasons {
		if slices.Contains(reasonObjectives(reason), o.Name) {
			reasons = append(reasons, reason)
		}
	}
	body := lines(append(append([]string{o.Detail}, reasons...), faultLines(r, o)...)...)
	switch o.Status {
	case firedrill.StatusMissed:
		c.Failure = &outcome{Message: measured, Type: TypeMissed, Body: xmlChars(body)}
	case firedrill.StatusNoData:
		notMeasured := o.Name + ": not measured"
		if m := strings.ToLower(o.Measured); m != "" && m != "no data" && m != "not measured" {
			notMeasured += " (" + o.Measured + ")"
		}
		c.Error = &outcome{Message: notMeasured + " against target " + o.Target,
			Type: TypeInconclusive, Body: xmlChars(body)}
	default: // met, reported
		c.SystemOut = textOf(lines(measured, o.Detail))
	}
	return c, reasons
}

// reasonObjectives are the objectives a reason of the verdict is about:
// the scoring starts such a reason with their names ("rto: ...", "rpo,
// lost_writes: ...", docs/measurement.md, "Objectives and the verdict").
func reasonObjectives(reason string) []string {
	head, _, ok := strings.Cut(reason, ": ")
	if !ok || strings.ContainsAny(head, " ()") && !strings.Contains(head, ", ") {
		return nil
	}
	return strings.Split(head, ", ")
}

// verdictCase is the verdict's test case: needed when reasons remain that
// no objective's case states, or when the verdict is not a pass and no
// case shows it (a result that holds no objectives).
func verdictCase(r firedrill.Result, rest []string, cases []testCase) (testCase, bool) {
	shown := false
	for _, c := range cases {
		shown = shown || c.Failure != nil || c.Error != nil
	}
	if len(rest) == 0 && (r.Verdict == firedrill.VerdictPass || shown) {
		return testCase{}, false
	}
	c := testCase{Name: VerdictCase, Time: "0"}
	head := fmt.Sprintf("%s (exit %d)", r.Verdict, r.Verdict.ExitCode())
	if len(rest) > 0 {
		head += ": " + rest[0]
	}
	body := lines(rest...)
	switch r.Verdict {
	case firedrill.VerdictPass:
		c.SystemOut = textOf(lines(append([]string{head}, rest[1:]...)...))
	case firedrill.VerdictFail:
		c.Failure = &outcome{Message: head, Type: TypeFailed, Body: xmlChars(body)}
	default:
		c.Error = &outcome{Message: head, Type: TypeInconclusive, Body: xmlChars(body)}
	}
	return c, true
}

// faultLines are the per-fault figures behind an objective: one line per
// injection.
func faultLines(r firedrill.Result, o firedrill.ObjectiveResult) []string {
	if o.Status != firedrill.StatusMissed && o.Status != firedrill.StatusNoData {
		return nil
	}
	var out []string
	for _, f := range r.Faults {
		out = append(out, words.FaultLine(f))
	}
	return out
}

// lines joins the non-empty strings one to a line.
func lines(ss ...string) string {
	var kept []string
	for _, s := range ss {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return strings.Join(kept, "\n")
}

// seconds writes milliseconds as JUnit's time: seconds, to the millisecond.
func seconds(ms float64) string {
	return strconv.FormatFloat(ms/1000, 'f', 3, 64)
}
