package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/dr"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/probe"
	"github.com/firedrill/firedrill/reports/live"
	"github.com/firedrill/firedrill/reports/score"
	"github.com/firedrill/firedrill/reports/score/drscore"
	"github.com/firedrill/firedrill/reports/score/replication"
	"github.com/firedrill/firedrill/reports/series"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// Config is one drill to run.
type Config struct {
	Scenario *scenarios.Scenario
	RunID    string
	// Seed drives every random choice of the drill: the health-check
	// phase, a selector's "one" pick, the monkey.
	Seed int64
	// Settle is how long the DR engine keeps running after the timeline,
	// before the read-back.
	Settle time.Duration
	// Keep leaves the environment running after a drill that ended
	// normally (an interrupted or panicking one is always removed).
	Keep bool
	// Cleanup is cancelled by a second interrupt: pending reverts are
	// skipped and the teardown is forced at once. nil: never.
	Cleanup context.Context

	Docker *client.Client
	Images *images.Images
	Logger *slog.Logger
	// Progress receives the progress lines. When it is a *live.Console
	// (firedrill run --progress), the drill shows its live status on it;
	// otherwise a plain status line is written every ProgressEvery (0: 5s)
	// (docs/reports.md, "Live progress").
	Progress      io.Writer
	ProgressEvery time.Duration
}

// Outcome is what a drill produced. Fields are set as far as the drill
// got: Ops even when it was interrupted, Result only when it was scored.
type Outcome struct {
	Recording *firedrill.Recording
	Ops       []firedrill.Op
	Result    *firedrill.Result
	// Env is the environment when Keep left it running, else nil.
	Env *docker.Env
}

// StartError is a failure to bring the environment up (nothing is left
// behind).
type StartError struct{ Err error }

func (e *StartError) Error() string { return "start environment: " + e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// teardownTimeout bounds the teardown of one environment, retries included.
const teardownTimeout = 2 * time.Minute

// Run runs the drill. The error is a *StartError, a *docker.TroubleError
// (Docker trouble abandoned the drill), ctx's cause (interrupted), or
// another failure of the harness; the outcome holds what was recorded so
// far in every case.
func Run(ctx context.Context, cfg Config) (out *Outcome, err error) {
	out = &Outcome{}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	cleanup := cfg.Cleanup
	if cleanup == nil {
		cleanup = context.Background()
	}
	scn := cfg.Scenario
	// Every progress line goes through the console, which shows the live
	// status between them; it ends after the teardown, before the summary.
	console := live.Of(progress, live.WithEvery(cfg.ProgressEvery))
	console.Begin()
	defer console.End()
	progress = console

	fmt.Fprintf(progress, "firedrill: starting environment\n")
	env, err := docker.Up(ctx, cfg.Docker, cfg.Images, scn, docker.WithRunID(cfg.RunID),
		docker.WithRunLogger(log), docker.WithRunProgress(progress))
	if err != nil {
		if ctx.Err() != nil {
			return out, fmt.Errorf("interrupted while starting the environment; everything removed: %w", context.Cause(ctx))
		}
		return out, &StartError{Err: err}
	}
	// Teardown runs on every exit path: success, failure, Ctrl-C, panic.
	keep := false
	defer func() {
		p := recover()
		if keep && p == nil {
			out.Env = env
			return
		}
		console.Stage(live.StageTeardown)
		fmt.Fprintf(progress, "firedrill: tearing down environment %s\n", env.RunID)
		if derr := tearDown(cleanup, env); derr != nil {
			fmt.Fprintf(progress, "firedrill: teardown incomplete (run 'firedrill clean --run %s'): %v\n", env.RunID, derr)
		}
		if p != nil {
			panic(p)
		}
	}()

	appURL, err := env.Endpoint(ctx, topology.NodeApp, topology.PortApp)
	if err != nil {
		return out, err
	}
	tl := firedrill.NewTimeline()
	ledger := &firedrill.Ledger{}
	wl := scn.Workload
	appBase := (&url.URL{Scheme: "http", Host: appURL}).String()
	// Where the streams' new connections go if the app is rebuilt at
	// another address (a complete failure's recovery).
	redial := &probe.Redial{}
	rd := newReads(wl, cfg.RunID, appBase, redial, tl, ledger)
	up := newUploads(wl, cfg.RunID, appBase, redial, tl, ledger)
	pr := probe.New(probe.Config{Rate: wl.WritesPerSecond, Timeout: wl.Timeout.Duration, RunID: cfg.RunID, Acks: rd.writeAcks()},
		probe.NewHTTPWriter(appBase, wl.Timeout.Duration, probe.WithRate(wl.WritesPerSecond), probe.WithRedial(redial)), tl, ledger)

	cluster := env.Cluster()
	// The timeline's faults and the monkey's, drawn from the seed.
	schedule := chaos.Schedule(scn, cfg.Seed)
	runner := &firedrill.Runner{
		Scenario: scn,
		Timeline: tl,
		Schedule: schedule,
		Workload: up.beside(rd.beside(pr)),
		Injector: chaos.NewInjector(env.Topology, env, cluster, tl, chaos.WithSeed(cfg.Seed), chaos.WithFences(cluster), chaos.WithSQL(cluster)),
		Verifier: cluster,
		Settle:   cfg.Settle,
		Cleanup:  cfg.Cleanup,
		Progress: progress,
		OnStage:  console.Stage,
		Logger:   log,
	}
	if len(scn.Abort) > 0 {
		runner.Aborts = firedrill.NewAbortWatcher(scn.Abort, tl, firedrill.WithOps(ledger),
			firedrill.WithOutcomeWithin(wl.Timeout.Duration))
	}
	// A recovery plan and the failover manager share one hold: the
	// manager stands down while a plan rebuilds the cluster.
	hold := &dr.Hold{}
	var checks func() dr.Checks // the manager's live health checking, for the console
	if fo := scn.DR.Failover; fo.IsEnabled() {
		// The manager judges health where the clients are: from a watcher
		// in the app's network namespace (docs/architecture.md, "The
		// failover manager").
		// An HA stack fails over by itself: its watcher reads the stack's
		// own state (dr/stackwatch).
		deps := dr.ManagerDeps{Topology: env.Topology, Cluster: cluster, Timeline: tl, Logger: log, Seed: cfg.Seed, Endpoints: env}
		if !scenarios.IsStack(fo.Manager) {
			deps.Hold, deps.Vantage = hold, dr.NewSidecarVantage(env, topology.NodeApp, cluster.ClientDSNs(), log)
		}
		m, err := dr.NewManager(fo.Manager, fo, deps)
		if err != nil {
			return out, err
		}
		runner.Parts = append(runner.Parts, m)
		if cr, ok := m.(dr.CheckReporter); ok {
			checks = cr.Checks
		}
	}
	console.Watch(live.Source{Timeline: tl, Ops: ledger, Schedule: schedule, Scenario: scn, Settle: cfg.Settle, Checks: checks,
		Sent: func(kind string) (int, bool) {
			switch kind {
			case "write":
				sent, _, _, _ := pr.Stats()
				return sent, true
			case "read":
				return rd.sent()
			case firedrill.OpKindUpload:
				return up.sent()
			}
			return 0, false
		}})
	// The standbys' lag, read on the primary every dr.LagInterval, for the
	// report's replication lag and RPO exposure (docs/measurement.md,
	// "Replication lag and RPO exposure").
	var lag *dr.LagSampler
	if len(env.Topology.Standbys()) > 0 {
		lag = dr.NewLagSampler(cluster.LagReader(), tl, dr.LagInterval, log)
		// The same readings give the time to full redundancy, whoever
		// brings the standbys back (docs/measurement.md).
		lag.Observe(dr.NewRedundancy(tl, len(env.Topology.Standbys())).Observe)
		runner.Parts = append(runner.Parts, lag)
	}

	// Backups, recovery plans and notifications (docs/architecture.md,
	// "The DR engine").
	dre := newDREngine(scn, cfg.RunID, env, tl, ledger, appBase, redial, hold, log)
	runner.Parts = append(runner.Parts, dre.parts()...)

	fmt.Fprintf(progress, "firedrill: drill running for %s (%g writes/s%s)\n", scn.Timeline.Duration.Duration, wl.WritesPerSecond, rd.rate(wl)+up.rate(wl))
	// Docker trouble (an object of the run removed from outside, the daemon
	// gone) ends the drill as an infrastructure error, not as a failed
	// objective: the drill's context is cancelled with the trouble as cause.
	drillCtx, endDrill := context.WithCancelCause(ctx)
	watchCtx, stopWatch := context.WithCancel(drillCtx)
	trouble := env.Watch(watchCtx)
	go func() {
		if t, ok := <-trouble; ok {
			endDrill(t)
		}
	}()
	rec, runErr := runner.Run(drillCtx)
	stopWatch()
	out.Recording = rec
	out.Ops = ledger.Ops()
	var troubleErr *docker.TroubleError
	if errors.As(context.Cause(drillCtx), &troubleErr) && ctx.Err() == nil {
		runErr = troubleErr
	}
	endDrill(nil)
	if runErr != nil {
		return out, runErr
	}

	readKeyAge, readKeyless := rd.scored()
	res := score.Score(score.Input{
		Scenario: scn, RunID: cfg.RunID, Start: tl.Start(), Duration: rec.Duration,
		Events: rec.Events, Injections: rec.Injections, Ops: out.Ops,
		ReadBack: rec.ReadBack, ReadBackErr: rec.ReadBackErr, ReadFrom: rec.ReadFrom,
		FailoverEnabled: scn.DR.Failover.IsEnabled(), Abort: rec.Abort,
		ReadKeyAge: readKeyAge, ReadKeyless: readKeyless,
		Uploads: up.readBack(ctx, progress),
	})
	res.Manager = scn.DR.Failover.Name() // the manager this drill ran, a variant by its settings (docs/result.md)
	var lagSamples []firedrill.LagSample
	if lag != nil {
		samples, failed, lastErr := lag.Readings()
		lagSamples = samples
		res.Replication = replication.Replication(samples, failed, lastErr, lag.Interval(), res.Faults)
	}
	res.Series = series.Of(out.Ops, lagSamples, time.Duration(res.DurationMS*float64(time.Millisecond)))
	res.Seed = cfg.Seed
	drscore.DR(&res, dre.result(), out.Ops, rec.ReadBack)
	if dre.notifier != nil {
		dre.notifier.Objectives(context.WithoutCancel(ctx), &res)
	}
	out.Result = &res
	keep = cfg.Keep
	return out, nil
}

// tearDown removes the environment, retrying while Docker is unavailable (a
// daemon restarting comes back within seconds), until teardownTimeout or
// until ctx (the cleanup context) ends.
func tearDown(ctx context.Context, env *docker.Env) error {
	// A cancelled cleanup context means "force": one attempt, no retries,
	// still bounded.
	forced := ctx.Err() != nil
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
	defer cancel()
	for {
		err := env.Down(ctx)
		if err == nil || forced || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(2 * time.Second):
		}
	}
}
