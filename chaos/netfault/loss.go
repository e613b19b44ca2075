package netfault

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/chaos/internal/netkit"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func init() {
	chaos.Register(chaos.Spec{Action: scenarios.ActionLoss, New: newLoss})
}

// The burst that measures a loss from inside the target: connects to a
// port no node serves, so that each answer is one reset packet the target
// receives, and is dropped with the rule's probability. 100 connects
// measure 30% within ±5 points (one standard deviation); each gets
// lossBurstWait for its answer after the last is sent, hundreds of times
// what a reset takes between containers on one host.
const (
	lossBurst     = 100
	lossBurstPort = 9 // discard: nothing listens on it
	lossBurstWait = 300 * time.Millisecond
	// lossImplausible is how unlikely a measured drop rate must be, under
	// the rate asked, for the loss to count as not in effect: so unlikely
	// that a working rule never trips it, while a rule that drops nothing
	// trips it from about 13% up; below that a burst this size cannot tell
	// a working rule from none, and the rules read back are the evidence.
	lossImplausible = 1e-6
)

func newLoss(p scenarios.Params) (chaos.Fault, error) {
	percent := 100.0 // the language's default
	if p.Percent != nil {
		percent = *p.Percent
	}
	if !(percent > 0 && percent <= 100) {
		return nil, fmt.Errorf("percent must be > 0 and <= 100, got %v", percent)
	}
	chain, _ := netkit.NewInjectionName(scenarios.ActionLoss)
	return &loss{percent: percent, chain: chain}, nil
}

// loss drops params.percent of the packets the target receives, at
// random (iptables' statistic match), in a chain of the injection's own
// held by a sidecar: on a service, every packet but loopback's (the
// harness's requests included: the service's own link is lossy); on a
// region, only those from the nodes of the other regions (its links are).
// Evidence: the rules in place and a burst measured from inside each
// target node; at the revert, the rules' counters: how many packets came
// in and how many were dropped (docs/architecture.md, "Network faults").
type loss struct {
	percent float64
	chain   string

	held netkit.HeldSet
}

// probability is the statistic match's probability, as iptables reads it.
func (l *loss) probability() string {
	return strconv.FormatFloat(l.percent/100, 'f', -1, 64)
}

// rules is the bash adding the chain: a counting rule (every packet it
// sees) and a dropping one, for everything (a service: from nil) or for
// each address in from (a region: its peers').
func (l *loss) rules(from []netip.Addr) netkit.HoldScript {
	apply := []string{"run iptables -w -N " + l.chain}
	match := []string{""}
	if from != nil {
		match = nil
		for _, a := range from {
			match = append(match, fmt.Sprintf(" -s %s/32", a))
		}
	}
	for _, m := range match {
		apply = append(apply, "run iptables -w -A "+l.chain+m)
		drop := "run iptables -w -A " + l.chain + m
		if l.percent < 100 {
			drop += " -m statistic --mode random --probability " + l.probability()
		}
		apply = append(apply, drop+" -j DROP")
	}
	apply = append(apply, netkit.InsertJump(netkit.JumpInput(l.chain)))
	undo := []string{netkit.DeleteJump(netkit.JumpInput(l.chain)), "iptables -w -F " + l.chain, "iptables -w -X " + l.chain}
	return netkit.HoldScript{Apply: strings.Join(apply, "\n"), Report: "iptables -w -S " + l.chain + " -v", Undo: strings.Join(undo, "\n")}
}

// burstScript sends n connects to dest at once, waits wait after the last
// one for their answers, and prints "answer <code>" per answer and then
// "burst <n>" (parseBurst).
func burstScript(dest netkit.TCPDest, n int, wait time.Duration) string {
	return fmt.Sprintf(`for i in $(seq %d); do { : 3<>/dev/tcp/%s/%d; echo "answer $?"; } 2>/dev/null & done
sleep %s
kill $(jobs -p) >/dev/null 2>&1
echo "burst %d"
`, n, dest.Addr, dest.Port, strconv.FormatFloat(wait.Seconds(), 'f', -1, 64), n)
}

// parseBurst reads burstScript's output: how many connects were sent and
// how many were answered; ok is false when the burst did not finish.
func parseBurst(out string) (sent, answered int, ok bool) {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 2 && f[0] == "answer":
			answered++
		case len(f) == 2 && f[0] == "burst":
			n, err := strconv.Atoi(f[1])
			if err == nil {
				sent, ok = n, true
			}
		}
	}
	return sent, answered, ok
}

// implausiblyFew reports whether dropping at most k of n packets is so
// unlikely with each dropped with probability p (below lossImplausible)
// that the drop is not in effect: the binomial distribution's lower tail.
func implausiblyFew(k, n int, p float64) bool {
	if p >= 1 {
		return k < n
	}
	tail := 0.0
	for i := 0; i <= k; i++ {
		lg := lgamma(n+1) - lgamma(i+1) - lgamma(n-i+1)
		tail += math.Exp(lg + float64(i)*math.Log(p) + float64(n-i)*math.Log1p(-p))
	}
	return tail < lossImplausible
}

func lgamma(n int) float64 {
	v, _ := math.Lgamma(float64(n))
	return v
}

// lossCounts sums a loss chain's counters: packets received from the
// peers (the counting rules) and dropped (the DROP rules).
func lossCounts(rules []netkit.RuleCounter) (received, dropped uint64) {
	for _, r := range rules {
		switch r.Target {
		case "":
			received += r.Packets
		case "DROP":
			dropped += r.Packets
		}
	}
	return received, dropped
}

func percentText(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) + "%" }

func (l *loss) Inject(ctx context.Context, t *chaos.Target) (string, error) {
	peers, err := netkit.PeersOf(ctx, t, nil)
	if err != nil {
		return "", err
	}
	// On a region, only what comes from the other regions' nodes.
	var from []netip.Addr
	what := "everything it receives (loopback aside)"
	if region := netkit.RegionOf(t); region != "" {
		from = netkit.PeerAddrs(peers)
		if len(from) == 0 {
			return "", fmt.Errorf("no node outside region %s runs, nothing to lose packets from: %s", region, netkit.DescribePeers(peers))
		}
		what = "what it receives from the nodes outside region " + region + ": " + netkit.DescribePeers(peers)
	}
	type prep struct {
		runs  bool
		dest  netkit.TCPDest
		found bool
		err   error
	}
	preps := netkit.EachNode(t.Nodes, func(n *topology.Node) prep {
		dests, running, err := netkit.ReachableDests(ctx, t.Runtime, n.Name, peers)
		if err != nil || !running {
			return prep{err: err}
		}
		if len(dests) == 0 {
			return prep{runs: true}
		}
		d := dests[0]
		d.Port = lossBurstPort
		return prep{runs: true, dest: d, found: true}
	})
	var lossy []*topology.Node
	var ev []string
	for i, n := range t.Nodes {
		switch pr := preps[i]; {
		case pr.err != nil:
			return "", fmt.Errorf("before the loss, %s: %w", n.Name, pr.err)
		case !pr.runs:
			ev = append(ev, n.Name+" not running: nothing to drop")
		default:
			lossy = append(lossy, n)
		}
	}
	if len(lossy) == 0 {
		return strings.Join(ev, "; "), errors.New("no node of the target runs: nothing to drop")
	}

	holdErrs := netkit.HoldEach(ctx, t, &l.held, lossy, l.rules(from).Argv(), "drop packets of %s")
	type during struct {
		out string
		err error
	}
	durings := netkit.EachNode(lossy, func(n *topology.Node) during {
		s := netkit.ChainListing(l.chain, false)
		if pr := preps[slices.Index(t.Nodes, n)]; pr.found {
			s += burstScript(pr.dest, lossBurst, lossBurstWait)
		}
		r, err := t.Runtime.Exec(ctx, n.Name, []string{"bash", "-c", s})
		if err != nil {
			return during{err: fmt.Errorf("check the loss from inside %s: %w", n.Name, err)}
		}
		return during{out: r.Output}
	})
	var errs []error
	for i, n := range lossy {
		pr, d := preps[slices.Index(t.Nodes, n)], durings[i]
		if err := holdErrs[i]; err != nil {
			errs = append(errs, err)
			continue
		}
		if d.err != nil {
			errs = append(errs, d.err)
			continue
		}
		rules, jumps := netkit.ParseChainListing(strings.Split(d.out, "\n"), l.chain)
		wantRules := 2 * max(len(from), 1)
		if len(rules) != wantRules || len(jumps) != 1 {
			errs = append(errs, fmt.Errorf("the loss of %s is not in place: %d of %d rules and %d of 1 jump of chain %s inside it (%s)",
				n.Name, len(rules), wantRules, len(jumps), l.chain, l.held.WhyNot(ctx, n.Name)))
			continue
		}
		e := fmt.Sprintf("%s drops %s of %s: %d rules of chain %s", n.Name, percentText(l.percent), what, len(rules), l.chain)
		if pr.found {
			sent, answered, ok := parseBurst(d.out)
			if !ok || sent == 0 {
				errs = append(errs, fmt.Errorf("the burst from inside %s did not finish: %q", n.Name, d.out))
				continue
			}
			lost := sent - answered
			e += fmt.Sprintf("; a burst from inside %s of %d connects to %s (a port no node serves: each answer is one reset %s receives): %d unanswered in %s (%s), asked %s",
				n.Name, sent, pr.dest, n.Name, lost, lossBurstWait, percentText(math.Round(1000*float64(lost)/float64(sent))/10), percentText(l.percent))
			if implausiblyFew(lost, sent, l.percent/100) {
				errs = append(errs, fmt.Errorf("the loss is not in effect: %s", e))
				continue
			}
		} else {
			e += "; no peer on a network " + n.Name + " is on to measure the loss with"
		}
		ev = append(ev, e)
	}
	return strings.Join(ev, "; "), errors.Join(errs...)
}

func (l *loss) Revert(ctx context.Context, t *chaos.Target) (string, error) {
	t.Applying()
	rels := netkit.ReleaseEach(ctx, t, &l.held)
	res := netkit.EachNode(t.Nodes, func(n *topology.Node) netkit.NodeResult {
		rel := rels[slices.Index(t.Nodes, n)]
		if !rel.Tried {
			return netkit.NodeResult{}
		}
		report, relErr := rel.Report, rel.Err
		_, leftover, settled := netkit.ChainUndone(ctx, t, n.Name, l.chain, []string{netkit.JumpInput(l.chain)}, relErr, "")
		if settled != nil {
			return *settled
		}
		e := n.Name + " receives everything again"
		if relErr == nil {
			received, dropped := lossCounts(netkit.ParseRuleCounters(report, l.chain))
			share := "none"
			if received > 0 {
				share = percentText(math.Round(1000*float64(dropped)/float64(received)) / 10)
			}
			e += fmt.Sprintf(": it dropped %d of the %d packets the rules saw (%s), asked %s", dropped, received, share, percentText(l.percent))
		}
		return netkit.NodeResult{Evidence: e + netkit.SidecarNote(relErr, leftover, "chain "+l.chain)}
	})
	return netkit.JoinResults(res)
}
