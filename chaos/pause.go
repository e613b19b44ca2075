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

// pause freezes every target the way a stalled host freezes: its
// processes stop (the cgroup freezer) and its network stops answering
// (every packet in or out dropped, from a sidecar in its network
// namespace). Connections to it hang instead of failing. Freezing the
// processes alone would leave the node's kernel acknowledging data for
// them: a paused replica would keep receiving WAL into its socket buffers,
// and a drill would not see the replica fall behind as it does when a VM
// stalls (docs/architecture.md, "Faults as a registry"). The revert
// releases the network, then thaws the processes. Evidence: the container
// is paused and its packets are dropped; then it runs again.
type pause struct{}

// holdNetwork drops every packet of the node in both directions, in a
// chain of our own so that the revert removes exactly what was added and
// can run twice; releaseNetwork removes it.
var (
	holdNetwork = []string{"sh", "-ec", `iptables -w -N FIREDRILL-PAUSE 2>/dev/null || true
iptables -w -F FIREDRILL-PAUSE
iptables -w -A FIREDRILL-PAUSE -j DROP
iptables -w -C INPUT -j FIREDRILL-PAUSE 2>/dev/null || iptables -w -I INPUT -j FIREDRILL-PAUSE
iptables -w -C OUTPUT -j FIREDRILL-PAUSE 2>/dev/null || iptables -w -I OUTPUT -j FIREDRILL-PAUSE
echo held`}
	releaseNetwork = []string{"sh", "-ec", `while iptables -w -D INPUT -j FIREDRILL-PAUSE 2>/dev/null; do :; done
while iptables -w -D OUTPUT -j FIREDRILL-PAUSE 2>/dev/null; do :; done
iptables -w -F FIREDRILL-PAUSE 2>/dev/null || true
iptables -w -X FIREDRILL-PAUSE 2>/dev/null || true
echo released`}
)

// run runs a sidecar command and turns a non-zero exit into an error.
func run(ctx context.Context, rt platform.Runtime, node string, cmd []string) error {
	r, err := rt.Exec(ctx, node, cmd)
	if err != nil {
		return err
	}
	if r.ExitCode != 0 {
		return fmt.Errorf("in %s's network namespace: exit %d: %s", node, r.ExitCode, r.Output)
	}
	return nil
}

func (p *pause) Inject(ctx context.Context, t *Target) (string, error) {
	var ev []string
	for _, n := range t.Nodes {
		t.Applying()
		if err := t.Runtime.Pause(ctx, n.Name); err != nil {
			return strings.Join(ev, "; "), err
		}
		if err := run(ctx, t.Runtime, n.Name, holdNetwork); err != nil {
			return strings.Join(ev, "; "), fmt.Errorf("hold the network of %s: %w", n.Name, err)
		}
		st, err := waitState(ctx, t.Runtime, n.Name, "paused", paused)
		if err != nil {
			return strings.Join(ev, "; "), fmt.Errorf("pause did not take effect: %w", err)
		}
		ev = append(ev, n.Name+" "+st.String()+", its packets dropped")
	}
	return strings.Join(ev, "; "), nil
}

func (p *pause) Revert(ctx context.Context, t *Target) (string, error) {
	var ev []string
	var errs []error
	for _, n := range t.Nodes {
		// Release first, thaw last: the node comes back at the thaw,
		// which is the instant the revert is stamped at.
		if st, err := t.Runtime.State(ctx, n.Name); err == nil && st.Status != platform.StatusMissing {
			if err := run(ctx, t.Runtime, n.Name, releaseNetwork); err != nil && !exited(st) {
				errs = append(errs, fmt.Errorf("release the network of %s: %w", n.Name, err))
				continue
			}
		}
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
		ev = append(ev, n.Name+" resumed, its packets flowing: "+st.String())
	}
	return strings.Join(ev, "; "), errors.Join(errs...)
}
