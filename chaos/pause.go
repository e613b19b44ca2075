package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
)

func init() {
	Register(Spec{Action: scenarios.ActionPause, New: func(scenarios.Params) (Fault, error) { return &pause{}, nil }})
}

// pause freezes every target the way a stalled host freezes: its
// processes stop (the cgroup freezer) and its network stops answering
// (every packet in or out dropped, held by a sidecar in its network
// namespace). Connections to it hang instead of failing. Freezing the
// processes alone would leave the node's kernel acknowledging data for
// them: a paused replica would keep receiving WAL into its socket buffers,
// and a drill would not see the replica fall behind as it does when a VM
// stalls (docs/architecture.md, "Faults as a registry"). The revert
// releases the packets (at once: the sidecar is already running), then
// thaws the processes; if the harness dies, the sidecar releases them by
// itself. Evidence: the container is paused and its packets are dropped;
// then it runs again.
type pause struct {
	mu   sync.Mutex
	held map[string]platform.Held // by node: this injection's sidecars
}

// holdPackets drops every packet of the node in both directions, in a
// chain of our own, until it reads a line or its input ends; then it
// removes exactly what it added. It says "released" as soon as packets
// flow again, before tidying up its chain, so the thaw is not delayed.
var holdPackets = []string{"sh", "-ec", `iptables -w -N FIREDRILL-PAUSE 2>/dev/null || iptables -w -F FIREDRILL-PAUSE
iptables -w -A FIREDRILL-PAUSE -j DROP
iptables -w -I INPUT -j FIREDRILL-PAUSE
iptables -w -I OUTPUT -j FIREDRILL-PAUSE
echo held
read -r _ || true
iptables -w -D INPUT -j FIREDRILL-PAUSE
iptables -w -D OUTPUT -j FIREDRILL-PAUSE
echo released
iptables -w -F FIREDRILL-PAUSE
iptables -w -X FIREDRILL-PAUSE`}

func (p *pause) Inject(ctx context.Context, t *Target) (string, error) {
	var ev []string
	for _, n := range t.Nodes {
		t.Applying()
		if err := t.Runtime.Pause(ctx, n.Name); err != nil {
			return strings.Join(ev, "; "), err
		}
		h, err := t.Runtime.Hold(ctx, n.Name, holdPackets)
		if err != nil {
			return strings.Join(ev, "; "), fmt.Errorf("hold the packets of %s: %w", n.Name, err)
		}
		p.mu.Lock()
		if p.held == nil {
			p.held = map[string]platform.Held{}
		}
		p.held[n.Name] = h
		p.mu.Unlock()
		st, err := waitState(ctx, t.Runtime, n.Name, "paused", Paused)
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
		p.mu.Lock()
		h := p.held[n.Name]
		p.mu.Unlock()
		if h != nil {
			if _, err := h.Release(ctx); err != nil {
				errs = append(errs, fmt.Errorf("release the packets of %s: %w", n.Name, err))
			}
		}
		t.Applying()
		if err := t.Runtime.Resume(ctx, n.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		st, err := waitState(ctx, t.Runtime, n.Name, "running or exited", func(st platform.State) bool { return Running(st) || exited(st) })
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
