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
	"sync"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/chaos/internal/netkit"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func init() {
	chaos.Register(chaos.Spec{Action: scenarios.ActionBandwidth, New: newBandwidth})
}

// rateUnits are the language's rate units (scenarios' rate pattern), in
// bits per second: decimal, as tc reads kbit and mbit.
var rateUnits = []struct {
	suffix string
	bits   float64
}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}}

// minRate is the smallest cap tc can keep: one byte per second.
const minRate = 8

// parseRate reads a rate as the language writes it (1mbit, 512kbit,
// 1.5gbit) into bits per second.
func parseRate(s string) (uint64, error) {
	for _, u := range rateUnits {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || num == "" || strings.ContainsAny(num, "eE+-") || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, fmt.Errorf("invalid rate %q: a number and a unit, bit, kbit, mbit or gbit, such as 1mbit", s)
		}
		bits := math.Round(f * u.bits)
		if bits < minRate {
			return 0, fmt.Errorf("rate %q is below %dbit (one byte per second), the smallest cap there is", s, minRate)
		}
		if bits > math.MaxInt64 {
			return 0, fmt.Errorf("rate %q is too large", s)
		}
		return uint64(bits), nil
	}
	return 0, fmt.Errorf("invalid rate %q: a number and a unit, bit, kbit, mbit or gbit, such as 1mbit", s)
}

// capBurst is the bucket of the cap, in bytes: 10 ms at the rate, and at
// least two full-size packets, so that a packet is never larger than the
// bucket.
func capBurst(rate uint64) uint64 { return max(rate/8/100, 2*1514) }

func newBandwidth(p scenarios.Params) (chaos.Fault, error) {
	rate, err := parseRate(p.Rate)
	if err != nil {
		return nil, err
	}
	_, handle := netkit.NewInjectionName(scenarios.ActionBandwidth)
	return &bandwidth{rateText: p.Rate, rate: rate, handle: fmt.Sprintf("%x", handle)}, nil
}

// bandwidth caps what the target sends at params.rate, on each of its
// interfaces but loopback, with a root qdisc of the injection's own: on a
// service, a token bucket (tbf) for everything it sends (its own link is
// slow: the answers to the harness too); on a region, an htb whose one
// class, at the rate, takes the packets addressed to the nodes of the
// other regions (u32 filters), everything else going by its direct queue,
// unshaped (the region's links are slow, its own network is not). It
// refuses a root qdisc put there by someone else rather than replace it.
// The rate is per node: the nodes of a region share no link that one
// queue could shape. Evidence: the qdisc (and class and filters) read
// back from inside each node; at the revert, its counters and the average
// rate it let through (docs/architecture.md, "Network faults").
type bandwidth struct {
	rateText string
	rate     uint64 // bits per second
	handle   string // qdisc handle major, hex

	held netkit.HeldSet

	mu      sync.Mutex
	applied time.Time // when the cap was in place, for the average rate
}

// ifaces is the bash listing the node's interfaces but loopback.
const ifaces = `$(ip -o link show | awk -F': ' '$2 != "lo" {sub(/@.*/, "", $2); print $2}')`

// rules is the bash adding the cap to every interface: a tbf for
// everything (to nil), or an htb class for the packets to the addresses
// in to.
func (b *bandwidth) rules(to []netip.Addr) netkit.HoldScript {
	burst := strconv.FormatUint(capBurst(b.rate), 10)
	rate := strconv.FormatUint(b.rate, 10) + "bit"
	var s strings.Builder
	s.WriteString("devs=" + ifaces + "\n")
	s.WriteString(`[ -n "$devs" ] || fail "no interface but lo: nothing to cap"` + "\n")
	// Someone else's root qdisc (a handle other than the kernel's 0:) is
	// refused, before anything is added.
	s.WriteString(`for i in $devs; do q=$(tc qdisc show dev "$i" root); h=$(echo "$q" | awk '{print $3; exit}'); [ "$h" = "0:" ] || fail "$i already has a root qdisc of someone else ($q): a bandwidth cap would replace it"; done` + "\n")
	s.WriteString("for i in $devs; do\n")
	if to == nil {
		// latency bounds the queue: what waits longer is dropped, as at a
		// real bottleneck's buffer.
		fmt.Fprintf(&s, "  run tc qdisc add dev \"$i\" root handle %s: tbf rate %s burst %s latency 100ms\n", b.handle, rate, burst)
	} else {
		fmt.Fprintf(&s, "  run tc qdisc add dev \"$i\" root handle %s: htb default 0 direct_qlen 1000\n", b.handle)
		fmt.Fprintf(&s, "  run tc class add dev \"$i\" parent %[1]s: classid %[1]s:1 htb rate %[2]s ceil %[2]s burst %[3]s cburst %[3]s\n", b.handle, rate, burst)
		for _, a := range to {
			fmt.Fprintf(&s, "  run tc filter add dev \"$i\" parent %[1]s: protocol ip prio 1 u32 match ip dst %[2]s/32 flowid %[1]s:1\n", b.handle, a)
		}
	}
	s.WriteString("done")
	undo := fmt.Sprintf("for i in %s; do tc qdisc del dev \"$i\" root handle %s:; done", ifaces, b.handle)
	counters := `tc -s qdisc show dev "$i" root`
	if to != nil {
		counters = fmt.Sprintf(`tc -s class show dev "$i" classid %s:1`, b.handle)
	}
	report := fmt.Sprintf("for i in %s; do echo \"dev $i\"; %s; done", ifaces, counters)
	return netkit.HoldScript{Apply: s.String(), Report: report, Undo: undo}
}

// listing is the bash printing, per interface, its root qdisc, the cap's
// class and the number of its filters (parseCapListing).
func (b *bandwidth) listing() string {
	return fmt.Sprintf(`for i in %[1]s; do echo "dev $i"; tc qdisc show dev "$i" root; tc class show dev "$i" classid %[2]s:1 2>/dev/null; echo "filters $(tc filter show dev "$i" parent %[2]s: 2>/dev/null | grep -c 'match ')"; done`+"\n", ifaces, b.handle)
}

// capState is one interface's cap as read back from inside the node.
type capState struct {
	Dev   string
	Qdisc string // the root qdisc line
	Kind  string // tbf or htb when the root qdisc is this injection's, else ""
	// Rate is the cap as tc prints it ("1Mbit"): tbf's, or the htb
	// class's; "" when missing.
	Rate    string
	Filters int
	// Counters, from tc -s (at the revert).
	SentBytes, SentPackets, Dropped, Overlimits uint64
}

// parseCapListing reads listing's output, or the report's tc -s lines,
// per interface ("dev <name>" starts one).
func parseCapListing(lines []string, handle string) []capState {
	var out []capState
	var cur *capState
	rateOf := func(f []string) string {
		if i := slices.Index(f, "rate"); i >= 0 && i+1 < len(f) {
			return f[i+1]
		}
		return ""
	}
	for _, l := range lines {
		l = strings.TrimSpace(l)
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if f[0] == "dev" && len(f) == 2 {
			out = append(out, capState{Dev: f[1]})
			cur = &out[len(out)-1]
			continue
		}
		if cur == nil {
			continue
		}
		switch {
		case f[0] == "qdisc" && len(f) >= 3:
			cur.Qdisc = l
			if (f[1] == "tbf" || f[1] == "htb") && f[2] == handle+":" {
				cur.Kind = f[1]
				if f[1] == "tbf" {
					cur.Rate = rateOf(f)
				}
			}
		case f[0] == "class" && len(f) >= 3 && f[2] == handle+":1":
			// tbf has an inner class too, without a rate of its own.
			if r := rateOf(f); r != "" {
				cur.Rate = r
			}
		case f[0] == "filters" && len(f) == 2:
			cur.Filters, _ = strconv.Atoi(f[1])
		case f[0] == "Sent" && len(f) >= 5:
			// Sent 1480 bytes 20 pkt (dropped 0, overlimits 0 requeues 0)
			cur.SentBytes, _ = strconv.ParseUint(f[1], 10, 64)
			cur.SentPackets, _ = strconv.ParseUint(f[3], 10, 64)
			cur.Dropped = counterAfter(f, "(dropped")
			cur.Overlimits = counterAfter(f, "overlimits")
		}
	}
	return out
}

func counterAfter(f []string, name string) uint64 {
	i := slices.Index(f, name)
	if i < 0 || i+1 >= len(f) {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimRight(f[i+1], ",)"), 10, 64)
	return n
}

func (b *bandwidth) Inject(ctx context.Context, t *chaos.Target) (string, error) {
	// On a region, only what goes to the other regions' nodes.
	var to []netip.Addr
	what := "everything it sends (loopback aside)"
	if region := netkit.RegionOf(t); region != "" {
		peers, err := netkit.PeersOf(ctx, t, nil)
		if err != nil {
			return "", err
		}
		if to = netkit.PeerAddrs(peers); len(to) == 0 {
			return "", fmt.Errorf("no node outside region %s runs, nothing to cap the traffic to: %s", region, netkit.DescribePeers(peers))
		}
		what = "what it sends to the nodes outside region " + region + ": " + netkit.DescribePeers(peers)
	}
	var capped []*topology.Node
	var ev []string
	for _, n := range t.Nodes {
		ok, err := netkit.Runs(ctx, t.Runtime, n.Name)
		if err != nil {
			return "", err
		}
		if !ok {
			ev = append(ev, n.Name+" not running: nothing to cap")
			continue
		}
		capped = append(capped, n)
	}
	if len(capped) == 0 {
		return strings.Join(ev, "; "), errors.New("no node of the target runs: nothing to cap")
	}

	holdErrs := netkit.HoldEach(ctx, t, &b.held, capped, b.rules(to).Argv(), "cap the bandwidth of %s")
	b.mu.Lock()
	b.applied = time.Now()
	b.mu.Unlock()
	type during struct {
		caps []capState
		err  error
	}
	durings := netkit.EachNode(capped, func(n *topology.Node) during {
		r, err := t.Runtime.Exec(ctx, n.Name, []string{"bash", "-c", b.listing()})
		if err != nil {
			return during{err: fmt.Errorf("check the cap from inside %s: %w", n.Name, err)}
		}
		return during{caps: parseCapListing(strings.Split(r.Output, "\n"), b.handle)}
	})
	var errs []error
	for i, n := range capped {
		if err := holdErrs[i]; err != nil {
			errs = append(errs, err)
			continue
		}
		d := durings[i]
		if d.err != nil {
			errs = append(errs, d.err)
			continue
		}
		var devs, wrong []string
		kind, rate := "", ""
		for _, c := range d.caps {
			want := "tbf"
			if to != nil {
				want = "htb"
			}
			if c.Kind != want || c.Rate == "" || (to != nil && c.Filters != len(to)) {
				wrong = append(wrong, fmt.Sprintf("%s: %q, rate %q, %d of %d filters", c.Dev, c.Qdisc, c.Rate, c.Filters, len(to)))
				continue
			}
			devs, kind, rate = append(devs, c.Dev), c.Kind, c.Rate
		}
		if len(wrong) > 0 || len(devs) == 0 {
			errs = append(errs, fmt.Errorf("the cap of %s is not in place (%s): %s", n.Name, strings.Join(wrong, "; "), b.held.WhyNot(ctx, n.Name)))
			continue
		}
		mech := fmt.Sprintf("tc: %s %s: rate %s", kind, b.handle, rate)
		if to != nil {
			mech = fmt.Sprintf("tc: htb %s: class rate %s, %d u32 filters", b.handle, rate, len(to))
		}
		ev = append(ev, fmt.Sprintf("%s sends at most %s of %s (%s on %s)", n.Name, b.rateText, what, mech, strings.Join(devs, ", ")))
	}
	return strings.Join(ev, "; "), errors.Join(errs...)
}

func (b *bandwidth) Revert(ctx context.Context, t *chaos.Target) (string, error) {
	b.mu.Lock()
	var lasted time.Duration
	if !b.applied.IsZero() {
		lasted = time.Since(b.applied)
	}
	b.mu.Unlock()
	t.Applying()
	rels := netkit.ReleaseEach(ctx, t, &b.held)
	gone := fmt.Sprintf(`for i in %[1]s; do tc qdisc del dev "$i" root handle %[2]s: >/dev/null 2>&1 && echo "leftover $i"; done
for i in %[1]s; do echo "dev $i"; tc qdisc show dev "$i" root; done
`, ifaces, b.handle)
	res := netkit.EachNode(t.Nodes, func(n *topology.Node) netkit.NodeResult {
		rel := rels[slices.Index(t.Nodes, n)]
		if !rel.Tried {
			return netkit.NodeResult{}
		}
		report, relErr := rel.Report, rel.Err
		ok, err := netkit.Runs(ctx, t.Runtime, n.Name)
		if err != nil || !ok {
			return netkit.NodeResult{Evidence: n.Name + " not running: nothing left to undo"}
		}
		r, err := t.Runtime.Exec(ctx, n.Name, []string{"bash", "-c", gone})
		if err != nil {
			return netkit.NodeResult{Err: errors.Join(relErr, fmt.Errorf("check the revert from inside %s: %w", n.Name, err))}
		}
		lines := strings.Split(r.Output, "\n")
		for _, c := range parseCapListing(lines, b.handle) {
			if c.Kind != "" {
				return netkit.NodeResult{Err: errors.Join(relErr, fmt.Errorf("the cap is still on %s of %s: %s", c.Dev, n.Name, c.Qdisc))}
			}
		}
		leftover := strings.Contains(r.Output, "leftover ")
		e := n.Name + " sends at full speed again"
		if relErr == nil {
			var sent []string
			var bytes uint64
			for _, c := range parseCapListing(report, b.handle) {
				bytes += c.SentBytes
				sent = append(sent, fmt.Sprintf("%s %d bytes in %d packets (%d overlimits, %d dropped)", c.Dev, c.SentBytes, c.SentPackets, c.Overlimits, c.Dropped))
			}
			if len(sent) > 0 {
				e += "; through the cap: " + strings.Join(sent, ", ")
				if lasted > 0 {
					e += fmt.Sprintf("; %s on average over %s, capped at %s", formatRate(float64(bytes)*8/lasted.Seconds()), lasted.Round(100*time.Millisecond), b.rateText)
				}
			}
		}
		return netkit.NodeResult{Evidence: e + netkit.SidecarNote(relErr, leftover, "qdisc "+b.handle+":")}
	})
	return netkit.JoinResults(res)
}

// formatRate prints bits per second in the language's units.
func formatRate(bits float64) string {
	for _, u := range rateUnits {
		if bits >= u.bits && u.bits > 1 {
			return strconv.FormatFloat(math.Round(bits/u.bits*10)/10, 'f', -1, 64) + u.suffix + "/s"
		}
	}
	return strconv.FormatFloat(math.Round(bits), 'f', -1, 64) + "bit/s"
}
