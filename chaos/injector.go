package chaos

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/topology"
)

// Injector applies a drill's injections: it resolves each one's targets
// now, builds a fresh fault from the registry, stamps the instant the
// effect is applied on the drill's Timeline, and hands the Runner the
// revert of a reversible fault.
type Injector struct {
	topo   *topology.Topology
	rt     platform.Runtime
	state  topology.State
	fences Fences
	sql    SQLRunner
	tl     *firedrill.Timeline

	seed int64 // the run's seed: a selector's "one" pick
}

var (
	_ firedrill.Injector   = (*Injector)(nil)
	_ firedrill.NodeStates = (*Injector)(nil)
)

// InjectorOption configures NewInjector.
type InjectorOption func(*Injector)

// WithSeed seeds the random choices of injections (a selector's mode one),
// so that a run can be replayed.
func WithSeed(seed int64) InjectorOption {
	return func(in *Injector) { in.seed = seed }
}

// rngFor is the random source of one injection: drawn from the run's seed
// and the injection's id, so a pick does not depend on the order in which
// concurrent injections happen to resolve.
func (in *Injector) rngFor(id string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(id))
	return rand.New(rand.NewPCG(uint64(in.seed), h.Sum64()))
}

// WithFences lets reverts know which nodes the failover manager fenced.
func WithFences(f Fences) InjectorOption { return func(in *Injector) { in.fences = f } }

// NewInjector returns an Injector for the nodes of topo, acting through
// rt, resolving roles with state and stamping instants on tl.
func NewInjector(topo *topology.Topology, rt platform.Runtime, state topology.State, tl *firedrill.Timeline, opts ...InjectorOption) *Injector {
	in := &Injector{topo: topo, rt: rt, state: state, tl: tl}
	for _, o := range opts {
		o(in)
	}
	return in
}

// Inject resolves inj's targets and applies its fault.
func (in *Injector) Inject(ctx context.Context, inj firedrill.Injection) (firedrill.Applied, error) {
	spec, ok := Lookup(inj.Action)
	if !ok {
		return firedrill.Applied{}, fmt.Errorf("action %q is not executed by this build's engine", inj.Action)
	}
	fault, err := spec.New(inj.Fault.Params)
	if err != nil {
		return firedrill.Applied{}, fmt.Errorf("%s: %w", inj.Action, err)
	}
	nodes, err := in.topo.Resolve(ctx, in.state, inj.Fault, in.rngFor(inj.ID))
	resolved := in.tl.Now()
	if errors.Is(err, topology.ErrNoMatch) {
		// Nothing was done: the Runner skips a monkey fault for it.
		return firedrill.Applied{Resolved: resolved}, fmt.Errorf("%w: %w", firedrill.ErrNothingToHit, err)
	}
	if err != nil {
		return firedrill.Applied{Resolved: resolved}, err
	}
	ap := firedrill.Applied{Nodes: topology.Names(nodes), Resolved: resolved}

	t, at, applied := in.target(inj, nodes)
	ev, err := fault.Inject(ctx, t)
	end := in.tl.Now()
	ap.At = at(resolved)
	ap.Span = max(applied(end)-ap.At, 0)
	ap.Evidence = ev
	if r, ok := fault.(Reverter); ok {
		ap.Revert = func(ctx context.Context) (firedrill.Reverted, error) {
			rt, rat, rapplied := in.target(inj, nodes)
			ev, err := r.Revert(ctx, rt)
			end := in.tl.Now()
			start := rat(end)
			return firedrill.Reverted{At: start, Span: max(rapplied(end)-start, 0), Evidence: ev}, err
		}
	}
	if err != nil {
		return ap, fmt.Errorf("%s %v: %w", inj.Action, ap.Nodes, err)
	}
	return ap, nil
}

// Running reports whether node runs now, as the platform says: the Runner
// asks it for monkey.max_at_once (a killed node counts until it runs
// again).
func (in *Injector) Running(ctx context.Context, node string) (bool, error) {
	st, err := in.rt.State(ctx, node)
	if err != nil {
		return false, fmt.Errorf("state of %s: %w", node, err)
	}
	return Running(st), nil
}

// target builds the Target of one call of inj's fault, and functions
// returning the instants Applying and Applied were first called (or def
// if never).
func (in *Injector) target(inj firedrill.Injection, nodes []*topology.Node) (t *Target, at, applied func(def time.Duration) time.Duration) {
	var onceAt, onceApplied sync.Once
	var atV, appliedV time.Duration = -1, -1
	t = &Target{Nodes: nodes, Runtime: in.rt, Fences: in.fences, SQL: in.sql, Topology: in.topo, State: in.state,
		Name: inj.Fault.Target, Rand: in.rngFor("fault " + inj.ID),
		Applying: func() { onceAt.Do(func() { atV = in.tl.Now() }) },
		Applied:  func() { onceApplied.Do(func() { appliedV = in.tl.Now() }) }}
	or := func(v *time.Duration) func(time.Duration) time.Duration {
		return func(def time.Duration) time.Duration {
			if *v < 0 {
				return def
			}
			return *v
		}
	}
	return t, or(&atV), or(&appliedV)
}
