package recovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// Cluster is the Postgres administration the engine observes and acts
// through (postgres.Cluster implements it).
type Cluster interface {
	Check(ctx context.Context, node string) error
	Primary(ctx context.Context) (string, error)
	InRecovery(ctx context.Context, node string) (bool, error)
	Streaming(ctx context.Context, primary, standby string) (bool, error)
	ReceivedLSN(ctx context.Context, node string) (uint64, error)
	Promote(ctx context.Context, node string) error
	Fenced(node string) (method string, fenced bool)
	// ReplayedUntil is the commit time of the last transaction a node
	// replayed from WAL (pg_last_xact_replay_timestamp): a point-in-time
	// restore's recovery point.
	ReplayedUntil(ctx context.Context, node string) (time.Time, error)
	// Run runs one statement on a node (ALTER SYSTEM after a restore).
	Run(ctx context.Context, node, sql string) (string, error)
}

// Runtime is what the engine needs of the container platform.
type Runtime interface {
	dr.JobRunner
	State(ctx context.Context, node string) (platform.State, error)
	Networks(ctx context.Context, node string) ([]string, error)
	Connect(ctx context.Context, node, network string) error
	Restart(ctx context.Context, node string, grace time.Duration) error
}

// Replacement says how a fresh Postgres node restores its data before it
// takes clients: InitDB runs `firedrill agent <InitDB...>` while the
// image's entrypoint initialises an empty database (a logical restore),
// BeforeStart runs it before the server starts on an empty data directory
// (a physical restore). OnLine sees each line of the node's log meanwhile;
// Until, when set, holds the return until a line satisfies it (as well as
// the server accepting connections): a point-in-time restore's promotion.
type Replacement struct {
	InitDB, BeforeStart []string
	OnLine              func(line string)
	Until               func(line string) bool
}

// Rebuilder replaces lost nodes with fresh ones (docs/architecture.md,
// "Replacing a lost node"): same name, same networks, a new empty disk.
type Rebuilder interface {
	ReplacePostgres(ctx context.Context, node string, r Replacement) error
	ReplaceReplica(ctx context.Context, node, primary string) error
	ReplaceApp(ctx context.Context) error
}

// AppCheck writes a record through the app and reads it back: the
// health-check step, and the proof a restored service serves clients.
// Ready waits until the app answers its health endpoint (after a
// restart), within ctx.
type AppCheck interface {
	WriteAndRead(ctx context.Context) (detail string, err error)
	Ready(ctx context.Context) error
}

// Deps is what steps are built with.
type Deps struct {
	Scenario *scenarios.Scenario
	Topology *topology.Topology
	Cluster  Cluster
	Runtime  Runtime
	Rebuild  Rebuilder
	App      AppCheck
	Timeline *firedrill.Timeline
	// Ops is the clients' live ledger: the engine reads the writes' errors
	// from it, and the first write a restored database acknowledges.
	Ops firedrill.OpStream
	// JobEnv is the environment of the DR jobs (secrets: never printed).
	JobEnv map[string]string
	// Hold is shared with the failover manager, which stands down while a
	// plan runs.
	Hold   *dr.Hold
	Logger *slog.Logger
}

// Engine is the recovery-plan part of the drill.
type Engine struct {
	d        Deps
	interval time.Duration
	window   time.Duration
	// managerGrace is how long a lost primary is left to the failover
	// manager, when one runs and a standby answers, before the database
	// plan acts: the two must not promote at once.
	managerGrace time.Duration

	// watchers are the goroutines that wait for a restored database's
	// first write; Run waits for them.
	watchers sync.WaitGroup

	mu       sync.Mutex
	restores []Restore
	plans    []PlanRun
	seen     int // ops read so far
}

var _ firedrill.Part = (*Engine)(nil)

// New builds the engine from the scenario's plans and the failover
// settings (its rounds run at check_interval; a failure is confirmed after
// check_interval × failures_before_action).
func New(d Deps) *Engine {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	fo := d.Scenario.DR.Failover
	iv := max(fo.CheckInterval.Duration, 250*time.Millisecond)
	window := iv * time.Duration(max(fo.FailuresBeforeAction, 1))
	e := &Engine{d: d, interval: iv, window: window}
	if fo.IsEnabled() {
		worst, _ := fo.WorstCaseDetection()
		e.managerGrace = worst + 10*time.Second
	}
	return e
}

// Name names the part.
func (e *Engine) Name() string { return "recovery plans" }

// PlanRun is one plan the engine ran: the failure, and each step.
type PlanRun struct {
	Type, Why  string
	At         time.Duration // classified
	Since      time.Duration // first seen
	Injection  string        // the injection in effect when it was first seen
	Steps      []StepRun
	Done, Fail bool
}

// StepRun is one step of a plan.
type StepRun struct {
	Name     string
	At, Span time.Duration
	Outcome  string // "ok", "skipped", "failed"
	Detail   string
	Evidence string
}

// Plans returns the plans run so far.
func (e *Engine) Plans() []PlanRun {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.plans)
}

// Restores returns the restores the plans made.
func (e *Engine) Restores() []Restore {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.restores)
}

// Run observes every interval and runs a plan when a failure is
// confirmed. The time to full redundancy is dr.Redundancy's, from the
// replication lag readings of every drill with standbys.
func (e *Engine) Run(ctx context.Context) error {
	defer e.watchers.Wait()
	c := &Confirm{Window: e.window}
	var lostSince time.Duration = -1
	tick := time.NewTicker(e.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		o := e.observe(ctx)
		typ, why := Classify(o)
		if typ == TypeDatabase && e.managerGrace > 0 && len(o.Up) > 0 && o.Primary == "" {
			// Standbys answer and a failover manager runs: a lost primary
			// is its to handle first.
			if lostSince < 0 {
				lostSince = o.At
			}
			if o.At-lostSince < e.managerGrace {
				continue // not healthy either: the outage goes on
			}
		} else if o.Primary != "" {
			lostSince = -1
		}
		confirmed, since := c.Observe(o.At, typ)
		if confirmed == "" || len(PlanFor(e.d.Scenario.DR.Recovery, confirmed)) == 0 {
			continue // a type without a plan is left to the failover manager
		}
		if confirmed == TypeDatabase && lostSince >= 0 && lostSince < since {
			since = lostSince // first seen before the manager's grace, not after it
		}
		e.runPlan(ctx, confirmed, why, since, confirmed == TypeDatabase && o.Primary != "")
		e.skipOps() // what happened during the plan is the plan's
	}
}

func (e *Engine) observe(ctx context.Context) Observation {
	rctx, cancel := context.WithTimeout(ctx, e.interval)
	defer cancel()
	o := Observation{At: e.d.Timeline.Now()}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, n := range e.d.Topology.Postgres() {
		wg.Go(func() {
			if e.d.Cluster.Check(rctx, n) == nil {
				mu.Lock()
				o.Up = append(o.Up, n)
				mu.Unlock()
			}
		})
	}
	wg.Go(func() {
		if st, err := e.d.Runtime.State(rctx, topology.NodeApp); err == nil {
			o.AppRunning = st.Running()
		}
	})
	wg.Wait()
	slices.Sort(o.Up)
	if len(o.Up) > 0 {
		if p, err := e.d.Cluster.Primary(rctx); err == nil {
			o.Primary = p
		}
	}
	o.MissingNetworks = e.missingNetworks(rctx)
	e.mu.Lock()
	ops := e.d.Ops.OpsSince(e.seen)
	e.seen += len(ops)
	e.mu.Unlock()
	for _, op := range ops {
		if op.Kind == "write" && op.Outcome != firedrill.OutcomeIndeterminate {
			o.Writes.Add(op.Outcome == firedrill.OutcomeOK, op.Error)
		}
	}
	return o
}

func (e *Engine) skipOps() {
	e.mu.Lock()
	e.seen += len(e.d.Ops.OpsSince(e.seen))
	e.mu.Unlock()
}

// missingNetworks lists the running nodes that are off a network the
// topology puts them on; a node fenced by disconnection is meant to be.
func (e *Engine) missingNetworks(ctx context.Context) []string {
	var out []string
	for _, n := range e.d.Topology.Nodes {
		if m, fenced := e.d.Cluster.Fenced(n.Name); fenced && m == scenarios.FenceDisconnect {
			continue
		}
		if st, err := e.d.Runtime.State(ctx, n.Name); err != nil || !st.Running() {
			continue
		}
		nets, err := e.d.Runtime.Networks(ctx, n.Name)
		if err != nil {
			continue
		}
		for _, want := range n.Networks {
			if !slices.Contains(nets, want) {
				out = append(out, n.Name+": "+want)
			}
		}
	}
	return out
}

// injectionAt is the injection in effect (the latest injected before t),
// and when it was injected.
func (e *Engine) injectionAt(t time.Duration) (id string, at time.Duration, ok bool) {
	for _, ev := range e.d.Timeline.Events() {
		if ev.At > t {
			break
		}
		if ev.Kind == firedrill.EventFaultInjected {
			id, at, ok = ev.Injection, ev.At, true
		}
	}
	return id, at, ok
}

func (e *Engine) runPlan(ctx context.Context, typ, why string, since time.Duration, corrupt bool) {
	tl := e.d.Timeline
	steps := PlanFor(e.d.Scenario.DR.Recovery, typ)
	run := PlanRun{Type: typ, Why: why, At: tl.Now(), Since: since}
	f := Failure{Type: typ, Why: why, Since: since, Corrupt: corrupt}
	if id, at, ok := e.injectionAt(since); ok {
		run.Injection, f.Injection, f.InjectedAt, f.HasInjection = id, id, at, true
	}
	f.Primary = e.lostPrimary(ctx)
	if e.d.Hold != nil {
		e.d.Hold.Begin(fmt.Sprintf("the %s plan since %s", typ, run.At.Round(time.Millisecond)))
		defer e.d.Hold.End()
	}
	tl.Add(firedrill.Event{At: run.At, Kind: firedrill.EventRecoveryClassified, Injection: run.Injection, Target: f.Primary,
		Detail: fmt.Sprintf("%s failure: %s; running its plan: %s", typ, why, strings.Join(steps, ", "))})
	failed := false
	for _, name := range steps {
		step, err := build(name, e.d, e)
		at := tl.Now()
		var out Outcome
		if err == nil {
			out, err = step.Run(ctx, f)
		}
		span := tl.Now() - at
		sr := StepRun{Name: name, At: at, Span: span, Outcome: "ok", Detail: out.Detail, Evidence: out.Evidence}
		if out.Skipped {
			sr.Outcome = "skipped"
		}
		kind := firedrill.EventRecoveryStep
		if err != nil {
			sr.Outcome, sr.Detail, kind = "failed", errText(err, ctx), firedrill.EventRecoveryStepFailed
		}
		tl.Add(firedrill.Event{At: at, Span: span, Kind: kind, Injection: run.Injection, Target: out.Target,
			Detail: name + ": " + sr.Outcome + orEmpty(" — ", sr.Detail), Evidence: sr.Evidence})
		run.Steps = append(run.Steps, sr)
		if err != nil {
			failed = true
			break
		}
	}
	if failed {
		run.Fail = true
	} else {
		run.Done = true
		tl.Add(firedrill.Event{At: tl.Now(), Kind: firedrill.EventRecoveryDone, Injection: run.Injection,
			Detail: fmt.Sprintf("%s plan done in %s", typ, (tl.Now() - run.At).Round(time.Millisecond))})
	}
	e.mu.Lock()
	e.plans = append(e.plans, run)
	e.mu.Unlock()
}

// lostPrimary is the node that was the primary when the failure began:
// the one that answers as primary now if any (a corrupt database, a full
// disk), else the last one the timeline saw promoted, else the scenario's.
func (e *Engine) lostPrimary(ctx context.Context) string {
	if p, err := e.d.Cluster.Primary(ctx); err == nil {
		return p
	}
	node := topology.NodePrimary
	for _, ev := range e.d.Timeline.Events() {
		if ev.Kind == firedrill.EventPromote && ev.Target != "" {
			node = ev.Target
		}
	}
	return node
}

func errText(err error, ctx context.Context) string {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return "cut short by the end of the drill: " + err.Error()
	}
	return err.Error()
}

func orEmpty(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

// addRestore records a restore and returns its index.
func (e *Engine) addRestore(r Restore) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.restores = append(e.restores, r)
	return len(e.restores) - 1
}

// firstWrite adds the first write after restore i.
func (e *Engine) firstWrite(i int, p Phase) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := &e.restores[i]
	r.FirstWrite, r.HasFirstWrite = p.At+p.Span, true
	r.Phases = append(r.Phases, p)
}
