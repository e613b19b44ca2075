package netfault

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/chaos/internal/chaostest"
	"github.com/firedrill/firedrill/chaos/internal/netkit"
	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func percent(p float64) scenarios.Params { return scenarios.Params{Percent: &p} }

func TestLossRules(t *testing.T) {
	l := chaostest.NewFault(t, scenarios.ActionLoss, percent(30)).(*loss)
	// A service: everything it receives.
	s := l.rules(nil)
	wantIn(t, "a service's loss", s.Apply, "run iptables -w -A "+l.chain+"\n",
		"run iptables -w -A "+l.chain+" -m statistic --mode random --probability 0.3 -j DROP",
		"run iptables -w -I INPUT 1 ! -i lo -j "+l.chain)
	if strings.Contains(s.Apply, "OUTPUT") || strings.Contains(s.Apply, " -s ") {
		t.Errorf("a service's loss:\n%s", s.Apply)
	}
	// A region: from each peer address, counted and dropped.
	s = l.rules([]netip.Addr{netip.MustParseAddr("10.2.0.1")})
	wantIn(t, "a region's loss", s.Apply, "run iptables -w -A "+l.chain+" -s 10.2.0.1/32\n",
		"run iptables -w -A "+l.chain+" -s 10.2.0.1/32 -m statistic --mode random --probability 0.3 -j DROP")
	// 100%: every packet, no statistic match.
	all := chaostest.NewFault(t, scenarios.ActionLoss, scenarios.Params{}).(*loss)
	if s := all.rules(nil); strings.Contains(s.Apply, "statistic") || !strings.Contains(s.Apply, "-j DROP") || all.percent != 100 {
		t.Errorf("the default loss (100%%):\n%s", s.Apply)
	}
	for _, bad := range []float64{0, -1, 101} {
		if _, err := newLoss(percent(bad)); err == nil {
			t.Errorf("percent %v accepted", bad)
		}
	}
}

// The check of a burst: a working rule passes, one that drops nothing is
// caught from about 13% up.
func TestImplausiblyFew(t *testing.T) {
	cases := []struct {
		k, n int
		p    float64
		want bool
	}{
		{0, 100, 0.3, true},   // nothing dropped at 30%
		{15, 100, 0.3, false}, // unlucky, but a working rule does that
		{30, 100, 0.3, false},
		{100, 100, 0.3, false}, // more than asked is not less than asked
		{0, 100, 0.14, true},
		{0, 100, 0.1, false}, // a burst of 100 cannot tell at 10%
		{99, 100, 1, true},   // at 100% every packet goes
		{100, 100, 1, false},
	}
	for _, c := range cases {
		if got := implausiblyFew(c.k, c.n, c.p); got != c.want {
			t.Errorf("implausiblyFew(%d, %d, %v) = %v, want %v", c.k, c.n, c.p, got, c.want)
		}
	}
}

func TestParseBurst(t *testing.T) {
	sent, answered, ok := parseBurst("answer 1\nanswer 1\nbash: line 3: 123 Terminated\nanswer 0\nburst 10\n")
	if !ok || sent != 10 || answered != 3 {
		t.Errorf("%d %d %v", sent, answered, ok)
	}
	if _, _, ok := parseBurst("answer 1\n"); ok {
		t.Error("a burst that did not finish counts")
	}
}

func TestLossOfAService(t *testing.T) {
	w := newNetWorld(t)
	tg, in := w.Target(t, scenarios.TargetApp)
	f := chaostest.NewFault(t, scenarios.ActionLoss, percent(40)).(*loss)
	ev, err := f.Inject(bg, tg)
	if err != nil {
		t.Fatal(err)
	}
	in.Check(t, fakert.OpHold)
	wantIn(t, "evidence", ev, "app drops 40% of everything it receives (loopback aside): 2 rules of chain "+f.chain,
		"a burst from inside app of 100 connects to pg-primary 10.2.0.1:9", "40 unanswered in 300ms (40%), asked 40%")
	ev, err = f.Revert(bg, tg)
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, "revert evidence", ev, "app receives everything again: it dropped 0 of the 0 packets the rules saw (none), asked 40%")
	if ev, err := f.Revert(bg, tg); err != nil || ev != "nothing left to undo" {
		t.Errorf("a second revert: %q %v", ev, err)
	}
}

func TestLossOfARegion(t *testing.T) {
	w := newNetWorld(t)
	tg, _ := w.Target(t, "region.west")
	f := chaostest.NewFault(t, scenarios.ActionLoss, percent(50)).(*loss)
	ev, err := f.Inject(bg, tg)
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, "evidence", ev, "pg-replica1 drops 50% of what it receives from the nodes outside region west: pg-primary", "app drops 50%", "8 rules")
	for _, n := range []string{"pg-replica1", topology.NodeApp} {
		rules, _ := w.ns.rules(n)
		if len(rules) != 8 || strings.Contains(strings.Join(rules, " "), "10.1.0.2/32") {
			t.Errorf("%s drops from its own region, or not from the other: %v", n, rules)
		}
	}
	if _, err := f.Revert(bg, tg); err != nil {
		t.Fatal(err)
	}
}

// A rule that drops nothing is a loss that did not take effect.
func TestLossThatDidNotTakeEffect(t *testing.T) {
	w := newNetWorld(t)
	w.ns.set(&w.ns.inert, topology.NodeApp)
	tg, _ := w.Target(t, scenarios.TargetApp)
	f := chaostest.NewFault(t, scenarios.ActionLoss, percent(30)).(*loss)
	if _, err := f.Inject(bg, tg); err == nil || !strings.Contains(err.Error(), "not in place") {
		t.Errorf("inject: %v", err)
	}
	if _, err := f.Revert(bg, tg); err != nil {
		t.Errorf("revert: %v", err)
	}
	// The rules in place, and yet every reset of the burst comes back.
	w = newNetWorld(t)
	w.ns.lossless = true
	tg, _ = w.Target(t, scenarios.TargetApp)
	f = chaostest.NewFault(t, scenarios.ActionLoss, percent(30)).(*loss)
	if _, err := f.Inject(bg, tg); err == nil || !strings.Contains(err.Error(), "the loss is not in effect") || !strings.Contains(err.Error(), "0 unanswered") {
		t.Errorf("inject with a rule that drops nothing: %v", err)
	}
}

func TestLossCounts(t *testing.T) {
	got := netkit.ParseRuleCounters([]string{
		"-A FIREDRILL-LOSS-1 -s 172.18.0.3/32 -c 100 4000",
		"-A FIREDRILL-LOSS-1 -s 172.18.0.3/32 -m statistic --mode random --probability 0.29999999981 -c 29 1160 -j DROP",
	}, "FIREDRILL-LOSS-1")
	if r, d := lossCounts(got); r != 100 || d != 29 {
		t.Errorf("loss counts %d %d", r, d)
	}
}
