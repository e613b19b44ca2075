package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
)

func init() {
	Register(Spec{Action: scenarios.ActionPause, New: func(scenarios.Params) (Fault, error) { return &pause{}, nil }})
}

// pause freezes every target's processes: connections to it hang instead
// of failing, which is what a stalled VM or a long GC pause looks like to
// clients. The revert thaws them. Evidence: the container is paused, then
// runs again.
type pause struct{}

func (p *pause) Inject(ctx context.Context, t *Target) (string, error) {
	var ev []string
	for _, n := range t.Nodes {
		t.Applying()
		if err := t.Runtime.Pause(ctx, n.Name); err != nil {
			return strings.Join(ev, "; "), err
		}
		st, err := waitState(ctx, t.Runtime, n.Name, "paused", paused)
		if err != nil {
			return strings.Join(ev, "; "), fmt.Errorf("pause did not take effect: %w", err)
		}
		ev = append(ev, n.Name+" "+st.String())
	}
	return strings.Join(ev, "; "), nil
}

func (p *pause) Revert(ctx context.Context, t *Target) (string, error) {
	var ev []string
	var errs []error
	for _, n := range t.Nodes {
		t.Applying()
		if err := t.Runtime.Resume(ctx, n.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		st, err := waitState(ctx, t.Runtime, n.Name, "running or exited", func(st platform.State) bool { return running(st) || exited(st) })
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if exited(st) {
			// Killed or fenced while frozen: there was nothing to thaw.
			ev = append(ev, n.Name+" not resumed: "+st.String()+" while paused")
			continue
		}
		ev = append(ev, n.Name+" resumed: "+st.String())
	}
	return strings.Join(ev, "; "), errors.Join(errs...)
}
