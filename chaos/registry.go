package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// Fault is one injection's fault, built by its Spec's New. Inject applies
// it to every node of t and returns once the effect is in place, with
// evidence that it is; it calls t.Applying right before the call that
// applies the effect, so the injection instant excludes any preparation.
type Fault interface {
	Inject(ctx context.Context, t *Target) (evidence string, err error)
}

// Reverter is implemented by faults that can be undone. Revert must be
// idempotent and must work after an Inject that failed part way; it
// returns evidence that the revert held.
type Reverter interface {
	Revert(ctx context.Context, t *Target) (evidence string, err error)
}

// Fences says which nodes the failover manager fenced: a fault's revert
// must not bring a fenced node back (it would be a second primary).
type Fences interface {
	Fenced(node string) (method string, fenced bool)
}

// Target is what one injection acts on.
type Target struct {
	Nodes   []*topology.Node
	Runtime platform.Runtime
	Fences  Fences
	// SQL runs statements on Postgres nodes, for the sql action.
	SQL SQLRunner
	// Topology and State let a fault resolve the other nodes it names (a
	// partition's params.to) the way the injection's own target was
	// resolved: topology.ResolveTarget(ctx, State, target).
	Topology *topology.Topology
	State    topology.State
	// Applying marks the instant the effect is being applied; only the
	// first call counts.
	Applying func()
	// Applied marks the instant the effect is certain (the call applying
	// it returned), for a fault that measures its evidence afterwards (a
	// latency times round trips): the measuring is not part of the span.
	// Only the first call counts; without one, the instant Inject (or
	// Revert) returned.
	Applied func()
	// Name is the target as the fault names it (postgres.primary,
	// region.east); empty for a selector. A fault on a region acts on
	// the region's links, not only on its nodes.
	Name string
	// Rand is the injection's own seeded source (drawn from the run's
	// seed and the injection's id), for a fault's random choices: a
	// replayed run draws the same.
	Rand *rand.Rand
}

// Spec is a fault action in the registry.
type Spec struct {
	// Action is the language's name for it (scenarios.Action*).
	Action string
	// New builds a fresh fault from an injection's params, already
	// validated by the scenario loader (defaults applied).
	New func(p scenarios.Params) (Fault, error)
}

var registry = map[string]Spec{}

// Register adds an action to the registry; each action file calls it from
// init. It panics on a name the language does not have, or twice.
func Register(s Spec) {
	if !slices.Contains(scenarios.ActionNames(), s.Action) {
		panic(fmt.Sprintf("chaos: %q is not an action of the scenario language", s.Action))
	}
	if _, dup := registry[s.Action]; dup {
		panic(fmt.Sprintf("chaos: action %q registered twice", s.Action))
	}
	registry[s.Action] = s
}

// Lookup returns the registered action.
func Lookup(action string) (Spec, bool) {
	s, ok := registry[action]
	return s, ok
}

// Implemented reports whether this build's engine executes action.
func Implemented(action string) bool {
	_, ok := registry[action]
	return ok
}

// Registered lists the registered actions, sorted.
func Registered() []string {
	out := make([]string, 0, len(registry))
	for a := range registry {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// stateWait bounds how long a fault waits for the platform to report the
// state that proves it took effect.
const stateWait = 10 * time.Second

// waitState polls a node's state until ok accepts it, and returns it; an
// error if it does not within stateWait.
func waitState(ctx context.Context, rt platform.Runtime, node string, want string, ok func(platform.State) bool) (platform.State, error) {
	ctx, cancel := context.WithTimeout(ctx, stateWait)
	defer cancel()
	var last platform.State
	for {
		st, err := rt.State(ctx, node)
		if err == nil {
			last = st
			if ok(st) {
				return st, nil
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("%s did not become %s within %s (last state: %s)", node, want, stateWait, last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func exited(st platform.State) bool { return st.Status == platform.StatusExited }

// Running reports whether a node's state is running: a fault's evidence
// that the node is up (as waitState's ok), and the Injector's answer to
// the Runner's question whether a node counts against max_at_once.
func Running(st platform.State) bool { return st.Status == platform.StatusRunning }

// Paused reports whether a node's state is paused (its processes frozen
// by the cgroup freezer): pause's evidence; a paused node, like a running
// one, still has a namespace a sidecar can join.
func Paused(st platform.State) bool { return st.Status == platform.StatusPaused }
