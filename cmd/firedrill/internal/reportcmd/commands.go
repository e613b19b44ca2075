package reportcmd

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports"
	"github.com/firedrill/firedrill/reports/aggregate"
	"github.com/firedrill/firedrill/reports/compare"
	"github.com/firedrill/firedrill/reports/resultfile"
	"github.com/firedrill/firedrill/reports/trend"
)

// Env is what the commands take from the CLI around them.
type Env struct {
	Stdout, Stderr io.Writer
	// WithCode attaches the process exit code to err; a nil err means
	// exit with the code and print nothing more.
	WithCode func(code int, err error) error
	// Color says whether to colour the terminal output written to w.
	Color func(w io.Writer) bool
}

// Commands returns report, compare and history.
func Commands(env Env) []*cobra.Command {
	return []*cobra.Command{newReportCmd(env), newCompareCmd(env), newHistoryCmd(env)}
}

// fileFlags are the report-file flags: format name → path.
type fileFlags map[string]*string

func addFileFlags(cmd *cobra.Command, formats ...string) fileFlags {
	docs := map[string]string{
		"html":     "write the HTML report (one self-contained file) to FILE",
		"markdown": "write the Markdown report to FILE (appended when FILE is $GITHUB_STEP_SUMMARY's)",
		"junit":    "write the JUnit XML report to FILE",
		"json":     "write the results as result.json to FILE (an array for several)",
	}
	ff := fileFlags{}
	for _, f := range formats {
		ff[f] = cmd.Flags().String(f, "", docs[f])
	}
	return ff
}

func (ff fileFlags) targets() []Target {
	paths := map[string]string{}
	for name, p := range ff {
		paths[name] = *p
	}
	return Targets(paths)
}

// read reads the inputs, printing the warnings; every problem of the
// inputs is one line on stderr and the error is exit 2.
func (env Env) read(paths []string) ([]firedrill.Result, error) {
	set, err := resultfile.Read(paths)
	for _, w := range set.Warnings {
		fmt.Fprintf(env.Stderr, "firedrill: warning: %s\n", w)
	}
	if set.Duplicates > 0 {
		fmt.Fprintf(env.Stderr, "firedrill: %d of the results found were read twice (the same run id in two files) and counted once\n", set.Duplicates)
	}
	if err != nil {
		return nil, env.WithCode(firedrill.ExitUsage, inputErrors(env.Stderr, err))
	}
	if len(set.Results) == 0 {
		return nil, env.WithCode(firedrill.ExitUsage, fmt.Errorf("no results in %s", strings.Join(paths, ", ")))
	}
	return set.Results, nil
}

// Flatten lists the errors errors.Join put together, depth first.
func Flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// inputErrors prints every joined error but the last on its own line and
// returns the last, which the CLI prints with its exit code.
func inputErrors(w io.Writer, err error) error {
	flat := Flatten(err)
	if len(flat) == 0 {
		return err
	}
	for _, e := range flat[:len(flat)-1] {
		fmt.Fprintf(w, "firedrill: %v\n", e)
	}
	return flat[len(flat)-1]
}

// WriteAndSay writes the targets (WriteReports) and says on w what went
// where; every failure is a line on w, and the last is returned.
func WriteAndSay(w io.Writer, targets []Target, results []firedrill.Result, opts reports.Options) error {
	if err := WriteReports(targets, results, opts); err != nil {
		return inputErrors(w, err)
	}
	for _, t := range targets {
		fmt.Fprintf(w, "firedrill: %s report of %d results in %s\n", t.Format, len(results), t.Path)
	}
	return nil
}

// readFor checks the targets, then reads the inputs: bad flags and bad
// input are found before anything is written.
func (env Env) readFor(targets []Target, paths []string) ([]firedrill.Result, error) {
	if err := CheckTargets(targets); err != nil {
		return nil, env.WithCode(firedrill.ExitUsage, inputErrors(env.Stderr, err))
	}
	return env.read(paths)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newReportCmd(env Env) *cobra.Command {
	var ff fileFlags
	var title string
	cmd := &cobra.Command{
		Use:   "report RESULT...",
		Short: "Render saved results again: terminal, HTML, Markdown, JUnit, JSON",
		Long: `Read saved results and render them again, as one combined report of all of
them in the order given. A RESULT is a result.json file, the JSON array that
'firedrill run --json' prints for several drills, or a directory: every *.json
file under it (run.json excepted) that is a firedrill result, so a drill's
output directory, a suite's or a history directory all work.

Without a file flag it prints the terminal summary of each result. With
--html, --markdown, --junit or --json it writes those files instead; a
--markdown path that is $GITHUB_STEP_SUMMARY's file is appended to.

A file named on the command line that is missing, not JSON, not a firedrill
result, or of a newer schema_version than this build reads, is an error
naming the file, and exit 2: every such problem is reported at once and
nothing is written. Inside a directory, a JSON file that is not a result is
skipped with a warning; a newer schema_version is still an error.`,
		Example: `  firedrill report firedrill-out/primary-kill-1a2b/result.json
  firedrill report results/ci --html report.html --junit junit.xml
  firedrill report result.json --markdown "$GITHUB_STEP_SUMMARY"
  firedrill run --json a.yaml b.yaml > all.json && firedrill report all.json --html all.html`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			targets := ff.targets()
			results, err := env.readFor(targets, args)
			if err != nil {
				return err
			}
			if len(targets) > 0 {
				if err := WriteAndSay(env.Stderr, targets, results, reports.Options{Title: title}); err != nil {
					return env.WithCode(firedrill.ExitInconclusive, err)
				}
				return nil
			}
			term, _ := reports.Lookup("terminal")
			if err := term.New(reports.Options{Color: env.Color(env.Stdout), Title: title}).Render(env.Stdout, results); err != nil {
				return env.WithCode(firedrill.ExitInconclusive, err)
			}
			return nil
		},
	}
	ff = addFileFlags(cmd, "html", "markdown", "junit", "json")
	cmd.Flags().StringVar(&title, "title", "", "title of the combined report (default: the renderer's)")
	return cmd
}

func newCompareCmd(env Env) *cobra.Command {
	var failOn string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "compare OLD NEW",
		Short: "Show what got better or worse between two results; gate CI on a regression",
		Long: `Compare the results in OLD (a baseline) with those in NEW (a change), per
scenario, side by side: the verdict; RTO, and per fault (matched by its id:
f0, m3) its RTO and phases when each side is one run; RPO; lost writes;
failed-but-present writes; split brain; each objective's status. Each figure
is better, worse, the same, or not comparable: a figure either side did not
measure is never better or worse, whatever the other side holds.

OLD and NEW are result files or directories, read as 'firedrill report'
reads them. A side with several runs of a scenario (a --repeat run, a
history directory) is compared by its aggregate: the p50 of the runs, and
their p90 and max; verdicts, objectives, split brain and failed-but-present
writes as the share of runs.

--fail-on makes it a CI gate: a comma-separated list of FIGURE+TOLERANCE,
where FIGURE is rto, rpo or lost_writes, optionally with _p90 or _max (the
bare figure is the p50, which for one run is its figure), and TOLERANCE is a
percentage of OLD (10%), a duration (500ms, 1s; rto and rpo) or a number of
writes (lost_writes; 0 allows no increase). The exit code is 1 when any
scenario of OLD regressed by more than a tolerance, when NEW did not measure
a figure a rule names, or when NEW has no run of it; a figure OLD did not
measure has no baseline and fails nothing (a note says so). Otherwise 0. A
bad --fail-on or bad input is exit 2.`,
		Example: `  firedrill compare baseline/result.json firedrill-out/primary-kill-1a2b/result.json
  firedrill compare --fail-on rto+10%,lost_writes+0 baseline.json new/result.json
  firedrill compare --fail-on rto_p90+1s,rpo+500ms nightly/ gameday/    # aggregates of several runs
  firedrill compare --json old.json new.json | jq '.scenarios[].figures[] | select(.change=="worse")'`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rules []compare.Rule
			if cmd.Flags().Changed("fail-on") {
				var err error
				if rules, err = compare.ParseFailOn(failOn); err != nil {
					return env.WithCode(firedrill.ExitUsage, err)
				}
			}
			oldResults, oldErr := env.read(args[:1])
			newResults, newErr := env.read(args[1:])
			switch {
			case oldErr != nil && newErr != nil:
				fmt.Fprintf(env.Stderr, "firedrill: %v\n", oldErr) // both sides' problems at once
				return newErr
			case oldErr != nil:
				return oldErr
			case newErr != nil:
				return newErr
			}
			c := compare.Compare(oldResults, newResults)
			var err error
			if asJSON {
				err = writeJSON(env.Stdout, c)
			} else {
				err = compare.Write(env.Stdout, c)
			}
			if err != nil {
				return env.WithCode(firedrill.ExitInconclusive, err)
			}
			if len(rules) == 0 {
				return nil
			}
			violations, notes := compare.Check(oldResults, newResults, rules)
			for _, n := range notes {
				fmt.Fprintf(env.Stderr, "firedrill: note: %s\n", n)
			}
			for _, v := range violations {
				fmt.Fprintf(env.Stderr, "firedrill: regressed: %s\n", v)
			}
			if len(violations) > 0 {
				return env.WithCode(firedrill.ExitFail, fmt.Errorf("--fail-on %s: %s", failOn, plural(len(violations), "regression")))
			}
			fmt.Fprintf(env.Stderr, "firedrill: --fail-on %s: no regression\n", failOn)
			return nil
		},
	}
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 1 when a figure regressed beyond a tolerance: rto+10%, rpo+500ms, lost_writes+0, rto_p90+1s (comma-separated)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the comparison as JSON on stdout")
	return cmd
}

func newHistoryCmd(env Env) *cobra.Command {
	var ff fileFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history DIR...",
		Short: "Chart RTO and RPO per scenario across runs: a table, or the HTML report's trend",
		Long: `Read every result under DIR, recursively: a history directory that
'firedrill run --history DIR' fills, a '--repeat' run's output directory, or
any directory holding result.json files. Per scenario, print its runs in the
order they started (started at, run id, verdict, RTO, RPO, lost writes) and
the p50, p90 and max of RTO, RPO and lost writes over them. A run that could
not measure a figure shows "not measured" and is left out of its
percentiles (the count is shown); a fault that never recovered is "never",
above every number. A run's RTO is its worst fault's.

A JSON file under DIR that is not a firedrill result is skipped with a
warning; one with a schema_version newer than this build reads is an error
(exit 2). The same run found twice (its result.json and its history copy)
counts once.

--html writes the HTML report of all those results (with its trend chart),
--markdown the Markdown one; --json prints the per-scenario summary as JSON
instead of the table.`,
		Example: `  firedrill history results/history
  firedrill history firedrill-out/gameday --html trend.html
  firedrill history --json results/history | jq '.[] | {scenario, p90: .rto.p90}'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			targets := ff.targets()
			results, err := env.readFor(targets, args)
			if err != nil {
				return err
			}
			summary := aggregate.Summarise(results)
			if asJSON {
				err = writeJSON(env.Stdout, summary)
			} else {
				err = trend.WriteTable(env.Stdout, summary)
			}
			if err != nil {
				return env.WithCode(firedrill.ExitInconclusive, err)
			}
			if len(targets) > 0 {
				if err := WriteAndSay(env.Stderr, targets, results, reports.Options{Title: "history of " + strings.Join(args, ", ")}); err != nil {
					return env.WithCode(firedrill.ExitInconclusive, err)
				}
			}
			return nil
		},
	}
	ff = addFileFlags(cmd, "html", "markdown")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the per-scenario summary as JSON on stdout instead of the table")
	return cmd
}

// plural is "1 regression", "2 regressions".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
