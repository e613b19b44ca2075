package netfault

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/chaos/internal/chaostest"
	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]uint64{
		"1mbit": 1_000_000, "512kbit": 512_000, "1.5gbit": 1_500_000_000, "100bit": 100, "0.5mbit": 500_000, "8bit": 8,
	} {
		got, err := parseRate(in)
		if err != nil || got != want {
			t.Errorf("parseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1mbps", "mbit", "1 mbit", "1e3kbit", "-1mbit", "0bit", "7bit", "0.001kbit", "1MBit"} {
		if got, err := parseRate(bad); err == nil {
			t.Errorf("parseRate(%q) = %d, want an error", bad, got)
		}
	}
	// Every rate the language's pattern accepts and is at least a byte per
	// second parses.
	if _, err := newBandwidth(scenarios.Params{Rate: "0bit"}); err == nil {
		t.Error("a zero rate built a fault")
	}
}

func TestCapBurst(t *testing.T) {
	if b := capBurst(1_000_000); b != 3028 {
		t.Errorf("1mbit: burst %d, want two full packets", b)
	}
	if b := capBurst(1_000_000_000); b != 1_250_000 {
		t.Errorf("1gbit: burst %d, want 10ms worth", b)
	}
}

func TestBandwidthRules(t *testing.T) {
	b := chaostest.NewFault(t, scenarios.ActionBandwidth, scenarios.Params{Rate: "1mbit"}).(*bandwidth)
	s := b.rules(nil)
	wantIn(t, "a service's cap", s.Apply, `run tc qdisc add dev "$i" root handle `+b.handle+": tbf rate 1000000bit burst 3028 latency 100ms",
		"someone else", `[ "$h" = "0:" ]`)
	wantIn(t, "its undo", s.Undo, `tc qdisc del dev "$i" root handle `+b.handle+":")
	// The check of someone else's qdisc comes before anything is added.
	if strings.Index(s.Apply, "someone else") > strings.Index(s.Apply, "tc qdisc add") {
		t.Error("a qdisc is added before the check")
	}
	s = b.rules([]netip.Addr{netip.MustParseAddr("10.2.0.1"), netip.MustParseAddr("10.2.0.3")})
	wantIn(t, "a region's cap", s.Apply, "htb default 0 direct_qlen 1000",
		"classid "+b.handle+":1 htb rate 1000000bit ceil 1000000bit burst 3028 cburst 3028",
		"u32 match ip dst 10.2.0.1/32 flowid "+b.handle+":1", "u32 match ip dst 10.2.0.3/32 flowid "+b.handle+":1")
	wantIn(t, "its report", s.Report, "tc -s class show dev \"$i\" classid "+b.handle+":1")
}

func TestParseCapListing(t *testing.T) {
	// tc 6.1's output for an htb cap and a tbf cap, as the report and the
	// listing print them.
	lines := strings.Split(`dev eth1
qdisc htb 7a33: root refcnt 3 r2q 10 default 0 direct_packets_stat 0 direct_qlen 1000
class htb 7a33:1 root prio 0 rate 512Kbit ceil 512Kbit burst 4Kb cburst 4Kb
 Sent 1480 bytes 20 pkt (dropped 2, overlimits 7 requeues 0)
 backlog 0b 0p requeues 0
filters 3
dev eth0
qdisc noqueue 0: root refcnt 2
filters 0`, "\n")
	got := parseCapListing(lines, "7a33")
	if len(got) != 2 || got[0].Kind != "htb" || got[0].Rate != "512Kbit" || got[0].Filters != 3 || got[0].SentBytes != 1480 ||
		got[0].SentPackets != 20 || got[0].Dropped != 2 || got[0].Overlimits != 7 || got[1].Kind != "" || got[1].Dev != "eth0" {
		t.Errorf("%+v", got)
	}
	tbf := parseCapListing(strings.Split("dev eth0\nqdisc tbf 1006: root refcnt 3 rate 4Mbit burst 5000b lat 100ms\nclass tbf 1006:1 parent 1006:\n Sent 2040032 bytes 1368 pkt (dropped 874, overlimits 3054 requeues 0)", "\n"), "1006")
	if len(tbf) != 1 || tbf[0].Kind != "tbf" || tbf[0].Rate != "4Mbit" || tbf[0].Dropped != 874 || tbf[0].Overlimits != 3054 {
		t.Errorf("tbf: %+v", tbf)
	}
	// Someone else's root qdisc is not ours, whatever its kind.
	if c := parseCapListing([]string{"dev eth0", "qdisc tbf 77: root refcnt 2 rate 100Mbit"}, "1006"); c[0].Kind != "" {
		t.Errorf("a foreign qdisc taken for ours: %+v", c)
	}
}

func TestFormatRate(t *testing.T) {
	for bits, want := range map[float64]string{3.7e6: "3.7mbit/s", 512e3: "512kbit/s", 12: "12bit/s", 2.25e9: "2.3gbit/s"} {
		if got := formatRate(bits); got != want {
			t.Errorf("formatRate(%v) = %s, want %s", bits, got, want)
		}
	}
}

func TestBandwidthOfAService(t *testing.T) {
	w := newNetWorld(t)
	tg, in := w.Target(t, scenarios.TargetApp)
	f := chaostest.NewFault(t, scenarios.ActionBandwidth, scenarios.Params{Rate: "2mbit"}).(*bandwidth)
	ev, err := f.Inject(bg, tg)
	if err != nil {
		t.Fatal(err)
	}
	in.Check(t, fakert.OpHold)
	wantIn(t, "evidence", ev, "app sends at most 2mbit of everything it sends (loopback aside) (tc: tbf "+f.handle+": rate 2Mbit on eth0, eth1)")
	ev, err = f.Revert(bg, tg)
	if err != nil || !strings.Contains(ev, "app sends at full speed again") {
		t.Errorf("revert: %q %v", ev, err)
	}
}

func TestBandwidthOfARegion(t *testing.T) {
	w := newNetWorld(t)
	tg, _ := w.Target(t, "region.east")
	f := chaostest.NewFault(t, scenarios.ActionBandwidth, scenarios.Params{Rate: "1mbit"}).(*bandwidth)
	ev, err := f.Inject(bg, tg)
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, "evidence", ev, "pg-primary sends at most 1mbit of what it sends to the nodes outside region east: pg-replica1",
		"htb "+f.handle+": class rate 1Mbit, 4 u32 filters", "minio sends at most 1mbit")
	if _, err := f.Revert(bg, tg); err != nil {
		t.Fatal(err)
	}
}

// A root qdisc of someone else is refused, not replaced: the sidecar
// fails, and the injection says why.
func TestBandwidthRefusesAForeignQdisc(t *testing.T) {
	w := newNetWorld(t)
	w.ns.foreign = map[string]string{topology.NodeApp: "qdisc tbf 77: root refcnt 2 rate 100Mbit"}
	w.ns.set(&w.ns.inert, topology.NodeApp) // the sidecar failed at its check
	tg, _ := w.Target(t, scenarios.TargetApp)
	f := chaostest.NewFault(t, scenarios.ActionBandwidth, scenarios.Params{Rate: "1mbit"}).(*bandwidth)
	_, err := f.Inject(bg, tg)
	if err == nil || !strings.Contains(err.Error(), "the cap of app is not in place") || !strings.Contains(err.Error(), "tbf 77:") {
		t.Errorf("inject: %v", err)
	}
	if _, err := f.Revert(bg, tg); err != nil {
		t.Errorf("revert: %v", err)
	}
}

func TestBandwidthRevertRemovesALeftover(t *testing.T) {
	w := newNetWorld(t)
	w.ns.set(&w.ns.leaked, topology.NodeApp)
	tg, _ := w.Target(t, scenarios.TargetApp)
	f := chaostest.NewFault(t, scenarios.ActionBandwidth, scenarios.Params{Rate: "1mbit"}).(*bandwidth)
	if _, err := f.Inject(bg, tg); err != nil {
		t.Fatal(err)
	}
	ev, err := f.Revert(bg, tg)
	if err != nil || !strings.Contains(ev, "a leftover qdisc "+f.handle+": removed from inside") {
		t.Errorf("%q %v", ev, err)
	}
}
