package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/cmd/firedrill/internal/reportcmd"
	"github.com/firedrill/firedrill/cmd/firedrill/internal/runplan"
	"github.com/firedrill/firedrill/cmd/firedrill/internal/suite"
	"github.com/firedrill/firedrill/internal/outfile"
	"github.com/firedrill/firedrill/reports"
	"github.com/firedrill/firedrill/reports/aggregate"
	"github.com/firedrill/firedrill/reports/trend"
	"github.com/firedrill/firedrill/scenarios"
)

// maxRepeat bounds --repeat: a game day of more drills than this is a typo.
const maxRepeat = 1000

// loadScenarios expands the arguments (directories, @LIST files, see
// package suite) and loads every scenario, each repeat its own copy (a
// drill changes its scenario: the monkey's seed), once per manager of
// managers (--manager; --no-failover is none) with dr.failover.manager
// overridden (runplan.Override), in the order scenario, manager, repeat.
// Every problem is reported at once, before anything starts: exit 2.
func loadScenarios(g *globals, args []string, repeat int, managers []string) ([]*scenarios.Scenario, error) {
	entries, expandErr := suite.Expand(args)
	var problems []error
	problems = append(problems, reportcmd.Flatten(expandErr)...)
	var scns []*scenarios.Scenario
	overrides := managers
	if overrides == nil {
		overrides = []string{""} // the scenario's own manager
	}
	for _, e := range entries {
	managers:
		for _, manager := range overrides {
			for n := range repeat {
				scn, err := scenarios.Resolve(e.Ref)
				var notes []string
				if err == nil && manager != "" {
					notes, err = runplan.Override(scn, manager)
				}
				if err != nil {
					if e.From != "" {
						err = fmt.Errorf("%s: %w", e.From, err)
					}
					// File names and scenario text reach the terminal escaped.
					problems = append(problems, terminalError{err})
					break managers
				}
				for _, note := range notes {
					if n == 0 { // once, not per repeat
						fmt.Fprintln(g.stderr, termSafe("note: "+note))
					}
				}
				scns = append(scns, scn)
			}
		}
	}
	switch {
	case len(problems) == 0:
		return scns, nil
	case len(problems) == 1 && len(entries) <= 1:
		return nil, withCode(firedrill.ExitUsage, problems[0])
	}
	for _, err := range problems {
		fmt.Fprintln(g.stderr, err)
	}
	if expandErr != nil {
		return nil, withCode(firedrill.ExitUsage, fmt.Errorf("%d problems with the scenarios given; nothing was started", len(problems)))
	}
	return nil, withCode(firedrill.ExitUsage, fmt.Errorf("%d of %d scenarios invalid; nothing was started", len(problems), len(entries)))
}

// reportTargets are run's --junit, --markdown and --html.
func reportTargets(f *runFlags) []reportcmd.Target {
	paths := map[string]string{}
	for name, p := range f.reportFiles {
		paths[name] = *p
	}
	return reportcmd.Targets(paths)
}

// writeRunReports writes the combined reports of every drill that
// produced a result; a failure is printed and returned.
func writeRunReports(g *globals, f *runFlags, done []drillOutcome) error {
	targets := reportTargets(f)
	if len(targets) == 0 {
		return nil
	}
	results := resultsOf(done)
	err := reportcmd.WriteAndSay(g.stderr, targets, results, reports.Options{Title: reportTitle(results)})
	if err != nil {
		fmt.Fprintf(g.stderr, "firedrill: %v\n", err)
	}
	return err
}

// resultsOf are the results the combined reports render: each drill's,
// and for a drill that ended without one (the infrastructure broke, an
// interrupt), an inconclusive result that says why, so that a CI report
// never leaves out a drill that did not complete (docs/reports.md,
// "JUnit").
func resultsOf(done []drillOutcome) []firedrill.Result {
	var results []firedrill.Result
	for _, o := range done {
		switch {
		case o.res != nil:
			results = append(results, *o.res)
		case o.err != nil:
			results = append(results, firedrill.Result{Scenario: o.name, Manager: o.manager, Verdict: firedrill.VerdictInconclusive,
				Reasons: []string{"the drill did not complete, so nothing was measured: " + o.err.Error()}})
		}
	}
	return results
}

// reportTitle names a combined report: empty for one drill (the
// renderer's: the scenario), "primary-kill ×5" for repeats, else the
// scenarios' names.
func reportTitle(results []firedrill.Result) string {
	if len(results) < 2 {
		return ""
	}
	var parts []string
	for _, s := range aggregate.Summarise(results) {
		if n := len(s.Runs); n > 1 {
			parts = append(parts, fmt.Sprintf("%s ×%d", s.Scenario, n))
		} else {
			parts = append(parts, s.Scenario)
		}
	}
	return strings.Join(parts, ", ")
}

// writeRepeatSummary is the end of a game day: per scenario, its runs and
// the p50/p90/max of RTO, RPO and lost writes.
func writeRepeatSummary(w io.Writer, done []drillOutcome) {
	results := resultsOf(done)
	fmt.Fprintln(w)
	if len(results) == 0 {
		fmt.Fprintln(w, "no drill produced a result: no percentiles")
		return
	}
	if err := trend.WriteTable(w, aggregate.Summarise(results)); err != nil {
		fmt.Fprintf(w, "firedrill: %v\n", err)
	}
}

// writeManagerSummary is the end of a run of several managers (--manager):
// per scenario per manager, the figures that compare the stacks.
func writeManagerSummary(w io.Writer, done []drillOutcome) {
	fmt.Fprintln(w)
	if err := trend.WriteManagerTable(w, aggregate.Summarise(resultsOf(done))); err != nil {
		fmt.Fprintf(w, "firedrill: %v\n", err)
	}
}

// checkReportFlags checks --junit/--markdown/--html, --repeat and
// --history before anything is loaded.
func checkReportFlags(f *runFlags) error {
	var errs []error
	if f.repeat < 1 || f.repeat > maxRepeat {
		errs = append(errs, fmt.Errorf("--repeat %d: want 1 to %d", f.repeat, maxRepeat))
	}
	if err := reportcmd.CheckTargets(reportTargets(f)); err != nil {
		errs = append(errs, err)
	}
	if f.history != "" {
		if err := outfile.CheckDir(f.history); err != nil {
			errs = append(errs, fmt.Errorf("--history %s: %w", f.history, err))
		}
	}
	return errors.Join(errs...)
}
