package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/dr"
	"github.com/firedrill/firedrill/reports"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/testenv"
	"github.com/firedrill/firedrill/testenv/probe"
)

type runFlags struct {
	out        string
	keep       bool
	json       bool
	noFailover bool
	settle     time.Duration
	color      string
}

func newRunCmd(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run a drill: build the environment, inject the faults, score the recovery",
		Long: `Run a drill from a scenario file or a built-in scenario name (see 'firedrill list').

Images that are missing are built first (the first build takes a few minutes).
Everything the run creates carries the label firedrill.run=<run id> and is removed
at the end, also on failure and Ctrl-C, unless --keep is given.

The output directory receives result.json (the scored result) and ledger.jsonl
(one line per workload operation: id, sent, acked, outcome).`,
		Example: `  firedrill run primary-kill
  firedrill run --out results/ci scenarios/library/primary-kill.yaml
  firedrill run --keep primary-kill        # look inside afterwards
  firedrill run --no-failover primary-kill # see what happens without the DR engine`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDrill(cmd.Context(), g, f, args[0])
		},
	}
	cmd.Flags().StringVarP(&f.out, "out", "o", "", "output directory (default firedrill-out/<scenario>-<run id>)")
	cmd.Flags().BoolVar(&f.keep, "keep", false, "leave the environment running after the drill and print how to reach it")
	cmd.Flags().BoolVar(&f.json, "json", false, "print result.json to stdout instead of the summary")
	cmd.Flags().BoolVar(&f.noFailover, "no-failover", false, "disable the failover manager (overrides the scenario)")
	cmd.Flags().DurationVar(&f.settle, "settle", 3*time.Second, "time the DR engine keeps running after the timeline, before the read-back")
	cmd.Flags().StringVar(&f.color, "color", "auto", "color the summary: auto, always, never")
	return cmd
}

func runDrill(ctx context.Context, g *globals, f *runFlags, name string) (retErr error) {
	scn, err := scenarios.Resolve(name)
	if err != nil {
		return withCode(firedrill.ExitUsage, err)
	}
	if f.noFailover {
		off := false
		scn.DR.Failover.Enabled = &off
	}

	docker, images, err := openImages(ctx, g, true)
	if err != nil {
		return err
	}
	defer docker.Close()

	runID := testenv.NewRunID()
	out := f.out
	if out == "" {
		out = filepath.Join("firedrill-out", scn.Name+"-"+runID)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return withCode(firedrill.ExitInconclusive, fmt.Errorf("create output directory: %w", err))
	}

	fmt.Fprintf(g.stderr, "firedrill: drill %s (run %s)\n", scn.Name, runID)
	var env *testenv.Env
	// Teardown runs on every exit path: success, failure, Ctrl-C, panic.
	defer func() {
		p := recover()
		if env != nil && !(f.keep && p == nil) {
			fmt.Fprintf(g.stderr, "firedrill: tearing down environment %s\n", runID)
			tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			if err := env.Down(tctx); err != nil {
				fmt.Fprintf(g.stderr, "firedrill: teardown incomplete (run 'firedrill clean --run %s'): %v\n", runID, err)
			}
			cancel()
		}
		if p != nil {
			fmt.Fprintf(g.stderr, "firedrill: panic: %v\n%s", p, debug.Stack())
			retErr = withCode(firedrill.ExitInconclusive, fmt.Errorf("internal error (panic); environment removed"))
		}
	}()

	fmt.Fprintf(g.stderr, "firedrill: starting environment\n")
	env, err = testenv.Up(ctx, docker, images, scn, testenv.WithRunID(runID),
		testenv.WithRunLogger(g.log), testenv.WithRunProgress(g.stderr))
	if err != nil {
		env = nil // Up already removed what it created
		if ctx.Err() != nil {
			return withCode(firedrill.ExitInterrupted, errors.New("interrupted while starting the environment; everything removed"))
		}
		return withCode(firedrill.ExitInconclusive, fmt.Errorf("start environment: %w", err))
	}

	appURL, err := env.AppURL(ctx)
	if err != nil {
		return withCode(firedrill.ExitInconclusive, err)
	}
	tl := firedrill.NewTimeline()
	ledger := &firedrill.Ledger{}
	wl := scn.Workload
	pr := probe.New(probe.Config{Rate: wl.WritesPerSecond, Timeout: wl.Timeout.Duration, RunID: runID},
		probe.NewHTTPWriter(appURL, wl.Timeout.Duration), tl, ledger)

	runner := &firedrill.Runner{
		Scenario: scn,
		Timeline: tl,
		Workload: pr,
		Injector: chaos.NewInjector(env),
		Verifier: env,
		Settle:   f.settle,
		Status: func() string {
			a, ok, failed, ind := pr.Stats()
			return fmt.Sprintf("writes %d sent, %d ok, %d failed, %d indeterminate", a, ok, failed, ind)
		},
		Progress:      g.stderr,
		ProgressEvery: 5 * time.Second,
		Logger:        g.log,
	}
	if fo := scn.DR.Failover; fo.IsEnabled() {
		var standbys []string
		for _, r := range scn.Environment.Postgres.Replicas {
			standbys = append(standbys, testenv.ReplicaNode(r.Name))
		}
		runner.Failover = dr.NewFailover(dr.FailoverConfig{
			Primary: testenv.NodePrimary, Standbys: standbys,
			Interval: fo.CheckInterval.Duration, Timeout: fo.CheckTimeout.Duration,
			FailuresBeforeAction: fo.FailuresBeforeAction, Fencing: fo.Fencing,
		}, env, tl, g.log)
	}

	fmt.Fprintf(g.stderr, "firedrill: drill running for %s (%g writes/s)\n", scn.Timeline.Duration.Duration, wl.WritesPerSecond)
	rec, runErr := runner.Run(ctx)

	ops := ledger.Ops()
	if err := writeLedger(filepath.Join(out, "ledger.jsonl"), ops); err != nil {
		return withCode(firedrill.ExitInconclusive, err)
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return withCode(firedrill.ExitInterrupted, fmt.Errorf("interrupted; ledger so far in %s", out))
		}
		return withCode(firedrill.ExitInconclusive, runErr)
	}

	res := reports.Score(reports.Input{
		Scenario: scn, RunID: runID, Start: tl.Start(), Duration: rec.Duration,
		Events: rec.Events, Ops: ops, ReadBack: rec.ReadBack, ReadBackErr: rec.ReadBackErr,
		FailoverEnabled: scn.DR.Failover.IsEnabled(),
	})
	if err := writeResult(filepath.Join(out, "result.json"), res); err != nil {
		return withCode(firedrill.ExitInconclusive, err)
	}
	if f.json {
		if err := reports.WriteJSON(g.stdout, res); err != nil {
			return withCode(firedrill.ExitInconclusive, err)
		}
	} else {
		if err := reports.WriteTerminal(g.stdout, res, reports.TerminalOptions{Color: useColor(f.color, g.stdout)}); err != nil {
			return withCode(firedrill.ExitInconclusive, err)
		}
		fmt.Fprintf(g.stdout, "\nresult.json and ledger.jsonl in %s\n", out)
	}
	if f.keep {
		cred := filepath.Join(out, "credentials.env")
		if err := writeCredentials(cred, env); err != nil {
			fmt.Fprintf(g.stderr, "firedrill: %v\n", err)
			cred = ""
		}
		fmt.Fprintf(g.stderr, "\n%s", env.KeepInstructions(ctx, cred))
	}
	if code := res.Verdict.ExitCode(); code != 0 {
		return withCode(code, nil)
	}
	return nil
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
// executable, which must be static (make build does that).
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
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write ledger: %w", err)
	}
	if err := firedrill.WriteJSONL(fh, ops); err != nil {
		fh.Close()
		return fmt.Errorf("write ledger: %w", err)
	}
	return fh.Close()
}

func writeResult(path string, res firedrill.Result) error {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if err := reports.WriteJSON(fh, res); err != nil {
		fh.Close()
		return fmt.Errorf("write result: %w", err)
	}
	return fh.Close()
}

// writeCredentials stores the run's passwords for a person inspecting a
// kept environment, readable by the owner only; they are never printed.
func writeCredentials(path string, env *testenv.Env) error {
	user, pgPass, s3User, s3Pass := env.Secrets()
	body := fmt.Sprintf("PGUSER=%s\nPGPASSWORD=%s\nPGDATABASE=%s\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n",
		user, pgPass, env.Database(), s3User, s3Pass)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	return nil
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
