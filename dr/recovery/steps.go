package recovery

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// Failure is what a plan's steps are told about the failure they recover
// from.
type Failure struct {
	Type, Why string
	// Since is when the failure was first observed.
	Since time.Duration
	// Injection is the fault in effect then, and InjectedAt when it was
	// injected (HasInjection false when none was).
	Injection    string
	InjectedAt   time.Duration
	HasInjection bool
	// Primary is the node that was primary when the failure began.
	Primary string
	// Corrupt: the primary answers but its data is gone (a database
	// failure seen in the clients' errors): a restore replaces it.
	Corrupt bool
}

// Outcome is what a step did. Skipped: there was nothing to do (the
// failover manager promoted already, every replica streams); it is not a
// failure. Target is the node it acted on, if one.
type Outcome struct {
	Detail, Evidence string
	Target           string
	Skipped          bool
}

// Step is one step of a recovery plan, built fresh for each run.
type Step interface {
	Run(ctx context.Context, f Failure) (Outcome, error)
}

// StepFactory builds a step for one run of a plan.
type StepFactory func(d Deps, e *Engine) Step

var registry = map[string]StepFactory{}

// Register adds a step to the registry under its name in the language's
// vocabulary (scenarios.StepNames); a name registered twice is a bug.
func Register(name string, f StepFactory) {
	if _, dup := registry[name]; dup {
		panic("recovery: step " + name + " registered twice")
	}
	registry[name] = f
}

// Implemented lists the steps this build runs, sorted.
func Implemented() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func build(name string, d Deps, e *Engine) (Step, error) {
	f, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("the step %s is not executed by this build", name)
	}
	return f(d, e), nil
}

// stepFunc adapts a function to Step.
type stepFunc func(ctx context.Context, f Failure) (Outcome, error)

func (s stepFunc) Run(ctx context.Context, f Failure) (Outcome, error) { return s(ctx, f) }

func init() {
	Register(scenarios.StepPromoteReplica, func(d Deps, _ *Engine) Step { return stepFunc(d.promoteReplica) })
	Register(scenarios.StepRebuildReplicas, func(d Deps, _ *Engine) Step { return stepFunc(d.rebuildReplicas) })
	Register(scenarios.StepReconnectNetwork, func(d Deps, _ *Engine) Step { return stepFunc(d.reconnectNetwork) })
	Register(scenarios.StepRestartServices, func(d Deps, _ *Engine) Step { return stepFunc(d.restartServices) })
	Register(scenarios.StepHealthCheck, func(d Deps, _ *Engine) Step { return stepFunc(d.healthCheck) })
}

// promoteReplica promotes the most advanced standby that answers, unless a
// writable primary exists already (the failover manager was first).
func (d Deps) promoteReplica(ctx context.Context, _ Failure) (Outcome, error) {
	if p, err := d.Cluster.Primary(ctx); err == nil {
		return Outcome{Skipped: true, Target: p, Detail: p + " is the primary already"}, nil
	}
	best, bestLSN := "", uint64(0)
	for _, n := range d.Topology.Postgres() {
		if d.Cluster.Check(ctx, n) != nil {
			continue
		}
		if lsn, err := d.Cluster.ReceivedLSN(ctx, n); err == nil && (best == "" || lsn > bestLSN) {
			best, bestLSN = n, lsn
		}
	}
	if best == "" {
		return Outcome{}, fmt.Errorf("no standby answers: nothing to promote")
	}
	if err := d.Cluster.Promote(ctx, best); err != nil {
		return Outcome{Target: best}, err
	}
	return Outcome{Target: best, Detail: "promoted " + best, Evidence: fmt.Sprintf("it had received WAL up to %X/%X", bestLSN>>32, uint32(bestLSN))}, nil
}

// rebuildReplicas re-seeds, from the current primary, every other Postgres
// node of the topology that does not stream from it: those that followed
// a lost primary, the lost primary itself, a killed replica. Back to as
// many standbys as the drill started with.
func (d Deps) rebuildReplicas(ctx context.Context, _ Failure) (Outcome, error) {
	primary, err := d.Cluster.Primary(ctx)
	if err != nil {
		return Outcome{}, fmt.Errorf("no primary to re-seed from: %w", err)
	}
	var rebuilt, kept []string
	for _, n := range d.Topology.Postgres() {
		if n == primary {
			continue
		}
		if ok, err := d.Cluster.Streaming(ctx, primary, n); err == nil && ok {
			kept = append(kept, n)
			continue
		}
		if err := d.Rebuild.ReplaceReplica(ctx, n, primary); err != nil {
			return Outcome{Target: n, Detail: describeRebuild(primary, rebuilt, kept)}, fmt.Errorf("re-seed %s from %s: %w", n, primary, err)
		}
		rebuilt = append(rebuilt, n)
	}
	out := Outcome{Target: primary, Detail: describeRebuild(primary, rebuilt, kept), Skipped: len(rebuilt) == 0}
	return out, nil
}

func describeRebuild(primary string, rebuilt, kept []string) string {
	var parts []string
	if len(rebuilt) > 0 {
		parts = append(parts, "re-seeded "+strings.Join(rebuilt, ", ")+" from "+primary)
	}
	if len(kept) > 0 {
		parts = append(parts, strings.Join(kept, ", ")+" already streaming")
	}
	if len(parts) == 0 {
		return "no standby in the topology"
	}
	return strings.Join(parts, "; ")
}

// reconnectNetwork joins every running node to the networks the topology
// gives it and it is off, except a node the failover manager fenced by
// disconnecting it (it would come back as a second primary).
func (d Deps) reconnectNetwork(ctx context.Context, _ Failure) (Outcome, error) {
	var joined []string
	for _, n := range d.Topology.Nodes {
		if m, fenced := d.Cluster.Fenced(n.Name); fenced && m == scenarios.FenceDisconnect {
			continue
		}
		st, err := d.Runtime.State(ctx, n.Name)
		if err != nil || !st.Running() {
			continue
		}
		nets, err := d.Runtime.Networks(ctx, n.Name)
		if err != nil {
			return Outcome{}, fmt.Errorf("networks of %s: %w", n.Name, err)
		}
		for _, want := range n.Networks {
			if slices.Contains(nets, want) {
				continue
			}
			if err := d.Runtime.Connect(ctx, n.Name, want); err != nil {
				return Outcome{Target: n.Name}, fmt.Errorf("reconnect %s to %s: %w", n.Name, want, err)
			}
			joined = append(joined, n.Name+" to "+want)
		}
	}
	if len(joined) == 0 {
		return Outcome{Skipped: true, Detail: "every node is on its networks"}, nil
	}
	return Outcome{Detail: "reconnected " + strings.Join(joined, ", ")}, nil
}

// restartServicesGrace is the app's grace at a restart: it holds nothing
// that needs a long shutdown.
const restartServicesGrace = 5 * time.Second

// appReadyTimeout bounds the wait for a restarted app to answer.
const appReadyTimeout = time.Minute

// restartServices restarts the app, so that it drops its connections and
// reconnects to the current primary; an app whose container is gone is
// rebuilt fresh.
func (d Deps) restartServices(ctx context.Context, f Failure) (Outcome, error) {
	st, err := d.Runtime.State(ctx, topology.NodeApp)
	if err == nil && (st.Status == platform.StatusMissing || (f.Type == TypeComplete && !st.Running())) {
		// In a complete failure the app's host is lost with its disk:
		// it is rebuilt from its image, like the rest.
		if err := d.Rebuild.ReplaceApp(ctx); err != nil {
			return Outcome{Target: topology.NodeApp}, err
		}
		return Outcome{Target: topology.NodeApp, Detail: "the app was lost: rebuilt it fresh"}, nil
	}
	if err := d.Runtime.Restart(ctx, topology.NodeApp, restartServicesGrace); err != nil {
		return Outcome{Target: topology.NodeApp}, fmt.Errorf("restart the app: %w", err)
	}
	// Started is not serving: the step is done when the app answers.
	rctx, cancel := context.WithTimeout(ctx, appReadyTimeout)
	defer cancel()
	if err := d.App.Ready(rctx); err != nil {
		return Outcome{Target: topology.NodeApp}, fmt.Errorf("the restarted app is not ready: %w", err)
	}
	after, _ := d.Runtime.State(ctx, topology.NodeApp)
	return Outcome{Target: topology.NodeApp, Detail: "restarted the app; it answers", Evidence: "app " + after.String()}, nil
}

// healthCheck writes through the app and reads the write back.
func (d Deps) healthCheck(ctx context.Context, _ Failure) (Outcome, error) {
	detail, err := d.App.WriteAndRead(ctx)
	if err != nil {
		return Outcome{Target: topology.NodeApp}, fmt.Errorf("the app failed its health check: %w", err)
	}
	return Outcome{Target: topology.NodeApp, Detail: detail}, nil
}
