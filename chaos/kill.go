package chaos

import (
	"context"
	"fmt"
	"strings"

	"github.com/firedrill/firedrill/scenarios"
)

func init() {
	Register(Spec{Action: scenarios.ActionKill, New: func(scenarios.Params) (Fault, error) { return &kill{}, nil }})
}

// kill sends SIGKILL to every target, like a host crash: no clean
// shutdown, no chance to flush. It cannot be reverted: the node stays down
// until the DR engine replaces it. Evidence: the container exited.
type kill struct{}

func (k *kill) Inject(ctx context.Context, t *Target) (string, error) {
	var ev []string
	for _, n := range t.Nodes {
		t.Applying()
		if err := t.Runtime.Kill(ctx, n.Name); err != nil {
			return strings.Join(ev, "; "), err
		}
	}
	for _, n := range t.Nodes {
		st, err := waitState(ctx, t.Runtime, n.Name, "exited", exited)
		if err != nil {
			return strings.Join(ev, "; "), fmt.Errorf("kill did not take effect: %w", err)
		}
		ev = append(ev, n.Name+" "+st.String())
	}
	return strings.Join(ev, "; "), nil
}
