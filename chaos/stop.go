package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

func init() {
	Register(Spec{Action: scenarios.ActionStop, New: newStop})
}

// defaultGrace is the language's default grace of stop and restart, for
// a fault built in code without defaults applied.
const defaultGrace = 10 * time.Second

func graceOf(p scenarios.Params) time.Duration {
	if p.Grace != nil {
		return p.Grace.Duration
	}
	return defaultGrace
}

func newStop(p scenarios.Params) (Fault, error) { return &stop{grace: graceOf(p)}, nil }

// stop shuts every target down cleanly (the image's stop signal, SIGKILL
// after grace) and starts it again when the fault's `for` ends. A node the
// failover manager fenced meanwhile stays down: starting it would make a
// second primary. Evidence: the container exited, then runs again.
type stop struct {
	grace time.Duration
}

func (s *stop) Inject(ctx context.Context, t *Target) (string, error) {
	var ev []string
	for _, n := range t.Nodes {
		t.Applying()
		if err := t.Runtime.Stop(ctx, n.Name, s.grace); err != nil {
			return strings.Join(ev, "; "), err
		}
		st, err := waitState(ctx, t.Runtime, n.Name, "exited", exited)
		if err != nil {
			return strings.Join(ev, "; "), fmt.Errorf("stop did not take effect: %w", err)
		}
		ev = append(ev, fmt.Sprintf("%s %s after a stop with %s grace", n.Name, st, s.grace))
	}
	return strings.Join(ev, "; "), nil
}

func (s *stop) Revert(ctx context.Context, t *Target) (string, error) {
	var ev []string
	var errs []error
	for _, n := range t.Nodes {
		if method, fenced := FencedBy(t, n.Name); fenced {
			ev = append(ev, fmt.Sprintf("%s left stopped: fenced by the failover manager (%s)", n.Name, method))
			continue
		}
		t.Applying()
		if err := t.Runtime.Start(ctx, n.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		st, err := waitState(ctx, t.Runtime, n.Name, "running", Running)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ev = append(ev, n.Name+" started again: "+st.String())
	}
	return strings.Join(ev, "; "), errors.Join(errs...)
}

// FencedBy says whether the failover manager fenced node, and how: a
// revert must leave a fenced node as it is, not bring it back (it would be
// a second primary).
func FencedBy(t *Target, node string) (string, bool) {
	if t.Fences == nil {
		return "", false
	}
	return t.Fences.Fenced(node)
}
