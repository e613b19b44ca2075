package main

import (
	"github.com/firedrill/firedrill/internal/ghactions"

	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/cmd/firedrill/internal/suite"
	"github.com/firedrill/firedrill/drill"
	"github.com/firedrill/firedrill/scenarios"
)

// Output formats of validate.
const (
	formatText   = "text"
	formatGitHub = "github"
	formatJSON   = "json"
)

func newValidateCmd(g *globals) *cobra.Command {
	format := formatText
	cmd := &cobra.Command{
		Use:   "validate SCENARIO|DIR...",
		Short: "Check scenario files without running anything",
		Long: `Load every scenario (a file, or the name of a built-in) strictly and report
every problem of every file at once, each as file:line:col: field.path: message
(hint: ...); past 100 problems in a file, the rest are counted. A directory
stands for the *.yaml and *.yml files in it, in name order. Only regular files
of at most 1 MiB are read. Nothing is started and Docker is not needed.

The exit code is 0 when every scenario is valid and 2 when any is not.

A valid scenario may still draw warnings, which leave the exit code alone:
  - a feature this build's engine cannot run yet: 'firedrill run' refuses the
    scenario (exit 2);
  - a fault whose at + workload.stability_window reaches timeline.duration: its
    recovery cannot be confirmed before the writes stop, so its RTO will be
    inconclusive.

Formats (--format):
  text    "FILE: ok" lines on stdout; one problem per line on stderr, and one
          warning per line as FILE:LINE:COL: warning: field.path: message
  github  GitHub Actions workflow commands on stdout, so each problem becomes an
          error annotation on the pull request and each warning a warning one:
          ::error file=F,line=L,col=C,title=firedrill validate::msg
  json    a JSON array on stdout, one object per scenario, and nothing else on
          either stream: [{"input","file","name","valid","errors":[{"file","line",
          "col","path","message","hint","error"}],"unsupported":[{"file","line",
          "col","path","feature","detail","message","warning"}],"warnings":[{"file",
          "line","col","path","message","hint","warning"}]}]`,
		Example: `  firedrill validate my-drill.yaml
  firedrill validate primary-kill scenarios/*.yaml
  firedrill validate drills/                           # every *.yaml and *.yml in drills
  firedrill validate --format github scenarios/*.yaml    # in a GitHub Actions step
  firedrill validate --format json drills/*.yaml | jq '.[] | select(.valid | not)'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case formatText, formatGitHub, formatJSON:
			default:
				return withCode(firedrill.ExitUsage, fmt.Errorf("unknown --format %q (formats: text, github, json)", format))
			}
			results := validateAll(args)
			bad := 0
			for _, r := range results {
				if !r.Valid {
					bad++
				}
			}
			var err error
			switch format {
			case formatText:
				writeValidateText(g.stdout, g.stderr, results)
			case formatGitHub:
				writeValidateGitHub(g.stdout, results)
			case formatJSON:
				err = writeJSON(g.stdout, results)
			}
			if err != nil {
				return withCode(firedrill.ExitInconclusive, err)
			}
			if bad > 0 {
				if format == formatJSON {
					return withCode(firedrill.ExitUsage, nil) // stdout holds the answer; stderr stays quiet
				}
				return withCode(firedrill.ExitUsage, fmt.Errorf("%d of %d scenarios invalid", bad, len(results)))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", formatText, "output format: text, github or json")
	return cmd
}

// validateResult is what validate found in one input; it is also the JSON
// --format json prints.
type validateResult struct {
	// Input is the argument as given (a path or a built-in name).
	Input string `json:"input"`
	// File is where the scenario was read from ("builtin:<name>" for a
	// built-in).
	File string `json:"file"`
	// Name is the scenario's name, when it loaded.
	Name  string          `json:"name,omitempty"`
	Valid bool            `json:"valid"`
	Errs  []validateError `json:"errors"`
	// Unsupported lists the parts of a valid scenario this build's engine
	// does not execute; run refuses such a scenario.
	Unsupported []validateWarning `json:"unsupported"`
	// Warnings lists what a valid scenario does that will make part of its
	// result inconclusive.
	Warnings []validateWarning `json:"warnings"`

	scn *scenarios.Scenario
}

// validateError is one problem, as JSON.
type validateError struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	// Error is the whole problem in the text format's words.
	Error string `json:"error"`
}

// validateWarning is one warning about a valid scenario, as JSON: a part
// this build's engine does not execute (Feature set), or one that will come
// out inconclusive.
type validateWarning struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
	Path string `json:"path,omitempty"`
	// Feature and Detail name what the engine does not execute
	// (scenarios.Feature: "action" with the action's name, "monkey"...).
	Feature string `json:"feature,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	// Warning is the whole warning in the text format's words.
	Warning string `json:"warning"`
}

// refusedNote ends the warning of a part the engine does not execute.
const refusedNote = " ('firedrill run' refuses it)"

// engineCapabilities is what this build's engine executes, as the engine
// says it (drill.Engine; docs/architecture.md, "Faults as a registry"):
// validate warns about the rest, which run refuses. A variable, so that
// tests can stand in another engine.
var engineCapabilities = drill.Engine

// warningsOf lists the warnings of a valid scenario: what the engine does
// not execute, and what will come out inconclusive.
func warningsOf(scn *scenarios.Scenario, engine scenarios.Capabilities) (unsupported, warnings []validateWarning) {
	unsupported, warnings = []validateWarning{}, []validateWarning{}
	for _, u := range scn.Unsupported(engine) {
		w := scenarios.Warning{File: u.File, Line: u.Line, Col: u.Col, Path: u.Path, Msg: u.Message() + refusedNote}
		unsupported = append(unsupported, validateWarning{File: u.File, Line: u.Line, Col: u.Col, Path: u.Path,
			Feature: string(u.Feature), Detail: u.Detail, Message: u.Message(), Warning: w.String()})
	}
	for _, w := range scn.Warnings() {
		warnings = append(warnings, validateWarning{File: w.File, Line: w.Line, Col: w.Col, Path: w.Path,
			Message: w.Msg, Hint: w.Hint, Warning: w.String()})
	}
	return unsupported, warnings
}

// allWarnings is both lists of r in file order, for the text and GitHub
// formats.
func (r validateResult) allWarnings() []validateWarning {
	all := append(slices.Clone(r.Unsupported), r.Warnings...)
	slices.SortStableFunc(all, func(a, b validateWarning) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return all
}

// validateAll loads every input and collects all of its problems. A
// directory stands for the *.yaml and *.yml files in it (not in its
// subdirectories), in name order.
func validateAll(inputs []string) []validateResult {
	out := make([]validateResult, 0, len(inputs))
	for _, in := range inputs {
		files, err := suite.Dir(in)
		switch {
		case err != nil:
			out = append(out, validateResult{Input: in, File: in, Unsupported: []validateWarning{}, Warnings: []validateWarning{}, Errs: []validateError{{
				File: in, Message: err.Error(), Error: (&scenarios.Error{File: in, Msg: err.Error()}).Error()}}})
		case files == nil:
			out = append(out, validateOne(in))
		default:
			for _, f := range files {
				out = append(out, validateOne(f))
			}
		}
	}
	return out
}

func validateOne(input string) validateResult {
	r := validateResult{Input: input, File: input, Errs: []validateError{}, Unsupported: []validateWarning{}, Warnings: []validateWarning{}}
	scn, err := scenarios.Resolve(input)
	if err == nil {
		r.scn, r.Valid, r.File, r.Name = scn, true, scn.File, scn.Name
		r.Unsupported, r.Warnings = warningsOf(scn, engineCapabilities)
		return r
	}
	for _, e := range scenarioErrors(err) {
		ve := validateError{File: e.File, Line: e.Line, Col: e.Col, Path: e.Path, Message: e.Msg, Hint: e.Hint}
		if ve.File == "" {
			// "neither a built-in scenario nor a file": it is about the argument.
			ve.File = input
		}
		ve.Error = (&scenarios.Error{File: ve.File, Line: e.Line, Col: e.Col, Path: e.Path, Msg: e.Msg, Hint: e.Hint}).Error()
		if r.File == input && e.File != "" {
			r.File = e.File
		}
		r.Errs = append(r.Errs, ve)
	}
	return r
}

// scenarioErrors returns the individual problems of an error from the
// scenarios package; any other error becomes one problem without a position.
func scenarioErrors(err error) []*scenarios.Error {
	var es scenarios.Errors
	if errors.As(err, &es) {
		return es
	}
	var e *scenarios.Error
	if errors.As(err, &e) {
		return []*scenarios.Error{e}
	}
	return []*scenarios.Error{{Msg: err.Error()}}
}

func writeValidateText(stdout, stderr io.Writer, results []validateResult) {
	for _, r := range results {
		if r.Valid {
			fmt.Fprintf(stdout, "%s: ok\n", termSafe(r.Input))
			for _, w := range r.allWarnings() {
				fmt.Fprintln(stderr, termSafe(w.Warning))
			}
			continue
		}
		for _, e := range r.Errs {
			fmt.Fprintln(stderr, termSafe(e.Error))
		}
	}
}

// termSafe escapes what a terminal would act on rather than show: control
// characters (C0, DEL, C1: escape sequences, carriage returns) and the
// bidirectional overrides that reorder a line. Scenario text and file
// names go through it before they reach a terminal.
func termSafe(s string) string {
	if !strings.ContainsFunc(s, unsafeForTerminal) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeForTerminal(r) {
			q := strconv.QuoteRune(r) // '\x1b', '\n', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// terminalError prints err one termSafe line per line (scenarios.Errors
// puts one problem on each line), keeping err for errors.As.
type terminalError struct{ err error }

func (e terminalError) Error() string {
	lines := strings.Split(e.err.Error(), "\n")
	for i, l := range lines {
		lines[i] = termSafe(l)
	}
	return strings.Join(lines, "\n")
}

func (e terminalError) Unwrap() error { return e.err }

func unsafeForTerminal(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || // C0, DEL, C1
		r == 0x061c || r == 0x200e || r == 0x200f || // bidi marks
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) // bidi embeddings, overrides, isolates
}

// annotationTitle is the title of every GitHub annotation validate prints.
const annotationTitle = "firedrill validate"

func writeValidateGitHub(w io.Writer, results []validateResult) {
	for _, r := range results {
		if r.Valid {
			fmt.Fprintf(w, "%s: ok\n", ghactions.EscapeText(r.Input))
			for _, wr := range r.allWarnings() {
				msg := wr.Message
				if wr.Feature != "" {
					msg += refusedNote
				}
				fmt.Fprintln(w, ghactions.Annotation("warning", wr.File, wr.Line, wr.Col, annotationTitle, annotationText(wr.Path, msg, wr.Hint)))
			}
			continue
		}
		for _, e := range r.Errs {
			fmt.Fprintln(w, ghactions.Annotation("error", e.File, e.Line, e.Col, annotationTitle, annotationText(e.Path, e.Message, e.Hint)))
		}
	}
}

// annotationText is an annotation's message: "path: msg (hint: ...)", the
// position being in the annotation's properties.
func annotationText(path, msg, hint string) string {
	if path != "" {
		msg = path + ": " + msg
	}
	if hint != "" {
		msg += " (hint: " + hint + ")"
	}
	return msg
}

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
