package netfault

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/chaos/internal/netkit"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func init() {
	chaos.Register(chaos.Spec{Action: scenarios.ActionPartition, New: newPartition})
}

// Probe bounds of a partition: a connect that answers does so in
// milliseconds on one host; one over a cut link never does, so the bound
// is what the evidence costs the injection (docs/architecture.md, "Network
// faults").
const (
	probeBefore = time.Second
	probeCut    = 500 * time.Millisecond
)

func newPartition(p scenarios.Params) (chaos.Fault, error) {
	chain, _ := netkit.NewInjectionName(scenarios.ActionPartition)
	return &partition{to: slices.Clone(p.To), oneWay: p.OneWay != nil && *p.OneWay, chain: chain}, nil
}

// partition cuts the target off its peers (params.to, by default every
// node that is not the target) silently: their packets are dropped, not
// rejected, in a chain of the injection's own in each target node's
// namespace, held by a sidecar; connections hang as over a cut link. One
// way drops only what the target sends. Evidence: from inside each target
// node, each peer's port answers before and is silent during the cut, and
// the rules are in place; at the revert, what the rules dropped, and the
// ports answer again (docs/architecture.md, "Network faults").
type partition struct {
	to     []string
	oneWay bool
	chain  string

	peers []netkit.Peer
	dests map[string][]netkit.TCPDest // by target node: what it probed
	held  netkit.HeldSet
}

// rules is the bash adding the chain that cuts addrs off.
func (p *partition) rules(addrs []netip.Addr) netkit.HoldScript {
	var apply []string
	apply = append(apply, "run iptables -w -N "+p.chain)
	for _, a := range addrs {
		if !p.oneWay {
			apply = append(apply, fmt.Sprintf("run iptables -w -A %s -s %s/32 -j DROP", p.chain, a))
		}
		apply = append(apply, fmt.Sprintf("run iptables -w -A %s -d %s/32 -j DROP", p.chain, a))
	}
	for _, j := range p.jumps() {
		apply = append(apply, netkit.InsertJump(j))
	}
	var undo []string
	for _, j := range p.jumps() {
		undo = append(undo, netkit.DeleteJump(j))
	}
	undo = append(undo, "iptables -w -F "+p.chain, "iptables -w -X "+p.chain)
	return netkit.HoldScript{Apply: strings.Join(apply, "\n"), Report: "iptables -w -S " + p.chain + " -v", Undo: strings.Join(undo, "\n")}
}

// jumps are the jumps to the chain: what the target receives (INPUT) and
// sends (OUTPUT); one way, only what it sends.
func (p *partition) jumps() []string {
	if p.oneWay {
		return []string{netkit.JumpOutput(p.chain)}
	}
	return []string{netkit.JumpInput(p.chain), netkit.JumpOutput(p.chain)}
}

func (p *partition) direction() string {
	if p.oneWay {
		return "one way (what it sends)"
	}
	return "both ways"
}

func (p *partition) Inject(ctx context.Context, t *chaos.Target) (string, error) {
	peers, err := netkit.PeersOf(ctx, t, p.to)
	if err != nil {
		return "", err
	}
	p.peers = peers
	addrs := netkit.PeerAddrs(peers)
	if len(addrs) == 0 {
		return "", fmt.Errorf("no peer runs, nothing to cut off: %s", netkit.DescribePeers(peers))
	}

	// Before: what each target node reaches.
	type prep struct {
		runs   bool
		dests  []netkit.TCPDest
		before []netkit.ProbeResult
		err    error
	}
	preps := netkit.EachNode(t.Nodes, func(n *topology.Node) prep {
		dests, running, err := netkit.ReachableDests(ctx, t.Runtime, n.Name, peers)
		if err != nil || !running {
			return prep{err: err}
		}
		before, err := netkit.ProbeTCP(ctx, t.Runtime, n.Name, dests, probeBefore)
		return prep{runs: true, dests: dests, before: before, err: err}
	})
	p.dests = map[string][]netkit.TCPDest{}
	var cut []*topology.Node
	var ev []string
	for i, n := range t.Nodes {
		switch pr := preps[i]; {
		case pr.err != nil:
			return strings.Join(ev, "; "), fmt.Errorf("before the cut, from inside %s: %w", n.Name, pr.err)
		case !pr.runs:
			ev = append(ev, n.Name+" not running: nothing to cut")
		default:
			p.dests[n.Name] = pr.dests
			cut = append(cut, n)
		}
	}
	if len(cut) == 0 {
		return strings.Join(ev, "; "), errors.New("no node of the target runs: nothing to cut")
	}

	holdErrs := netkit.HoldEach(ctx, t, &p.held, cut, p.rules(addrs).Argv(), "cut %s off")

	// During: the rules are there and nothing answers any more.
	type during struct {
		rules, jumps int
		probes       []netkit.ProbeResult
		err          error
	}
	durings := netkit.EachNode(cut, func(n *topology.Node) during {
		dests := p.dests[n.Name]
		r, err := t.Runtime.Exec(ctx, n.Name, []string{"bash", "-c", netkit.ChainListing(p.chain, false) + netkit.ProbeScript(dests, probeCut)})
		if err != nil {
			return during{err: fmt.Errorf("check the cut from inside %s: %w", n.Name, err)}
		}
		rules, jumps := netkit.ParseChainListing(strings.Split(r.Output, "\n"), p.chain)
		probes, err := netkit.ParseProbe(r.Output, dests, probeCut)
		return during{rules: len(rules), jumps: len(jumps), probes: probes, err: err}
	})
	var errs []error
	for i, n := range cut {
		pr := preps[slices.Index(t.Nodes, n)]
		d := durings[i]
		if err := holdErrs[i]; err != nil {
			errs = append(errs, err)
			continue
		}
		if d.err != nil {
			errs = append(errs, d.err)
			continue
		}
		wantRules := len(addrs) // one -d rule per address, and one -s rule both ways
		if !p.oneWay {
			wantRules *= 2
		}
		if d.rules != wantRules || d.jumps != len(p.jumps()) {
			errs = append(errs, fmt.Errorf("the cut of %s is not in place: %d of %d rules and %d of %d jumps of chain %s inside it (%s)",
				n.Name, d.rules, wantRules, d.jumps, len(p.jumps()), p.chain, p.held.WhyNot(ctx, n.Name)))
			continue
		}
		var through []string
		for j, r := range d.probes {
			if r.Answered() && pr.before[j].Answered() {
				through = append(through, r.String())
			}
		}
		if len(through) > 0 {
			errs = append(errs, fmt.Errorf("%s still reaches %s with the rules in place", n.Name, strings.Join(through, ", ")))
			continue
		}
		ev = append(ev, fmt.Sprintf("%s cut off %s %s, %d rules of chain %s; from inside %s before: %s; during: %s",
			n.Name, netkit.DescribePeers(p.peers), p.direction(), d.rules, p.chain, n.Name, orNothing(netkit.DescribeProbes(pr.before)), orNothing(netkit.DescribeProbes(d.probes))))
	}
	return strings.Join(ev, "; "), errors.Join(errs...)
}

func orNothing(s string) string {
	if s == "" {
		return "no port to probe on a shared network"
	}
	return s
}

func (p *partition) Revert(ctx context.Context, t *chaos.Target) (string, error) {
	t.Applying()
	rels := netkit.ReleaseEach(ctx, t, &p.held)
	res := netkit.EachNode(t.Nodes, func(n *topology.Node) netkit.NodeResult {
		rel := rels[slices.Index(t.Nodes, n)]
		if !rel.Tried {
			return netkit.NodeResult{}
		}
		report, relErr := rel.Report, rel.Err
		dests := p.dests[n.Name]
		out, leftover, settled := netkit.ChainUndone(ctx, t, n.Name, p.chain, p.jumps(), relErr, netkit.ProbeScript(dests, probeBefore))
		if settled != nil {
			return *settled
		}
		var b strings.Builder
		b.WriteString(n.Name + " reconnected")
		if relErr == nil {
			in, out := droppedInOut(netkit.ParseRuleCounters(report, p.chain))
			fmt.Fprintf(&b, " after dropping %d packets it received and %d it sent", in, out)
		}
		b.WriteString(netkit.SidecarNote(relErr, leftover, "chain "+p.chain))
		after, perr := netkit.ParseProbe(out, dests, probeBefore)
		if perr == nil && len(after) > 0 {
			b.WriteString("; from inside " + n.Name + ": " + netkit.DescribeProbes(after))
		}
		return netkit.NodeResult{Evidence: b.String()}
	})
	return netkit.JoinResults(res)
}

// droppedInOut sums the packets a partition's rules dropped: those from
// a peer (-s) were received, those to a peer (-d) sent.
func droppedInOut(rules []netkit.RuleCounter) (in, out uint64) {
	for _, r := range rules {
		switch {
		case strings.Contains(r.Spec, " -s "):
			in += r.Packets
		case strings.Contains(r.Spec, " -d "):
			out += r.Packets
		}
	}
	return in, out
}
