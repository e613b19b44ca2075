package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/cmd/firedrill/internal/reportcmd"
	"github.com/firedrill/firedrill/cmd/firedrill/internal/runplan"
	"github.com/firedrill/firedrill/drill"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/internal/outfile"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/reports"
	"github.com/firedrill/firedrill/reports/live"
	"github.com/firedrill/firedrill/scenarios"
)

type runFlags struct {
	out        string
	keep       bool
	json       bool
	noFailover bool
	manager    string   // --manager LIST (docs/reports.md, "Game days: repeats, suites and history")
	managers   []string // --manager parsed by checkRunFlags; nil without it
	settle     time.Duration
	color      string
	seed       int64
	progress   string // --progress (docs/reports.md, "Live progress")

	// Reports, suites, repeats and history (docs/reports.md, "Formats";
	// "Game days: repeats, suites and history").
	reportFiles map[string]*string // format name (html, junit, markdown) → --FORMAT FILE
	repeat      int
	history     string
}

func newRunCmd(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run SCENARIO|DIR|@LIST...",
		Short: "Run drills: build the environment, inject the faults, score the recovery",
		Long: `Run a drill from each scenario file or built-in scenario name given (see
'firedrill list'), one after another. A directory stands for every *.yaml and
*.yml file in it, in name order; @LIST for the scenarios the file LIST names,
one a line (a built-in name, a file or a directory, paths relative to LIST;
blank lines and # comments ignored): a suite.

Every scenario is loaded and checked before anything starts: an invalid one,
or one using a feature this build cannot run yet (one line per feature), exits
2 and nothing is started.

Images that are missing are built first (the first build takes a few minutes).
Everything a run creates carries the label firedrill.run=<run id> and is removed
at the end, also on failure and Ctrl-C, unless --keep is given.

Each drill writes to its own output directory: result.json (the scored
result), ledger.jsonl (one line per workload operation: id, sent, acked,
outcome) and run.json (scenario, run id, seed). With one scenario the
directory is --out itself; with several it is --out/<scenario name> (a name
given twice gets -2, -3...). Without --out it is firedrill-out/<name>-<run id>.
A drill that produced a result also gets its reports there, next to
result.json: %s.

--junit, --markdown and --html write one combined report of every drill of
the invocation (one drill, a suite, or repeats); a --markdown FILE that is
$GITHUB_STEP_SUMMARY's is appended to, since a job's steps share it. Reports
are written also when a drill failed or was inconclusive; the exit code stays
the drills' (a report that cannot be written makes it 3).

--repeat N runs each scenario N times in a row (a game day): the output
directories are --out/<name>-1..N, every repeat uses the same seed, and the
end summary shows per scenario each run's verdict and RTO, RPO and lost
writes with their p50, p90 and max. --history DIR copies each drill's
result.json into DIR/<scenario>/<started at>-<run id>.json, never
overwriting, for 'firedrill history DIR'.

--seed fixes the seed of everything random in a drill (the monkey's faults,
a selector's "one" pick), so a run can be replayed; without it, a scenario's
monkey.seed is used, else a random seed. The seed is printed in the first
progress line and recorded in run.json.

Exit code: with one scenario, the drill's. With several, the worst of them,
in this order: 130 interrupted (the remaining drills are not started) > 3
inconclusive or infrastructure error > 2 invalid > 1 an objective missed > 0
all met. The summary lists each drill's verdict and exit code.

--progress shows the drill's live status on stderr: tty redraws a status block
in place (the other progress lines scroll above it), plain writes a status line
every 5s (for CI logs), none writes no status; auto, the default, is tty on a
terminal whose TERM is not "dumb", else plain. NO_COLOR turns colour off.

Logs and progress go to stderr. --json prints result.json to stdout and
nothing else: one object for one scenario, an array of them (in the order
given; a drill that produced no result is left out) for several.

--manager LIST (comma-separated: builtin, patroni, pg_auto_failover, none)
runs every scenario once per manager (and per --repeat), with
dr.failover.manager overridden: a stack's settings the scenario does not
give are its defaults, and what another manager's only is dropped, named on
stderr. The output directories are --out/<name>-<manager> (-<n> with
repeats), and the end summary compares the managers per scenario. A manager
this build does not run is refused up front, exit 2. --no-failover is
--manager none for one run, and cannot be combined with --manager.`,
		Example: `  firedrill run primary-kill
  firedrill run --out results/ci scenarios/library/primary-kill.yaml
  firedrill run --out results/nightly primary-kill drills/*.yaml   # one after another
  firedrill run --seed 42 monkey.yaml       # replay a monkey run
  firedrill run --keep primary-kill         # look inside afterwards
  firedrill run --no-failover primary-kill  # see what happens without the DR engine
  firedrill run --json primary-kill | jq .verdict
  firedrill run --out results/ci --junit junit.xml --html report.html --markdown "$GITHUB_STEP_SUMMARY" drills/
  firedrill run --repeat 5 --out gameday --history results/history primary-kill
  firedrill run @drills/nightly.list        # a suite: one scenario a line
  firedrill run --manager builtin,none --repeat 3 --out compare primary-kill`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDrills(cmd.Context(), g, f, cmd.Flags().Changed("seed"), args)
		},
	}
	cmd.Flags().StringVarP(&f.out, "out", "o", "", "output directory (default firedrill-out/<scenario>-<run id>; with several scenarios, one subdirectory each)")
	cmd.Flags().BoolVar(&f.keep, "keep", false, "leave the environment running after the drill and print how to reach it")
	cmd.Flags().BoolVar(&f.json, "json", false, "print result.json to stdout instead of the summary")
	cmd.Flags().BoolVar(&f.noFailover, "no-failover", false, "disable the failover manager (overrides the scenario: manager none)")
	cmd.Flags().StringVar(&f.manager, "manager", "", "run each scenario once per failover manager of LIST (comma-separated), overriding dr.failover.manager")
	cmd.Flags().DurationVar(&f.settle, "settle", 3*time.Second, "time the DR engine keeps running after the timeline, before the read-back")
	cmd.Flags().StringVar(&f.color, "color", "auto", "color the summary: auto, always, never")
	cmd.Flags().Int64Var(&f.seed, "seed", 0, "seed of the drill's random choices (default: the scenario's monkey.seed, else random)")
	cmd.Flags().StringVar(&f.progress, "progress", "auto", "live status on stderr: auto, tty (a block redrawn in place), plain (a line every 5s), none")
	// Reports, repeats, history.
	f.reportFiles = map[string]*string{
		"junit":    cmd.Flags().String("junit", "", "write the JUnit XML of every drill of this run to FILE (one test case per objective per scenario)"),
		"markdown": cmd.Flags().String("markdown", "", "write the Markdown report of every drill to FILE (appended when FILE is $GITHUB_STEP_SUMMARY's)"),
		"html":     cmd.Flags().String("html", "", "write the HTML report of every drill to FILE (one self-contained file)"),
	}
	cmd.Flags().IntVar(&f.repeat, "repeat", 1, "run each scenario N times in a row; the summary gives p50/p90/max of RTO, RPO, lost writes")
	cmd.Flags().StringVar(&f.history, "history", "", "copy each drill's result.json into DIR/<scenario>/ for 'firedrill history DIR'")
	cmd.Long = fmt.Sprintf(cmd.Long, strings.Join(reportcmd.DrillReportFiles(), ", "))
	return cmd
}

// exitRank orders exit codes from best to worst, for the exit code of
// several drills: the worst wins.
func exitRank(code int) int {
	switch code {
	case firedrill.ExitPass:
		return 0
	case firedrill.ExitFail:
		return 1
	case firedrill.ExitUsage:
		return 2
	case firedrill.ExitInconclusive:
		return 3
	case firedrill.ExitInterrupted:
		return 5
	}
	return 4 // an unexpected code is worse than any drill outcome but an interruption
}

// worseExit returns the worse of two exit codes.
func worseExit(a, b int) int {
	if exitRank(b) > exitRank(a) {
		return b
	}
	return a
}

// drillOutcome is what one drill of a run command ended with.
type drillOutcome struct {
	name, out string
	manager   string // the manager the drill ran
	label     string // name, and with --manager the manager (runplan.Label)
	code      int
	verdict   string
	res       *firedrill.Result
	err       error // why the drill produced no result, if it did not
}

// runDrills loads and checks every scenario, then runs them one after
// another.
func runDrills(ctx context.Context, g *globals, f *runFlags, seedSet bool, args []string) error {
	if err := checkRunFlags(f); err != nil {
		return withCode(firedrill.ExitUsage, err)
	}
	// Live progress (docs/reports.md, "Live progress"): every progress line
	// and log record of the drills goes through one console, which shows
	// the live status between them, so that they scroll above its block.
	mode, err := live.ParseMode(f.progress)
	if err != nil {
		return withCode(firedrill.ExitUsage, err)
	}
	console := live.NewConsole(g.stderr, live.WithMode(mode))
	logLevel := slog.LevelWarn
	if g.verbose {
		logLevel = slog.LevelDebug
	}
	g.stderr, g.log = console, slog.New(slog.NewTextHandler(console, &slog.HandlerOptions{Level: logLevel}))
	if g.notices != nil {
		prev := g.notices.Set(console) // interrupt notices, while it shows
		defer g.notices.Set(prev)
	}
	tclog.SetDefault(tcLogger{g.log}) // testcontainers' debug lines (-v) too
	byManager := len(f.managers) > 0
	overrides := f.managers
	if f.noFailover {
		overrides = []string{scenarios.ManagerNone}
	}
	scns, err := loadScenarios(g, args, f.repeat, overrides)
	if err != nil {
		return err
	}
	var refused []string
	for i, scn := range scns {
		if i%f.repeat != 0 {
			continue // a repeat: checked and warned about once
		}
		// Each line names file:line:col and the field.
		u := scn.Unsupported(drill.Engine)
		for _, feature := range u {
			fmt.Fprintln(g.stderr, termSafe(feature.Error()))
		}
		if len(u) > 0 {
			refused = append(refused, runplan.Label(scn.Name, scn.DR.Failover.Name(), byManager))
		}
		// Warnings do not stop a drill; they say up front which number
		// will be inconclusive.
		for _, w := range scn.Warnings() {
			fmt.Fprintln(g.stderr, termSafe(w.String()))
		}
	}
	if len(refused) > 0 {
		return withCode(firedrill.ExitUsage, fmt.Errorf("this build cannot run %s yet (features above); nothing was started",
			strings.Join(refused, ", ")))
	}

	seed := f.seed
	if !seedSet {
		seed = randomSeed()
	}
	labels := make([]string, len(scns))
	for i, scn := range scns {
		labels[i] = runplan.Label(scn.Name, scn.DR.Failover.Name(), byManager)
	}
	outs := runplan.OutputDirs(f.out, labels, f.repeat > 1)

	dc, imgs, err := openImages(ctx, g, true)
	if err != nil {
		return err
	}
	defer dc.Close()

	var done []drillOutcome
	var singleErr error // one drill: its error is the command's
	worst := firedrill.ExitPass
	for i, scn := range scns {
		if i > 0 {
			fmt.Fprintln(g.stderr)
			if !f.json {
				fmt.Fprintln(g.stdout)
			}
		}
		o := drillOutcome{name: scn.Name, manager: scn.DR.Failover.Name(), label: labels[i], code: firedrill.ExitPass}
		res, out, err := runDrill(ctx, g, f, scn, labels[i], outs[i], seedFor(scn, seed, seedSet), dc, imgs)
		o.out, o.res, o.err = out, res, err
		if res != nil {
			o.verdict = string(res.Verdict)
			o.code = res.Verdict.ExitCode()
		}
		if err != nil {
			o.code = firedrill.ExitInconclusive
			var ee *exitError
			if errors.As(err, &ee) {
				o.code = ee.code
			}
			if len(scns) == 1 {
				singleErr = err
			} else if ee == nil || ee.err != nil {
				fmt.Fprintf(g.stderr, "firedrill: %s: %v\n", labels[i], err)
			}
			if o.verdict == "" {
				o.verdict = "error"
			}
		}
		if o.res != nil && f.history != "" {
			if path, err := reportcmd.SaveHistory(f.history, *o.res); err != nil {
				fmt.Fprintf(g.stderr, "firedrill: %s: %v\n", scn.Name, err)
				o.code = worseExit(o.code, firedrill.ExitInconclusive)
			} else {
				fmt.Fprintf(g.stderr, "firedrill: history copy in %s\n", path)
			}
		}
		worst = worseExit(worst, o.code)
		done = append(done, o)
		if o.code == firedrill.ExitInterrupted || ctx.Err() != nil {
			worst = firedrill.ExitInterrupted
			break
		}
	}

	if f.json {
		if len(scns) == 1 {
			if done[0].res != nil {
				if err := reports.WriteJSON(g.stdout, *done[0].res); err != nil {
					return withCode(firedrill.ExitInconclusive, err)
				}
			}
		} else if err := writeResultsJSON(g.stdout, done); err != nil {
			return withCode(firedrill.ExitInconclusive, err)
		}
	}
	// The combined reports, also of failed and inconclusive drills.
	if err := writeRunReports(g, f, done); err != nil {
		worst = worseExit(worst, firedrill.ExitInconclusive)
		if singleErr == nil {
			singleErr = withCode(worst, nil)
		}
	}
	if len(scns) > 1 {
		w := g.stdout
		if f.json {
			w = g.stderr
		}
		writeSuiteSummary(w, done, len(scns), worst)
		if f.repeat > 1 {
			writeRepeatSummary(w, done)
		}
		if len(f.managers) > 1 {
			writeManagerSummary(w, done)
		}
	}
	if singleErr != nil {
		return singleErr
	}
	if worst != firedrill.ExitPass {
		return withCode(worst, nil)
	}
	return nil
}

// randomSeed picks a seed small enough to type back and to survive JSON
// readers that hold numbers as doubles.
func randomSeed() int64 { return rand.Int64N(1 << 31) }

// seedFor is the seed one drill uses: --seed when given, else the
// scenario's monkey.seed, else the run command's random seed. The monkey,
// if any, is given that seed, so the scenario the engine runs says which
// seed it used.
func seedFor(scn *scenarios.Scenario, seed int64, seedSet bool) int64 {
	m := scn.Monkey
	if !seedSet && m != nil && m.Seed != nil {
		seed = *m.Seed
	}
	if m != nil {
		m.Seed = &seed
	}
	return seed
}

func writeResultsJSON(w io.Writer, done []drillOutcome) error {
	var results []firedrill.Result
	for _, o := range done {
		if o.res != nil {
			results = append(results, *o.res)
		}
	}
	return reports.WriteJSONArray(w, results)
}

func writeSuiteSummary(w io.Writer, done []drillOutcome, total, worst int) {
	fmt.Fprintf(w, "\n%d of %d drills run\n", len(done), total)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, o := range done {
		fmt.Fprintf(tw, "  %s\t%s\texit %d\t%s\n", cmp.Or(o.label, o.name), o.verdict, o.code, o.out)
	}
	tw.Flush()
	fmt.Fprintf(w, "exit %d (the worst: 130 interrupted > 3 inconclusive > 2 invalid > 1 objective missed > 0 met)\n", worst)
}

// runInfo is run.json: what identifies a drill's run, written before it
// starts so that an interrupted run has it too.
type runInfo struct {
	Scenario string `json:"scenario"`
	File     string `json:"file"`
	RunID    string `json:"run_id"`
	Seed     int64  `json:"seed"`
	Version  string `json:"firedrill_version"`
	// Replay is the command that runs the same drill with the same seed.
	Replay string `json:"replay"`
}

func writeRunInfo(path string, info runInfo) error {
	return outfile.Write(path, outfile.ModeOutput, func(w io.Writer) error { return writeJSON(w, info) })
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// runDrill runs one drill and returns its scored result (nil when it
// could not be scored) and its output directory. An error carries its exit
// code; a scored drill's verdict gives the code otherwise.
func runDrill(ctx context.Context, g *globals, f *runFlags, scn *scenarios.Scenario, label, out string, seed int64,
	dc *client.Client, imgs *images.Images) (result *firedrill.Result, outDir string, retErr error) {
	runID := docker.NewRunID()
	if out == "" {
		out = filepath.Join("firedrill-out", label+"-"+runID)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, out, withCode(firedrill.ExitInconclusive, fmt.Errorf("create output directory: %w", err))
	}
	src := scn.File
	if name, ok := strings.CutPrefix(src, "builtin:"); ok {
		src = name
	}
	if f.managers != nil || f.noFailover {
		src = "--manager " + runplan.ShellWord(scn.DR.Failover.Name()) + " " + src
	}
	if err := writeRunInfo(filepath.Join(out, "run.json"), runInfo{Scenario: scn.Name, File: scn.File, RunID: runID,
		Seed: seed, Version: version(), Replay: fmt.Sprintf("firedrill run --seed %d %s", seed, src)}); err != nil {
		return nil, out, withCode(firedrill.ExitInconclusive, err)
	}

	fmt.Fprintf(g.stderr, "firedrill: drill %s (run %s, seed %d)\n", scn.Name, runID, seed)
	// A panic inside the drill has already torn the environment down.
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(g.stderr, "firedrill: panic: %v\n%s", p, debug.Stack())
			retErr = withCode(firedrill.ExitInconclusive, fmt.Errorf("internal error (panic); environment removed"))
		}
	}()
	o, err := drill.Run(ctx, drill.Config{Scenario: scn, RunID: runID, Seed: seed, Settle: f.settle, Keep: f.keep,
		Cleanup: g.cleanup, Docker: dc, Images: imgs, Logger: g.log, Progress: g.stderr})
	var startErr *drill.StartError
	if errors.As(err, &startErr) {
		return nil, out, withCode(firedrill.ExitInconclusive, err)
	}
	if o.Recording != nil {
		if werr := writeLedger(filepath.Join(out, "ledger.jsonl"), o.Ops); werr != nil {
			return nil, out, withCode(firedrill.ExitInconclusive, werr)
		}
	}
	if err != nil {
		var troubleErr *docker.TroubleError
		switch {
		case ctx.Err() != nil:
			if o.Recording == nil {
				return nil, out, withCode(firedrill.ExitInterrupted, errors.New("interrupted while starting the environment; everything removed"))
			}
			return nil, out, withCode(firedrill.ExitInterrupted, fmt.Errorf("interrupted; ledger so far in %s", out))
		case errors.As(err, &troubleErr):
			return nil, out, withCode(firedrill.ExitInconclusive, fmt.Errorf("Docker trouble, drill abandoned: %w; ledger so far in %s", troubleErr, out))
		}
		return nil, out, withCode(firedrill.ExitInconclusive, err)
	}
	res := *o.Result
	if err := writeResult(filepath.Join(out, "result.json"), res); err != nil {
		return nil, out, withCode(firedrill.ExitInconclusive, err)
	}
	// The drill's own reports, next to result.json (docs/reports.md, "Formats").
	files, reportErr := reportcmd.WriteDrillReports(out, res)
	if !f.json {
		if err := reports.WriteTerminal(g.stdout, res, reports.TerminalOptions{Color: useColor(f.color, g.stdout)}); err != nil {
			return &res, out, withCode(firedrill.ExitInconclusive, err)
		}
		files = append(append([]string{"result.json"}, files...), "ledger.jsonl", "run.json")
		fmt.Fprintf(g.stdout, "\n%s and %s in %s\n", strings.Join(files[:len(files)-1], ", "), files[len(files)-1], out)
	}
	if reportErr != nil {
		return &res, out, withCode(firedrill.ExitInconclusive, reportErr)
	}
	if env := o.Env; env != nil {
		cred := filepath.Join(out, "credentials.env")
		if err := writeCredentials(cred, env); err != nil {
			fmt.Fprintf(g.stderr, "firedrill: %v\n", err)
			cred = ""
		}
		fmt.Fprintf(g.stderr, "\n%s", keepInstructions(ctx, env, cred))
		// The harness is done: a clean right after this must find the run's
		// harness gone, not alive for the moment its lease takes to exit.
		if err := env.EndLease(ctx); err != nil {
			fmt.Fprintf(g.stderr, "firedrill: %v\n", err)
		}
	}
	return &res, out, nil
}

func dockerClient(ctx context.Context) (*client.Client, error) {
	c, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		c.Close()
		return nil, fmt.Errorf("Docker is not reachable (is the daemon running? DOCKER_HOST=%q): %w", os.Getenv("DOCKER_HOST"), err)
	}
	return c, nil
}

// appBinary is the firedrill binary that becomes the app image: this very
// executable, however it was linked (the app recipe carries the loader and
// libraries of a dynamically linked one).
func appBinary() (string, error) {
	if p := os.Getenv("FIREDRILL_APP_BINARY"); p != "" {
		return p, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find own executable: %w", err)
	}
	return filepath.EvalSymlinks(exe)
}

func writeLedger(path string, ops []firedrill.Op) error {
	return outfile.Write(path, outfile.ModeOutput, func(w io.Writer) error { return firedrill.WriteJSONL(w, ops) })
}

func writeResult(path string, res firedrill.Result) error {
	return outfile.Write(path, outfile.ModeOutput, func(w io.Writer) error { return reports.WriteJSON(w, res) })
}

// writeCredentials stores the run's passwords for a person inspecting a
// kept environment, readable by the owner only; they are never printed.
func writeCredentials(path string, env *docker.Env) error {
	pg := env.PostgresCredentials()
	s3User, s3Pass := env.S3Credentials()
	body := fmt.Sprintf("PGUSER=%s\nPGPASSWORD=%s\nPGDATABASE=%s\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n",
		pg.User, pg.Password, pg.Database, s3User, s3Pass)
	return outfile.Write(path, outfile.ModePrivate, func(w io.Writer) error {
		_, err := io.WriteString(w, body)
		return err
	})
}

func useColor(mode string, w any) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
