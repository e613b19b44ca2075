package latency

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/chaos/internal/netkit"
	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

var bg = context.Background()

// latencyKernel is a runtime whose sidecars behave as the kernel would
// for a latency: an agent delayer binds a queue, a tools sidecar's
// NFQUEUE rule or netem qdisc delays a node's packets (the rule only
// while a delayer is bound: --queue-bypass), and `agent rtt` measures a
// round trip that grows by the delay while both are in place.
type latencyKernel struct {
	*fakert.Runtime
	netem     bool          // the kernel has sch_netem
	base      time.Duration // the round trip without delay
	delay     time.Duration // what an effect in place adds
	failRule  bool          // iptables refuses the rule
	stuck     bool          // the effect is not undone at release
	rttSleep  time.Duration // how long a measurement takes
	delayedBy uint64        // what the delayer reports at its release

	mu       sync.Mutex
	bound    map[string]bool // node -> a delayer holds its queue
	effect   map[string]bool // node -> a rule or netem is in place
	images   []string        // "hold|exec <image> <cmd>" in call order
	released []string        // "delayer node" / "effect node" in release order
}

func newLatencyKernel(topo *topology.Topology) *latencyKernel {
	rt := fakert.New()
	for _, n := range topo.Nodes {
		rt.Add(n.Name, n.Networks...)
	}
	return &latencyKernel{Runtime: rt, base: 300 * time.Microsecond, delay: 100 * time.Millisecond, delayedBy: 1234,
		bound: map[string]bool{}, effect: map[string]bool{}}
}

var _ platform.Runtime = (*latencyKernel)(nil)

func (k *latencyKernel) note(what, node string, cmd []string, opts []platform.SidecarOption) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.images = append(k.images, fmt.Sprintf("%s %s %s %s", what, node, platform.NewSidecarConfig(opts...).Image, strings.Join(cmd, " ")))
}

func (k *latencyKernel) delayed(node string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.effect[node] && (k.netem || k.bound[node])
}

func (k *latencyKernel) Exec(ctx context.Context, node string, cmd []string, opts ...platform.SidecarOption) (platform.ExecResult, error) {
	if _, err := k.Runtime.Exec(ctx, node, cmd, opts...); err != nil {
		return platform.ExecResult{}, err
	}
	k.note("exec", node, cmd, opts)
	joined := strings.Join(cmd, " ")
	switch {
	case len(cmd) > 1 && cmd[0] == "agent" && cmd[1] == "rtt":
		if platform.NewSidecarConfig(opts...).Image != platform.SidecarAgent {
			return platform.ExecResult{ExitCode: 127, Output: "agent: not found"}, nil
		}
		time.Sleep(k.rttSleep)
		rtt := k.base
		if k.delayed(node) {
			rtt += k.delay
		}
		return platform.ExecResult{Output: fmt.Sprintf("rtt n=5 failed=0 median_us=%d min_us=%d max_us=%d", rtt.Microseconds(), rtt.Microseconds(), rtt.Microseconds())}, nil
	case strings.Contains(joined, "dev lo root handle fd01: netem"):
		if k.netem {
			return platform.ExecResult{Output: "netem-ok"}, nil
		}
		return platform.ExecResult{ExitCode: 2, Output: "Error: Specified qdisc kind is unknown."}, nil
	case strings.Contains(joined, "gone"):
		// ChainGone or netemGone: the check after a revert.
		if k.delayed(node) || k.effectOn(node) {
			return platform.ExecResult{Output: "still there"}, nil
		}
		if m := regexp.MustCompile(`echo "(chain \S+|netem \S+) gone"`).FindStringSubmatch(joined); m != nil {
			return platform.ExecResult{Output: m[1] + " gone"}, nil
		}
	}
	return platform.ExecResult{}, nil
}

func (k *latencyKernel) effectOn(node string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.effect[node]
}

func (k *latencyKernel) Hold(ctx context.Context, node string, cmd []string, opts ...platform.SidecarOption) (platform.Held, error) {
	inner, err := k.Runtime.Hold(ctx, node, cmd, opts...)
	if err != nil {
		return nil, err
	}
	k.note("hold", node, cmd, opts)
	image := platform.NewSidecarConfig(opts...).Image
	joined := strings.Join(cmd, " ")
	h := &kernelHeld{k: k, inner: inner, node: node}
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case len(cmd) > 1 && cmd[0] == "agent" && cmd[1] == "delay":
		if image != platform.SidecarAgent {
			return nil, fmt.Errorf("hold in %s: the sidecar exited before the effect was in place: agent: not found", node)
		}
		k.bound[node] = true
		h.kind = "delayer"
	case strings.Contains(joined, "NFQUEUE") || strings.Contains(joined, " netem "):
		h.kind = "effect"
		if k.failRule || (strings.Contains(joined, " netem ") && !k.netem) {
			h.failed = true
			return h, nil // HoldScript says "failed" as its first line
		}
		k.effect[node] = true
	}
	return h, nil
}

type kernelHeld struct {
	k      *latencyKernel
	inner  platform.Held
	node   string
	kind   string
	failed bool
}

func (h *kernelHeld) Lines() <-chan string { return h.inner.Lines() }

func (h *kernelHeld) Release(ctx context.Context) (string, error) {
	if _, err := h.inner.Release(ctx); err != nil {
		return "", err
	}
	k := h.k
	k.mu.Lock()
	defer k.mu.Unlock()
	k.released = append(k.released, h.kind+" "+h.node)
	if h.failed {
		return "iptables -w -A FIREDRILL-LATENCY-1 -j NFQUEUE: iptables: No chain/target/match by that name.", nil
	}
	switch h.kind {
	case "delayer":
		k.bound[h.node] = false
		return fmt.Sprintf("released delayed=%d flushed=3 dropped=0 max_waiting=9 held_mean_us=100200 held_max_us=101000", k.delayedBy), nil
	case "effect":
		if !k.stuck {
			k.effect[h.node] = false
		}
		if k.netem {
			return "released qdisc netem 1001: root refcnt 2 limit 10000 delay 100ms| Sent 64000 bytes 800 pkt (dropped 2, overlimits 0 requeues 0)| backlog 0b 0p requeues 0", nil
		}
		return "released -A FIREDRILL-LATENCY-1 -c 812 48720 -j NFQUEUE --queue-num 1100 --queue-bypass", nil
	}
	return "released", nil
}

// latencyDrill is primary-kill's topology (pg-primary, minio and app in
// east, pg-replica1 in west) behind an Injector on the kernel.
type latencyDrill struct {
	topo *topology.Topology
	k    *latencyKernel
	in   *chaos.Injector
}

func newLatencyDrill(t *testing.T) *latencyDrill {
	t.Helper()
	scn, err := scenarios.Builtin("primary-kill")
	if err != nil {
		t.Fatal(err)
	}
	topo := topology.New(scn)
	k := newLatencyKernel(topo)
	return &latencyDrill{topo: topo, k: k, in: chaos.NewInjector(topo, k, topo.Initial(), firedrill.NewTimeline(), chaos.WithSeed(7))}
}

func latencyInjection(target string, delay, jitter time.Duration) firedrill.Injection {
	f := scenarios.Fault{Action: scenarios.ActionLatency, Target: target, Params: scenarios.Params{
		Delay: &scenarios.Duration{Duration: delay}, Jitter: &scenarios.Duration{Duration: jitter}}}
	return firedrill.Injection{ID: "f0", Index: 0, Fault: f, Action: f.Action, Target: target}
}

func (d *latencyDrill) calls(prefix string) []string {
	d.k.mu.Lock()
	defer d.k.mu.Unlock()
	var out []string
	for _, c := range d.k.images {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// On a kernel without sch_netem, a latency on a service is a delayer in
// the agent image bound first and an NFQUEUE rule for everything the node
// sends but loopback's; the evidence says so and shows the round trip
// grown by the delay; the revert removes the rule before it releases the
// delayer, reports the delayer's counts and the round trip after.
func TestLatencyNFQueueOnAService(t *testing.T) {
	d := newLatencyDrill(t)
	ap, err := d.in.Inject(bg, latencyInjection("postgres.primary", 100*time.Millisecond, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"mechanism: nfqueue (no sch_netem on this kernel)",
		"pg-primary delays every packet it sends (loopback's aside)",
		"pg-primary -> pg-replica1:5432 round trip 0.30 ms before, 100.3 ms during (asked 100ms ± 0s)",
	} {
		if !strings.Contains(ap.Evidence, want) {
			t.Errorf("evidence %q lacks %q", ap.Evidence, want)
		}
	}
	holds := d.calls("hold")
	if len(holds) != 2 {
		t.Fatalf("holds %q, want the delayer then the rule", holds)
	}
	m := regexp.MustCompile(`^hold pg-primary agent agent delay --queue (\d+) --delay 100ms --jitter 0s --seed \d+$`).FindStringSubmatch(holds[0])
	if m == nil {
		t.Fatalf("first hold %q, want the delayer in the agent image", holds[0])
	}
	rule := holds[1]
	for _, want := range []string{"hold pg-primary tools bash -c", "-j NFQUEUE --queue-num " + m[1] + " --queue-bypass",
		"iptables -w -I OUTPUT 1 ! -o lo -j FIREDRILL-LATENCY-"} {
		if !strings.Contains(rule, want) {
			t.Errorf("rule sidecar %q lacks %q", rule, want)
		}
	}
	if strings.Contains(rule, " -d ") {
		t.Errorf("a service's rule matches destinations: %q", rule)
	}

	rv, err := ap.Revert(bg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.k.released, []string{"effect pg-primary", "delayer pg-primary"}) {
		t.Errorf("released %v, want the rule first, then the delayer", d.k.released)
	}
	for _, want := range []string{"pg-primary sends undelayed again: 1234 packets delayed (held 100.2 ms on average, 101.0 ms at most), 3 accepted at once at the release, 0 dropped (queue full)",
		"pg-primary -> pg-replica1:5432 round trip 0.30 ms after"} {
		if !strings.Contains(rv.Evidence, want) {
			t.Errorf("revert evidence %q lacks %q", rv.Evidence, want)
		}
	}
	// A second revert finds nothing left.
	if rv, err := ap.Revert(bg); err != nil || rv.Evidence != "nothing left to undo" {
		t.Errorf("second revert: %q, %v", rv.Evidence, err)
	}
}

// On a region, only the packets to the nodes of the other regions are
// delayed: the rule matches each of their addresses, on every node of the
// region, and each node's round trip is measured to a node outside.
func TestLatencyOnARegionDelaysOnlyTheWAN(t *testing.T) {
	d := newLatencyDrill(t)
	ap, err := d.in.Inject(bg, latencyInjection("region.east", 50*time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ap.Nodes, []string{"pg-primary", "minio", "app"}) {
		t.Fatalf("nodes %v, want east's", ap.Nodes)
	}
	replica, err := d.k.Addresses(bg, "pg-replica1")
	if err != nil || len(replica) != 2 {
		t.Fatalf("replica addresses %v, %v", replica, err)
	}
	for _, h := range d.calls("hold") {
		if !strings.Contains(h, "tools") {
			continue
		}
		if n := strings.Count(h, " -d "); n != 2 {
			t.Errorf("rule %q matches %d destinations, want pg-replica1's 2 addresses", h, n)
		}
		for _, a := range replica {
			if !strings.Contains(h, "-d "+a.String()+"/32 ") {
				t.Errorf("rule %q does not match %s", h, a)
			}
		}
	}
	for _, n := range []string{"app", "minio", "pg-primary"} {
		if !strings.Contains(ap.Evidence, n+" -> pg-replica1:5432 round trip 0.30 ms before, 100.3 ms during (asked 50ms ± 10ms)") {
			t.Errorf("evidence %q lacks %s's round trip to the other region", ap.Evidence, n)
		}
	}
	if !strings.Contains(ap.Evidence, "; region east (pg-primary, minio, app) delays the packets it sends to the nodes outside it: pg-replica1 (") {
		t.Errorf("evidence %q does not say only the other region's nodes are delayed", ap.Evidence)
	}
	if _, err := ap.Revert(bg); err != nil {
		t.Fatal(err)
	}
}

// Where the kernel has netem, the same latency is a netem qdisc, with no
// delayer and no rule, and the evidence says so. (This machine has no
// sch_netem: only the commands are checked here.)
func TestLatencyNetemWhereTheKernelHasIt(t *testing.T) {
	d := newLatencyDrill(t)
	d.k.netem = true
	ap, err := d.in.Inject(bg, latencyInjection("app", 100*time.Millisecond, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ap.Evidence, "mechanism: netem; app delays every packet it sends (loopback's aside); app -> pg-primary:5432 round trip") {
		t.Errorf("evidence %q", ap.Evidence)
	}
	holds := d.calls("hold")
	if len(holds) != 1 || !strings.Contains(holds[0], `tc qdisc add dev "$dev" root handle `) ||
		!strings.Contains(holds[0], "netem delay 100000us 20000us limit 10000") || strings.Contains(holds[0], "agent") {
		t.Fatalf("holds %q, want one netem sidecar of 100ms ± 20ms", holds)
	}
	rv, err := ap.Revert(bg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rv.Evidence, "app sends undelayed again: 800 packets delayed, 2 dropped (queue full)") {
		t.Errorf("revert evidence %q", rv.Evidence)
	}
}

// A rule that did not take (iptables refused it) leaves the round trip as
// it was: the latency did not take effect, with the sidecar's reason; the
// revert still releases the delayer.
func TestLatencyThatDidNotTakeEffectIsAnError(t *testing.T) {
	d := newLatencyDrill(t)
	d.k.failRule = true
	ap, err := d.in.Inject(bg, latencyInjection("postgres.primary", 100*time.Millisecond, 0))
	if err == nil || !strings.Contains(err.Error(), "the latency did not take effect") ||
		!strings.Contains(err.Error(), "0.30 ms before, 0.30 ms during") || !strings.Contains(err.Error(), "No chain/target/match") {
		t.Fatalf("Inject: %v; want the latency not in effect, with iptables' reason", err)
	}
	if ap.Revert == nil {
		t.Fatal("no revert for a latency applied part way")
	}
	if _, err := ap.Revert(bg); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(d.k.released, "delayer pg-primary") {
		t.Errorf("released %v: the delayer was left bound", d.k.released)
	}
}

// A latency still measured after its revert is an error, not a clean
// revert.
func TestLatencyStillInEffectAfterRevert(t *testing.T) {
	d := newLatencyDrill(t)
	d.k.netem = true
	d.k.stuck = true
	ap, err := d.in.Inject(bg, latencyInjection("app", 100*time.Millisecond, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ap.Revert(bg); err == nil {
		t.Fatal("a revert that left the delay in place succeeded")
	}
}

// The span ends when the effect is in place: the round trip measured
// after it is evidence, not part of the injection's span.
func TestLatencySpanExcludesTheMeasurement(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newLatencyDrill(t)
		d.k.rttSleep = time.Second
		start := time.Now()
		ap, err := d.in.Inject(bg, latencyInjection("postgres.primary", 100*time.Millisecond, 0))
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		if took < 2*time.Second || ap.Span != 0 {
			t.Errorf("Inject took %s (two measurements of 1s) with span %s, want the span to exclude them (0 here)", took, ap.Span)
		}
		rv, err := ap.Revert(bg)
		if err != nil {
			t.Fatal(err)
		}
		if rv.Span != 0 {
			t.Errorf("revert span %s, want the measurement after it excluded", rv.Span)
		}
	})
}

func TestParseNetemTrial(t *testing.T) {
	for _, tc := range []struct {
		r    platform.ExecResult
		want mechanism
	}{
		{platform.ExecResult{Output: "netem-ok"}, mechanism{netem: true}},
		{platform.ExecResult{ExitCode: 2, Output: "Error: Specified qdisc kind is unknown."}, mechanism{why: "no sch_netem on this kernel"}},
		{platform.ExecResult{ExitCode: 2, Output: "RTNETLINK answers: No such file or directory"}, mechanism{why: "no sch_netem on this kernel"}},
		{platform.ExecResult{ExitCode: 2, Output: "Error: Exclusivity flag on, cannot modify.\nmore"}, mechanism{why: "netem could not be tried here: Error: Exclusivity flag on, cannot modify."}},
		{platform.ExecResult{ExitCode: 1}, mechanism{why: "netem could not be tried here: exit 1"}},
		// Exit 0 without the word: the trial did not finish.
		{platform.ExecResult{ExitCode: 0, Output: ""}, mechanism{why: "netem could not be tried here: exit 0"}},
	} {
		if got := parseNetemTrial(tc.r); got != tc.want {
			t.Errorf("parseNetemTrial(%+v) = %+v, want %+v", tc.r, got, tc.want)
		}
	}
}

func TestTookEffect(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	for _, tc := range []struct {
		before, during, delay, jitter time.Duration
		want                          bool
	}{
		{ms(0.3), ms(100.8), ms(100), 0, true},
		{ms(0.3), ms(50.3), ms(100), 0, true},       // half the delay: the bound
		{ms(0.3), ms(50.2), ms(100), 0, false},      // just under
		{ms(0.3), ms(0.5), ms(100), 0, false},       // nothing held
		{ms(0.3), ms(40.3), ms(100), ms(20), true},  // (100−20)/2 = 40
		{ms(0.3), ms(12.8), ms(100), ms(100), true}, // delay/4/2 = 12.5
		{ms(0.3), ms(12.7), ms(100), ms(100), false},
	} {
		if got := tookEffect(tc.before, tc.during, tc.delay, tc.jitter); got != tc.want {
			t.Errorf("tookEffect(%s, %s, %s ± %s) = %v, want %v", tc.before, tc.during, tc.delay, tc.jitter, got, tc.want)
		}
	}
}

// The netem commands, as tc reads them: a service's root qdisc, a
// region's prio band with a filter per address, and the counters read
// back from tc -s.
func TestNetemScripts(t *testing.T) {
	f, err := newLatency(scenarios.Params{Delay: &scenarios.Duration{Duration: 250 * time.Microsecond}})
	if err != nil {
		t.Fatal(err)
	}
	l := f.(*latency)
	l.handle = 0x1a2b
	svc := l.netemScript(nil)
	if !strings.Contains(svc.Apply, `run tc qdisc add dev "$dev" root handle 1a2b: netem delay 250us limit 10000`) ||
		!strings.Contains(svc.Undo, `tc qdisc del dev "$dev" root handle 1a2b:`) || !strings.Contains(svc.Apply, `[ "$dev" = lo ] && continue`) {
		t.Errorf("service netem script %+v", svc)
	}
	addrs := netkit.PeerAddrs([]netkit.Peer{{Node: &topology.Node{Name: "pg-replica1"}, Addrs: map[string]netip.Addr{"west": netip.MustParseAddr("10.2.0.2"), "wan": netip.MustParseAddr("10.3.0.2")}}})
	reg := l.netemScript(addrs).Apply
	for _, want := range []string{
		`run tc qdisc add dev "$dev" root handle 1a2b: prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1`,
		`run tc qdisc add dev "$dev" parent 1a2b:4 netem delay 250us limit 10000`,
		`run tc filter add dev "$dev" parent 1a2b: protocol ip prio 1 u32 match ip dst 10.2.0.2/32 flowid 1a2b:4`,
		`run tc filter add dev "$dev" parent 1a2b: protocol ip prio 1 u32 match ip dst 10.3.0.2/32 flowid 1a2b:4`,
	} {
		if !strings.Contains(reg, want) {
			t.Errorf("region netem script lacks %q:\n%s", want, reg)
		}
	}
	report := []string{"qdisc prio 1a2b: root refcnt 2 bands 4", " Sent 9000 bytes 90 pkt (dropped 0, overlimits 0 requeues 0)",
		"qdisc netem 8001: parent 1a2b:4 limit 10000 delay 250us", " Sent 4000 bytes 40 pkt (dropped 3, overlimits 0 requeues 0)",
		"qdisc netem 8002: parent 1a2b:4 limit 10000 delay 250us", " Sent 1000 bytes 10 pkt (dropped 1, overlimits 0 requeues 0)"}
	if d, dr, ok := netemCounts(report); !ok || d != 50 || dr != 4 {
		t.Errorf("netemCounts = %d, %d, %v; want 50 delayed (netem's only), 4 dropped", d, dr, ok)
	}
	if _, _, ok := netemCounts([]string{"qdisc noqueue 0: root"}); ok {
		t.Error("counts read from a report without netem")
	}
}
