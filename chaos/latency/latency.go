package latency

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/chaos/internal/netkit"
	"github.com/firedrill/firedrill/internal/nfqueue"
	"github.com/firedrill/firedrill/internal/tcprtt"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func init() {
	chaos.Register(chaos.Spec{Action: scenarios.ActionLatency, New: newLatency})
}

// Round trips measured from inside a target node: rttCount connects one
// after another, their median (a SYN that met an unlucky jitter draw
// moves the median less than the mean).
const rttCount = 5

func newLatency(p scenarios.Params) (chaos.Fault, error) {
	if p.Delay == nil || p.Delay.Duration <= 0 {
		return nil, errors.New("latency needs params.delay > 0")
	}
	l := &latency{delay: p.Delay.Duration}
	if p.Jitter != nil {
		l.jitter = p.Jitter.Duration
	}
	if l.jitter < 0 || l.jitter > l.delay {
		return nil, fmt.Errorf("jitter must be >= 0 and <= delay %s, got %s", l.delay, l.jitter)
	}
	l.chain, l.handle = netkit.NewInjectionName(scenarios.ActionLatency)
	return l, nil
}

// latency delays every packet a target sends by params.delay ±
// params.jitter, loopback's aside; on a region, only the packets to the
// nodes of the other regions (the region's WAN link is slow, its own
// network is not). Where the kernel has sch_netem it is a netem qdisc on
// each interface of the node; where it has not (this machine's, CI's) it
// is an NFQUEUE rule and firedrill's own delayer, each in a sidecar in the
// node's network namespace. Either way the same scenario gives the same
// effect: each packet held for a uniform draw from [delay − jitter,
// delay + jitter], packets free to overtake one another when the jitter
// allows (docs/architecture.md, "Latency without netem"). Evidence: the
// mechanism, and the round trip from inside each node to a peer (a TCP
// connect's SYN is delayed) before and during; a round trip that did not
// grow is a fault that did not take effect. At the revert: packets
// delayed and dropped, and the round trip after.
type latency struct {
	delay, jitter time.Duration
	chain         string // the NFQUEUE rule's chain
	handle        uint16 // netem's qdisc handle (major)

	mu     sync.Mutex
	mech   mechanism
	probes map[string]rttBaseline

	delayers netkit.HeldSet // the agent sidecars (NFQUEUE)
	effects  netkit.HeldSet // the rule or the netem sidecars
}

// rttBaseline is where a node's round trip is measured, and what it was
// before the latency.
type rttBaseline struct {
	dest   netkit.TCPDest
	before tcprtt.Sample
}

// mechanism is how the packets are delayed on this kernel.
type mechanism struct {
	netem bool
	// why says why not netem: no sch_netem, or netem could not be tried.
	why string
}

func (m mechanism) String() string {
	if m.netem {
		return "mechanism: netem"
	}
	return "mechanism: nfqueue (" + m.why + ")"
}

// netemTrial tries a netem qdisc on the node's loopback (no delay: no
// effect while it is there) and removes it; "netem-ok" says the kernel
// has sch_netem. Every container shares the host's kernel, so one node's
// answer holds for all.
var netemTrial = []string{"sh", "-c", "tc qdisc add dev lo root handle fd01: netem 2>&1 && tc qdisc del dev lo root handle fd01: 2>&1 && echo netem-ok"}

// parseNetemTrial decides the mechanism from netemTrial's outcome.
func parseNetemTrial(r platform.ExecResult) mechanism {
	out := strings.TrimSpace(r.Output)
	switch {
	case r.ExitCode == 0 && strings.Contains(out, "netem-ok"):
		return mechanism{netem: true}
	case strings.Contains(out, "Specified qdisc kind is unknown"), strings.Contains(out, "Unknown qdisc"),
		strings.Contains(out, "No such file or directory"):
		return mechanism{why: "no sch_netem on this kernel"}
	}
	first, _, _ := strings.Cut(out, "\n")
	if first == "" {
		first = "exit " + strconv.Itoa(r.ExitCode)
	}
	return mechanism{why: "netem could not be tried here: " + first}
}

// tookEffect reports whether a round trip that grew from before to during
// shows the delay: by at least half the shortest hold a packet gets
// (delay − jitter, and never less than a quarter of the delay, so that a
// jitter as large as the delay still asks for something). The SYN alone
// is held, so a working latency adds about the delay; a rule that holds
// nothing adds nothing.
func tookEffect(before, during, delay, jitter time.Duration) bool {
	return during-before >= max(delay-jitter, delay/4)/2
}

// tcDuration is a duration as tc reads it (whole microseconds).
func tcDuration(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) + "us" }

// netemArgs are netem's parameters: the delay, its jitter (uniform, tc's
// default without a distribution) and the queue limit the delayer has too.
func (l *latency) netemArgs() string {
	s := "netem delay " + tcDuration(l.delay)
	if l.jitter > 0 {
		s += " " + tcDuration(l.jitter)
	}
	return s + " limit " + strconv.Itoa(nfqueue.DefaultMaxLen)
}

// eachInterface wraps body in a loop over the node's interfaces but
// loopback, with $dev the interface.
func eachInterface(body string) string {
	return "for dev in $(ls /sys/class/net); do\n  [ \"$dev\" = lo ] && continue\n" + netkit.Indent(body) + "\ndone"
}

// netemScript is the tools sidecar holding netem: on every interface, a
// netem root qdisc (a service: everything it sends); for a region, a prio
// root whose fourth band (no traffic by default: the priomap uses bands
// 1 to 3) holds netem, and a u32 filter per address of the other regions
// sending their packets to it. The report is tc's counters.
func (l *latency) netemScript(toAddrs []netip.Addr) netkit.HoldScript {
	h := fmt.Sprintf("%x:", l.handle)
	var apply string
	if len(toAddrs) == 0 {
		apply = eachInterface(`run tc qdisc add dev "$dev" root handle ` + h + " " + l.netemArgs())
	} else {
		lines := []string{
			`run tc qdisc add dev "$dev" root handle ` + h + " prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1",
			`run tc qdisc add dev "$dev" parent ` + h + "4 " + l.netemArgs(),
		}
		for _, a := range toAddrs {
			lines = append(lines, fmt.Sprintf(`run tc filter add dev "$dev" parent %s protocol ip prio 1 u32 match ip dst %s/32 flowid %s4`, h, a, h))
		}
		apply = eachInterface(strings.Join(lines, "\n"))
	}
	return netkit.HoldScript{
		Apply:  apply,
		Report: eachInterface(`tc -s qdisc show dev "$dev"`),
		Undo:   eachInterface(`tc qdisc del dev "$dev" root handle ` + h),
	}
}

// netemGone is the bash that removes the injection's netem qdiscs if they
// are still there (a sidecar removed before it could undo them) and says
// "netem <handle> gone" or "netem <handle> leftover removed".
func (l *latency) netemGone() string {
	h := fmt.Sprintf("%x:", l.handle)
	return "left=0\n" + eachInterface(`tc qdisc del dev "$dev" root handle `+h+` >/dev/null 2>&1 && left=1`) +
		"\nif [ $left = 1 ]; then echo \"netem " + h + " leftover removed\"; else echo \"netem " + h + " gone\"; fi\n"
}

// netemCounts sums what tc -s reports of the netem qdiscs in a report
// (tc's lines, "qdisc netem ..." then " Sent B bytes P pkt (dropped D,
// ..."): packets that went through netem, and packets it dropped (its
// queue full).
func netemCounts(report []string) (delayed, dropped uint64, ok bool) {
	inNetem := false
	for _, l := range report {
		f := strings.Fields(l)
		switch {
		case len(f) >= 2 && f[0] == "qdisc":
			inNetem = f[1] == "netem"
		case inNetem && len(f) >= 7 && f[0] == "Sent" && f[4] == "pkt":
			p, err1 := strconv.ParseUint(f[3], 10, 64)
			d, err2 := strconv.ParseUint(strings.TrimSuffix(f[6], ","), 10, 64)
			if err1 == nil && err2 == nil {
				delayed += p
				dropped += d
				ok = true
			}
			inNetem = false
		}
	}
	return delayed, dropped, ok
}

// ruleScript is the tools sidecar holding the NFQUEUE rule: a chain of the
// injection's own, jumped to from OUTPUT for every packet but loopback's,
// queueing everything (a service) or what goes to the other regions'
// addresses (a region) to the delayer's queue. --queue-bypass: if the
// delayer is gone, packets flow undelayed rather than stop.
func (l *latency) ruleScript(queue uint16, toAddrs []netip.Addr) netkit.HoldScript {
	target := fmt.Sprintf("-j NFQUEUE --queue-num %d --queue-bypass", queue)
	apply := []string{"run iptables -w -N " + l.chain}
	if len(toAddrs) == 0 {
		apply = append(apply, "run iptables -w -A "+l.chain+" "+target)
	}
	for _, a := range toAddrs {
		apply = append(apply, fmt.Sprintf("run iptables -w -A %s -d %s/32 %s", l.chain, a, target))
	}
	apply = append(apply, netkit.InsertJump(netkit.JumpOutput(l.chain)))
	return netkit.HoldScript{
		Apply:  strings.Join(apply, "\n"),
		Report: "iptables -w -S " + l.chain + " -v",
		Undo:   strings.Join([]string{netkit.DeleteJump(netkit.JumpOutput(l.chain)), "iptables -w -F " + l.chain, "iptables -w -X " + l.chain}, "\n"),
	}
}

// delayerCmd is the agent sidecar's command: the delayer bound to queue,
// its jitter drawn from seed.
func (l *latency) delayerCmd(queue uint16, seed uint64) []string {
	return []string{"agent", "delay", "--queue", strconv.Itoa(int(queue)), "--delay", l.delay.String(),
		"--jitter", l.jitter.String(), "--seed", strconv.FormatUint(seed, 10)}
}

// rttTimeout bounds one connect of a round-trip measurement: a held SYN
// takes up to delay + jitter more.
func (l *latency) rttTimeout() time.Duration { return 2*time.Second + 2*(l.delay+l.jitter) }

// roundTrip measures node's round trip to dest from inside its network
// namespace, with firedrill's agent.
func (l *latency) roundTrip(ctx context.Context, rt platform.Runtime, node string, dest netkit.TCPDest) (tcprtt.Sample, error) {
	addr := netip.AddrPortFrom(dest.Addr, uint16(dest.Port)).String()
	r, err := rt.Exec(ctx, node, []string{"agent", "rtt", "--count", strconv.Itoa(rttCount), "--timeout", l.rttTimeout().String(), addr},
		platform.WithImage(platform.SidecarAgent))
	if err != nil {
		return tcprtt.Sample{}, fmt.Errorf("measure the round trip %s -> %s: %w", node, dest, err)
	}
	if r.ExitCode != 0 {
		return tcprtt.Sample{}, fmt.Errorf("measure the round trip %s -> %s: exit %d: %s", node, dest, r.ExitCode, strings.TrimSpace(r.Output))
	}
	s, err := tcprtt.Parse(r.Output)
	if err != nil {
		return tcprtt.Sample{}, fmt.Errorf("measure the round trip %s -> %s: %w", node, dest, err)
	}
	return s, nil
}

// formatRTT is a round trip for people: "0.31 ms", "100.8 ms".
func formatRTT(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 1 {
		return strconv.FormatFloat(ms, 'f', 2, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
}

// asked is the latency as the scenario asked it: "100ms ± 10ms".
func (l *latency) asked() string { return l.delay.String() + " ± " + l.jitter.String() }

// probeName is a measurement's path for evidence: "pg-primary ->
// pg-replica1:5432".
func probeName(node string, d netkit.TCPDest) string {
	return node + " -> " + d.Node + ":" + strconv.Itoa(d.Port)
}

// rttDest picks where node's round trip is measured: the first running
// peer (topology order) that serves a port, at its address on a network
// node is on.
func rttDest(own map[string]netip.Addr, peers []netkit.Peer) (netkit.TCPDest, bool) {
	for _, d := range netkit.DestsFrom(own, peers) {
		if d.Port > 0 {
			return d, true
		}
	}
	return netkit.TCPDest{}, false
}

func (l *latency) Inject(ctx context.Context, t *chaos.Target) (string, error) {
	region, isRegion := strings.CutPrefix(t.Name, "region.")
	peers, err := netkit.PeersOf(ctx, t, nil)
	if err != nil {
		return "", err
	}
	var toAddrs []netip.Addr
	if isRegion {
		toAddrs = netkit.PeerAddrs(peers)
		if len(toAddrs) == 0 {
			return "", fmt.Errorf("no node outside region %s runs: nothing to delay the packets to (%s)", region, netkit.DescribePeers(peers))
		}
	}
	rng := t.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(0, 0))
	}
	// The queue only has to be unique in each node's namespace; drawing
	// it keeps two latencies on one node apart.
	queue := uint16(1024 + rng.IntN(60000))
	seeds := map[string]uint64{}
	for _, n := range t.Nodes {
		seeds[n.Name] = rng.Uint64()
	}

	// Before: where each node's round trip is measured, and what it is;
	// meanwhile, whether this kernel has netem (tried in the first node
	// whose namespace a sidecar can join: every container shares the
	// host's kernel).
	var mech mechanism
	var mechErr error
	var trial sync.WaitGroup
	trial.Go(func() {
		var errs []error
		for _, n := range t.Nodes {
			r, err := t.Runtime.Exec(ctx, n.Name, netemTrial)
			if err == nil {
				mech = parseNetemTrial(r)
				return
			}
			errs = append(errs, err)
		}
		mechErr = fmt.Errorf("try netem: %w", errors.Join(errs...))
	})
	type prep struct {
		runs  bool
		probe rttBaseline
		err   error
	}
	preps := netkit.EachNode(t.Nodes, func(n *topology.Node) prep {
		ok, err := netkit.Runs(ctx, t.Runtime, n.Name)
		if err != nil || !ok {
			return prep{err: err}
		}
		own, err := t.Runtime.Addresses(ctx, n.Name)
		if err != nil {
			return prep{err: fmt.Errorf("addresses of %s: %w", n.Name, err)}
		}
		dest, found := rttDest(own, peers)
		if !found {
			return prep{err: fmt.Errorf("%s has no running peer with a port on its networks to measure the round trip to (%s)", n.Name, netkit.DescribePeers(peers))}
		}
		before, err := l.roundTrip(ctx, t.Runtime, n.Name, dest)
		if err != nil {
			return prep{err: fmt.Errorf("before the latency: %w", err)}
		}
		return prep{runs: true, probe: rttBaseline{dest: dest, before: before}}
	})
	trial.Wait()
	var delayed []*topology.Node
	var ev []string
	probes := map[string]rttBaseline{}
	for i, n := range t.Nodes {
		switch pr := preps[i]; {
		case pr.err != nil:
			return "", pr.err
		case !pr.runs:
			ev = append(ev, n.Name+" not running: nothing to delay")
		default:
			delayed = append(delayed, n)
			probes[n.Name] = pr.probe
		}
	}
	if len(delayed) == 0 {
		return strings.Join(ev, "; "), errors.New("no node of the target runs: nothing to delay")
	}
	if mechErr != nil {
		return "", mechErr
	}
	l.mu.Lock()
	l.mech, l.probes = mech, probes
	l.mu.Unlock()

	// The delayers bind their queues first: without the rule they hold
	// nothing, so this is preparation, not the effect.
	if !mech.netem {
		delayer := func(n *topology.Node) []string { return l.delayerCmd(queue, seeds[n.Name]) }
		errs := netkit.HoldOn(ctx, t.Runtime, &l.delayers, delayed, delayer, "start the delayer in %s", platform.WithImage(platform.SidecarAgent))
		if err := errors.Join(errs...); err != nil {
			return "", err
		}
	}

	var script []string
	if mech.netem {
		script = l.netemScript(toAddrs).Argv()
	} else {
		script = l.ruleScript(queue, toAddrs).Argv()
	}
	holdErrs := netkit.HoldEach(ctx, t, &l.effects, delayed, script, "delay the packets of %s")

	// During: the round trip from inside each node again.
	type during struct {
		s   tcprtt.Sample
		err error
	}
	durings := netkit.EachNode(delayed, func(n *topology.Node) during {
		s, err := l.roundTrip(ctx, t.Runtime, n.Name, probes[n.Name].dest)
		return during{s, err}
	})
	what := topology.Names(delayed)[0] + " delays every packet it sends (loopback's aside)"
	if len(delayed) > 1 {
		what = strings.Join(topology.Names(delayed), ", ") + " delay every packet they send (loopback's aside)"
	}
	if isRegion {
		what = "region " + region + " (" + strings.Join(topology.Names(delayed), ", ") + ") delays the packets it sends to the nodes outside it: " + netkit.DescribePeers(peers)
	}
	ev = append([]string{mech.String(), what}, ev...)
	var errs []error
	for i, n := range delayed {
		if err := holdErrs[i]; err != nil {
			errs = append(errs, err)
			continue
		}
		if durings[i].err != nil {
			errs = append(errs, fmt.Errorf("during the latency: %w", durings[i].err))
			continue
		}
		p := probes[n.Name]
		e := fmt.Sprintf("%s round trip %s before, %s during (asked %s)",
			probeName(n.Name, p.dest), formatRTT(p.before.Median), formatRTT(durings[i].s.Median), l.asked())
		if !tookEffect(p.before.Median, durings[i].s.Median, l.delay, l.jitter) {
			reason := ""
			if r := l.effects.WhyNot(ctx, n.Name); r != "" {
				reason = " (" + r + ")"
			}
			errs = append(errs, fmt.Errorf("the latency did not take effect: %s%s", e, reason))
			continue
		}
		ev = append(ev, e)
	}
	return strings.Join(ev, "; "), errors.Join(errs...)
}

func (l *latency) Revert(ctx context.Context, t *chaos.Target) (string, error) {
	l.mu.Lock()
	mech, probes := l.mech, l.probes
	l.mu.Unlock()
	t.Applying()
	// The rule goes first (no packet is queued any more), then the
	// delayer accepts every packet still waiting, at once.
	type released struct {
		tried    bool
		effect   []string
		effErr   error
		counts   nfqueue.Counts
		countErr error
	}
	rels := netkit.EachNode(t.Nodes, func(n *topology.Node) released {
		eh, etried := l.effects.Take(n.Name)
		dh, dtried := l.delayers.Take(n.Name)
		if !etried && !dtried {
			return released{}
		}
		r := released{tried: true}
		r.effect, r.effErr = netkit.Release(ctx, n.Name, eh)
		if dh != nil {
			out, err := dh.Release(ctx)
			switch {
			case err != nil:
				r.countErr = fmt.Errorf("release the delayer of %s: %w", n.Name, err)
			default:
				r.counts, r.countErr = nfqueue.ParseCounts(out)
				if r.countErr != nil {
					r.countErr = fmt.Errorf("the delayer of %s did not report its release: %w", n.Name, r.countErr)
				}
			}
		}
		return r
	})
	netkit.MarkApplied(t)

	res := netkit.EachNode(t.Nodes, func(n *topology.Node) netkit.NodeResult {
		r := rels[slices.Index(t.Nodes, n)]
		if !r.tried {
			return netkit.NodeResult{}
		}
		ok, err := netkit.Runs(ctx, t.Runtime, n.Name)
		if err != nil || !ok {
			return netkit.NodeResult{Evidence: n.Name + " not running: nothing left to undo"}
		}
		check := netkit.ChainGone(l.chain, netkit.JumpOutput(l.chain))
		what := "chain " + l.chain
		if mech.netem {
			check, what = l.netemGone(), fmt.Sprintf("netem %x:", l.handle)
		}
		c, err := t.Runtime.Exec(ctx, n.Name, []string{"bash", "-c", check})
		if err != nil {
			return netkit.NodeResult{Err: errors.Join(r.effErr, fmt.Errorf("check the revert from inside %s: %w", n.Name, err))}
		}
		gone, leftover := netemOrChainState(c.Output, l.chain, l.handle, mech.netem)
		if !gone {
			return netkit.NodeResult{Err: errors.Join(r.effErr, fmt.Errorf("%s is still in %s: %s", what, n.Name, c.Output))}
		}
		e := n.Name + " sends undelayed again"
		var errs []error
		if mech.netem {
			if d, dr, ok := netemCounts(r.effect); ok {
				e += fmt.Sprintf(": %d packets delayed, %d dropped (queue full)", d, dr)
			}
		} else if r.countErr != nil {
			errs = append(errs, r.countErr)
		} else {
			c := r.counts
			dropped := "dropped unknown"
			if c.DroppedKnown {
				dropped = fmt.Sprintf("%d dropped (queue full)", c.Dropped)
			}
			e += fmt.Sprintf(": %d packets delayed (held %s on average, %s at most), %d accepted at once at the release, %s",
				c.Delayed, formatRTT(c.HeldMean()), formatRTT(c.HeldMax), c.Flushed, dropped)
		}
		e += netkit.SidecarNote(r.effErr, leftover, what)
		if p, ok := probes[n.Name]; ok {
			after, err := l.roundTrip(ctx, t.Runtime, n.Name, p.dest)
			switch {
			case err != nil:
				e += "; round trip after not measured: " + err.Error()
			case tookEffect(p.before.Median, after.Median, l.delay, l.jitter):
				errs = append(errs, fmt.Errorf("the latency is still in effect after its revert: %s round trip %s before, %s after",
					probeName(n.Name, p.dest), formatRTT(p.before.Median), formatRTT(after.Median)))
			default:
				e += fmt.Sprintf("; %s round trip %s after", probeName(n.Name, p.dest), formatRTT(after.Median))
			}
		}
		return netkit.NodeResult{Evidence: e, Err: errors.Join(errs...)}
	})
	return netkit.JoinResults(res)
}

// netemOrChainState reads the revert's check from inside the node.
func netemOrChainState(out, chain string, handle uint16, netem bool) (gone, leftover bool) {
	if !netem {
		return netkit.ChainState(out, chain)
	}
	h := fmt.Sprintf("netem %x:", handle)
	switch {
	case strings.Contains(out, h+" leftover removed"):
		return true, true
	case strings.Contains(out, h+" gone"):
		return true, false
	}
	return false, false
}
