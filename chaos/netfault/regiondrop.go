package netfault

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/chaos/internal/netkit"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func init() {
	chaos.Register(chaos.Spec{Action: scenarios.ActionRegionDrop, New: func(scenarios.Params) (chaos.Fault, error) { return &regionDrop{}, nil }})
}

// regionDrop takes a whole region off the map (Chaos Kong): every node of
// the region is disconnected from every logical network it is on, all at
// once, as when a region's links go dark; the harness loses it too.
// The revert connects each node again to the networks it was on, in its
// own order (home region first), unless the failover manager fenced it
// meanwhile: that node stays cut off, since it would come back as a
// second primary. Addresses may change on the way back. Evidence: from
// inside each node, no interface but loopback and no route; at the
// revert, its networks and its new addresses, read back from inside too
// (docs/architecture.md, "Network faults").
type regionDrop struct {
	mu  sync.Mutex
	cut map[string][]string // by node: the networks it was taken off, in the order to rejoin them
}

// interfacesScript prints a node's IPv4 addresses and routes, as ip
// prints them one per line (parseInterfaces).
const interfacesScript = "ip -o -4 addr show; echo routes; ip -4 route show"

// interfaceState is what a node's namespace holds, read from inside.
type interfaceState struct {
	Addrs  map[string]string // by interface: its address, loopback aside
	Routes []string
}

// parseInterfaces reads interfacesScript's output.
func parseInterfaces(out string) interfaceState {
	st := interfaceState{Addrs: map[string]string{}}
	routes := false
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if l == "routes" {
			routes = true
			continue
		}
		if routes {
			st.Routes = append(st.Routes, l)
			continue
		}
		// 39: eth1    inet 172.19.0.3/16 brd ... scope global eth1
		f := strings.Fields(l)
		if len(f) >= 4 && f[2] == "inet" && f[1] != "lo" {
			st.Addrs[f[1]] = f[3]
		}
	}
	return st
}

func (s interfaceState) String() string {
	var a []string
	for _, dev := range slices.Sorted(maps.Keys(s.Addrs)) {
		a = append(a, dev+" "+s.Addrs[dev])
	}
	return strings.Join(a, ", ")
}

// rejoinOrder is the order to connect a node to nets again: its own
// networks in the topology's order (home region, then WAN: the interface
// names and the default route come out as at the start), then any other.
func rejoinOrder(n *topology.Node, nets []string) []string {
	var out []string
	for _, want := range n.Networks {
		if slices.Contains(nets, want) {
			out = append(out, want)
		}
	}
	for _, net := range slices.Sorted(slices.Values(nets)) {
		if !slices.Contains(out, net) {
			out = append(out, net)
		}
	}
	return out
}

func describeAddrs(addrs map[string]netip.Addr) string {
	var s []string
	for _, net := range slices.Sorted(maps.Keys(addrs)) {
		s = append(s, net+" "+addrs[net].String())
	}
	return strings.Join(s, ", ")
}

func (r *regionDrop) Inject(ctx context.Context, t *chaos.Target) (string, error) {
	type prep struct {
		nets  []string
		addrs map[string]netip.Addr
		err   error
	}
	preps := netkit.EachNode(t.Nodes, func(n *topology.Node) prep {
		nets, err := t.Runtime.Networks(ctx, n.Name)
		if err != nil {
			return prep{err: err}
		}
		addrs, err := t.Runtime.Addresses(ctx, n.Name)
		return prep{nets: rejoinOrder(n, nets), addrs: addrs, err: err}
	})
	r.mu.Lock()
	r.cut = map[string][]string{}
	for i, n := range t.Nodes {
		if preps[i].err != nil {
			r.mu.Unlock()
			return "", fmt.Errorf("the networks of %s: %w", n.Name, preps[i].err)
		}
		// Recorded before the cut: a revert after a partial one rejoins
		// every network the node was on.
		r.cut[n.Name] = preps[i].nets
	}
	r.mu.Unlock()

	t.Applying()
	cutErrs := netkit.EachNode(t.Nodes, func(n *topology.Node) error {
		nets := preps[slices.Index(t.Nodes, n)].nets
		errs := make([]error, len(nets))
		var wg sync.WaitGroup
		for i, net := range nets {
			wg.Go(func() { errs[i] = t.Runtime.Disconnect(ctx, n.Name, net) })
		}
		wg.Wait()
		return errors.Join(errs...)
	})
	netkit.MarkApplied(t)

	type check struct {
		runs   bool
		inside interfaceState
		nets   []string
		err    error
	}
	checks := netkit.EachNode(t.Nodes, func(n *topology.Node) check {
		nets, err := t.Runtime.Networks(ctx, n.Name)
		if err != nil {
			return check{err: err}
		}
		ok, err := netkit.Runs(ctx, t.Runtime, n.Name)
		if err != nil || !ok {
			return check{nets: nets, err: err}
		}
		res, err := t.Runtime.Exec(ctx, n.Name, []string{"sh", "-c", interfacesScript})
		if err != nil {
			return check{nets: nets, err: fmt.Errorf("look from inside %s: %w", n.Name, err)}
		}
		return check{runs: true, nets: nets, inside: parseInterfaces(res.Output)}
	})
	var ev []string
	var errs []error
	for i, n := range t.Nodes {
		pr, c := preps[i], checks[i]
		switch {
		case cutErrs[i] != nil:
			errs = append(errs, fmt.Errorf("cut %s off: %w", n.Name, cutErrs[i]))
		case c.err != nil:
			errs = append(errs, c.err)
		case len(c.nets) > 0:
			errs = append(errs, fmt.Errorf("%s is still on %s", n.Name, strings.Join(c.nets, ", ")))
		case !c.runs:
			ev = append(ev, fmt.Sprintf("%s (not running) cut off %s", n.Name, orNone(strings.Join(pr.nets, ", "))))
		case len(c.inside.Addrs) > 0 || len(c.inside.Routes) > 0:
			errs = append(errs, fmt.Errorf("%s still has, from inside: %s; routes %s", n.Name, c.inside, strings.Join(c.inside.Routes, "; ")))
		default:
			ev = append(ev, fmt.Sprintf("%s cut off %s (it was at %s): from inside, no interface but lo and no route",
				n.Name, orNone(strings.Join(pr.nets, ", ")), orNone(describeAddrs(pr.addrs))))
		}
	}
	return strings.Join(ev, "; "), errors.Join(errs...)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (r *regionDrop) Revert(ctx context.Context, t *chaos.Target) (string, error) {
	r.mu.Lock()
	cut := r.cut
	r.cut = nil
	r.mu.Unlock()
	if cut == nil {
		return "nothing left to undo", nil
	}
	t.Applying()
	// Every node rejoins at once; the evidence is read afterwards.
	type rejoin struct {
		fenced string // the fencing method, when fenced
		nets   []string
		err    error
	}
	rejoins := netkit.EachNode(t.Nodes, func(n *topology.Node) rejoin {
		nets, ok := cut[n.Name]
		if !ok || len(nets) == 0 {
			return rejoin{}
		}
		if method, fenced := chaos.FencedBy(t, n.Name); fenced {
			return rejoin{fenced: method, nets: nets}
		}
		var errs []error
		for _, net := range nets {
			if err := t.Runtime.Connect(ctx, n.Name, net); err != nil {
				errs = append(errs, err)
			}
		}
		return rejoin{nets: nets, err: errors.Join(errs...)}
	})
	netkit.MarkApplied(t)
	res := netkit.EachNode(t.Nodes, func(n *topology.Node) netkit.NodeResult {
		rj := rejoins[slices.Index(t.Nodes, n)]
		switch {
		case len(rj.nets) == 0:
			return netkit.NodeResult{}
		case rj.fenced != "":
			return netkit.NodeResult{Evidence: fmt.Sprintf("%s left cut off: fenced by the failover manager (%s)", n.Name, rj.fenced)}
		case rj.err != nil:
			return netkit.NodeResult{Err: fmt.Errorf("reconnect %s: %w", n.Name, rj.err)}
		}
		return r.checkBack(ctx, t.Runtime, n, rj.nets)
	})
	return netkit.JoinResults(res)
}

// checkBack is the evidence that node is on nets again: the platform says
// so, and from inside it has an address on an interface again.
func (r *regionDrop) checkBack(ctx context.Context, rt platform.Runtime, n *topology.Node, nets []string) (res netkit.NodeResult) {
	now, err := rt.Networks(ctx, n.Name)
	if err != nil {
		res.Err = err
		return res
	}
	if missing := slices.DeleteFunc(slices.Clone(nets), func(net string) bool { return slices.Contains(now, net) }); len(missing) > 0 {
		res.Err = fmt.Errorf("%s is not back on %s", n.Name, strings.Join(missing, ", "))
		return res
	}
	addrs, err := rt.Addresses(ctx, n.Name)
	if err != nil {
		res.Err = err
		return res
	}
	ok, err := netkit.Runs(ctx, rt, n.Name)
	if err != nil || !ok {
		res.Evidence = fmt.Sprintf("%s back on %s (not running: no address until it starts)", n.Name, strings.Join(nets, ", "))
		return res
	}
	out, err := rt.Exec(ctx, n.Name, []string{"sh", "-c", interfacesScript})
	if err != nil {
		res.Err = fmt.Errorf("look from inside %s: %w", n.Name, err)
		return res
	}
	inside := parseInterfaces(out.Output)
	if len(inside.Addrs) == 0 {
		res.Err = fmt.Errorf("%s is back on %s for the platform, but has no address from inside", n.Name, strings.Join(nets, ", "))
		return res
	}
	res.Evidence = fmt.Sprintf("%s back on %s at %s; from inside: %s, %d routes", n.Name, strings.Join(nets, ", "), describeAddrs(addrs), inside, len(inside.Routes))
	return res
}
