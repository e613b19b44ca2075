package chaos

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
)

func init() {
	Register(Spec{Action: scenarios.ActionRestart, New: func(p scenarios.Params) (Fault, error) {
		return &restart{grace: graceOf(p)}, nil
	}})
}

// restart bounces every target: a clean stop (SIGKILL after grace) and a
// start, as a deploy or a host reboot would. It is over when it returns,
// so it has nothing to revert. Evidence: the container runs again with a
// new start time.
type restart struct {
	grace time.Duration
}

func (r *restart) Inject(ctx context.Context, t *Target) (string, error) {
	var ev []string
	for _, n := range t.Nodes {
		before, err := t.Runtime.State(ctx, n.Name)
		if err != nil {
			return strings.Join(ev, "; "), err
		}
		t.Applying()
		if err := t.Runtime.Restart(ctx, n.Name, r.grace); err != nil {
			return strings.Join(ev, "; "), err
		}
		st, err := waitState(ctx, t.Runtime, n.Name, "running again", func(st platform.State) bool {
			return Running(st) && (before.StartedAt.IsZero() || st.StartedAt.After(before.StartedAt))
		})
		if err != nil {
			return strings.Join(ev, "; "), fmt.Errorf("restart did not take effect: %w", err)
		}
		ev = append(ev, fmt.Sprintf("%s restarted: %s (was pid %d)", n.Name, st, before.Pid))
	}
	return strings.Join(ev, "; "), nil
}
