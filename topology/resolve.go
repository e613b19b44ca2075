package topology

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/firedrill/firedrill/scenarios"
)

// State is what resolution needs to know about a running drill. The
// Postgres administration implements it from the databases themselves.
type State interface {
	// Primary is the node that is the writable primary now; an error when
	// it cannot be determined.
	Primary(ctx context.Context) (string, error)
	// Running reports whether a node runs now.
	Running(ctx context.Context, node string) (bool, error)
}

// Initial is the State at the start of a drill: the scenario's primary is
// primary and every node runs. Plan resolves with it.
func (t *Topology) Initial() State { return initial{} }

type initial struct{}

func (initial) Primary(context.Context) (string, error)       { return NodePrimary, nil }
func (initial) Running(context.Context, string) (bool, error) { return true, nil }

// ErrNoMatch is returned when a target or selector matches no node now.
var ErrNoMatch = errors.New("no node matches")

// Resolve returns the nodes a fault hits, asking st what is true now:
// postgres.primary is whichever node is primary, postgres.replica the
// first running Postgres node that is not, postgres.<name> that replica,
// storage and app their node, etcd.<region> and monitor the HA stack's
// coordination node, region.<name> every node of the region. A
// selector matches every node whose current role, region and labels it
// names; mode one picks one of them with rng (the run's seeded source),
// mode all (the default) takes them all. The nodes come in start order.
func (t *Topology) Resolve(ctx context.Context, st State, f scenarios.Fault, rng *rand.Rand) ([]*Node, error) {
	if f.Selector != nil {
		return t.resolveSelector(ctx, st, *f.Selector, rng)
	}
	n, err := t.ResolveTarget(ctx, st, f.Target)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// ResolveTarget resolves a target as a fault names it.
func (t *Topology) ResolveTarget(ctx context.Context, st State, target string) ([]*Node, error) {
	switch target {
	case scenarios.TargetPrimary:
		p, err := st.Primary(ctx)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", target, err)
		}
		n, ok := t.Node(p)
		if !ok {
			return nil, fmt.Errorf("resolve %s: the primary %q is not a node of this drill", target, p)
		}
		return []*Node{n}, nil
	case scenarios.TargetAnyReplica:
		// A replica is a node that is not the primary: without knowing
		// the primary, any choice could hit it.
		p, err := st.Primary(ctx)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: the primary cannot be determined, so neither can a replica: %w", target, err)
		}
		var errs []error
		for _, n := range t.OfKind(KindPostgres) {
			if n.Name == p {
				continue
			}
			ok, err := st.Running(ctx, n.Name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if ok {
				return []*Node{n}, nil
			}
		}
		if err := errors.Join(errs...); err != nil {
			// The cause matters more than "no match": the state of some
			// replica could not be read.
			return nil, fmt.Errorf("resolve %s: %w (no Postgres node other than the primary %s is known to run: %w)", target, ErrNoMatch, p, err)
		}
		return nil, fmt.Errorf("resolve %s: %w (no running Postgres node other than the primary %s)", target, ErrNoMatch, p)
	case scenarios.TargetStorage, scenarios.TargetApp:
		for _, n := range t.Nodes {
			if n.Service == target {
				return []*Node{n}, nil
			}
		}
		return nil, fmt.Errorf("resolve %s: %w", target, ErrNoMatch)
	}
	if region, ok := strings.CutPrefix(target, "region."); ok {
		nodes := t.InRegion(region)
		if len(nodes) == 0 {
			return nil, fmt.Errorf("resolve %s: %w in region %q", target, ErrNoMatch, region)
		}
		return nodes, nil
	}
	for _, n := range t.All() { // a replica, an etcd member, the monitor
		if n.Service == target {
			return []*Node{n}, nil
		}
	}
	return nil, fmt.Errorf("resolve %s: %w", target, ErrNoMatch)
}

func (t *Topology) resolveSelector(ctx context.Context, st State, sel scenarios.Selector, rng *rand.Rand) ([]*Node, error) {
	primary := ""
	if needsPrimary(sel) {
		p, err := st.Primary(ctx)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: the primary cannot be determined: %w", sel, err)
		}
		primary = p
	}
	var out []*Node
	for _, n := range t.Nodes {
		if sel.Match(n.roles(n.Name == primary), n.Region, n.Labels) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("resolve %s: %w", sel, ErrNoMatch)
	}
	if sel.Mode == scenarios.ModeOne {
		if rng == nil {
			return nil, fmt.Errorf("resolve %s: mode one needs the run's random source", sel)
		}
		return []*Node{out[rng.IntN(len(out))]}, nil
	}
	return out, nil
}

// needsPrimary says whether matching sel depends on which node is primary
// now: only the primary and replica roles do.
func needsPrimary(sel scenarios.Selector) bool {
	return sel.Role == scenarios.RolePrimary || sel.Role == scenarios.RoleReplica
}

// Names returns the names of nodes.
func Names(nodes []*Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Name
	}
	return out
}
