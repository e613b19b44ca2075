package chaos

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/firedrill/firedrill/scenarios"
)

// Injector injects scenario faults into an Env and remembers the ones that
// can be reverted, so RevertAll can undo them at the end of a drill (or
// when it is interrupted).
type Injector struct {
	env Env

	mu     sync.Mutex
	active []activeFault
}

type activeFault struct {
	fault Reverter
	node  string
}

// NewInjector returns an Injector acting on env.
func NewInjector(env Env) *Injector { return &Injector{env: env} }

// Inject resolves f's target now and injects it.
func (in *Injector) Inject(ctx context.Context, f scenarios.Fault) (string, error) {
	fault, err := Lookup(f.Action)
	if err != nil {
		return "", err
	}
	node, err := Resolve(ctx, in.env, f.Target)
	if err != nil {
		return "", err
	}
	// Register the revert before injecting: a fault that fails part-way
	// must still be undone (Revert is idempotent).
	if r, ok := fault.(Reverter); ok {
		in.mu.Lock()
		in.active = append(in.active, activeFault{fault: r, node: node})
		in.mu.Unlock()
	}
	if err := fault.Inject(ctx, in.env, node); err != nil {
		return node, fmt.Errorf("%s %s: %w", f.Action, node, err)
	}
	return node, nil
}

// RevertAll undoes every reversible fault injected so far, newest first.
func (in *Injector) RevertAll(ctx context.Context) error {
	in.mu.Lock()
	active := in.active
	in.active = nil
	in.mu.Unlock()
	var errs []error
	for i := len(active) - 1; i >= 0; i-- {
		if err := active[i].fault.Revert(ctx, in.env, active[i].node); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
