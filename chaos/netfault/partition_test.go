package netfault

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/chaos/internal/chaostest"
	"github.com/firedrill/firedrill/chaos/internal/netkit"
	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// wantIn checks that s contains every one of subs.
func wantIn(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

func newPartitionFault(t *testing.T, p scenarios.Params) *partition {
	t.Helper()
	return chaostest.NewFault(t, scenarios.ActionPartition, p).(*partition)
}

func TestPartitionRules(t *testing.T) {
	addrs := []netip.Addr{netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("10.2.0.1")}
	p := newPartitionFault(t, scenarios.Params{})
	both := p.rules(addrs)
	wantIn(t, "both ways", both.Apply,
		"run iptables -w -N "+p.chain,
		"run iptables -w -A "+p.chain+" -s 10.1.0.1/32 -j DROP", "run iptables -w -A "+p.chain+" -d 10.1.0.1/32 -j DROP",
		"run iptables -w -A "+p.chain+" -d 10.2.0.1/32 -j DROP",
		"run iptables -w -I INPUT 1 ! -i lo -j "+p.chain, "run iptables -w -I OUTPUT 1 ! -o lo -j "+p.chain)
	wantIn(t, "its undo", both.Undo, "iptables -w -D INPUT ! -i lo -j "+p.chain, "iptables -w -D OUTPUT ! -o lo -j "+p.chain,
		"iptables -w -F "+p.chain, "iptables -w -X "+p.chain)
	// Dropped, never rejected: a silent cut.
	if strings.Contains(both.Apply, "REJECT") {
		t.Error("a partition rejects: it must drop")
	}
	// The jumps come last: the cut starts when the chain is complete.
	if strings.LastIndex(both.Apply, "-A "+p.chain) > strings.Index(both.Apply, "-I INPUT") {
		t.Error("a jump is inserted before the chain is complete")
	}

	yes := true
	one := newPartitionFault(t, scenarios.Params{OneWay: &yes})
	s := one.rules(addrs)
	wantIn(t, "one way", s.Apply, "-d 10.1.0.1/32 -j DROP", "run iptables -w -I OUTPUT 1 ! -o lo -j "+one.chain)
	if strings.Contains(s.Apply, " -s ") || strings.Contains(s.Apply, "INPUT") {
		t.Errorf("one way cuts what the target receives:\n%s", s.Apply)
	}
	if p.chain == one.chain {
		t.Error("two injections share a chain")
	}
}

func TestPartitionOfAService(t *testing.T) {
	w := newNetWorld(t)
	tg, in := w.Target(t, scenarios.TargetApp)
	f := newPartitionFault(t, scenarios.Params{})
	ev, err := f.Inject(bg, tg)
	if err != nil {
		t.Fatal(err)
	}
	in.Check(t, fakert.OpHold)
	wantIn(t, "evidence", ev, "app cut off pg-primary (10.1.0.1, 10.2.0.1), pg-replica1 (10.2.0.2, 10.1.0.2), minio (10.1.0.3, 10.2.0.3) both ways",
		"12 rules of chain "+f.chain, "before: pg-primary 10.2.0.1:5432 open", "pg-replica1 10.1.0.2:5432 open", "minio 10.2.0.3:9000 open",
		"during: pg-primary 10.2.0.1:5432 no answer in 500ms")
	if rules, jumps := w.ns.rules(topology.NodeApp); len(rules) != 12 || len(jumps) != 2 {
		t.Errorf("in app: %v %v", rules, jumps)
	}
	if n := w.RT.Count(fakert.OpHold, ""); n != 1 {
		t.Errorf("%d holds, want one, in app", n)
	}

	rtg, rin := w.Target(t, scenarios.TargetApp)
	ev, err = f.Revert(bg, rtg)
	if err != nil {
		t.Fatal(err)
	}
	rin.Check(t, fakert.OpRelease)
	wantIn(t, "revert evidence", ev, "app reconnected after dropping 0 packets it received and 0 it sent", "from inside app: pg-primary 10.2.0.1:5432 open")
	if rules, _ := w.ns.rules(topology.NodeApp); len(rules) != 0 {
		t.Errorf("left after the revert: %v", rules)
	}
	if ev, err := f.Revert(bg, rtg); err != nil || ev != "nothing left to undo" {
		t.Errorf("a second revert: %q %v", ev, err)
	}
}

// A region's partition holds a chain in each of its nodes, against the
// other regions' nodes only.
func TestPartitionOfARegion(t *testing.T) {
	w := newNetWorld(t)
	w.RT.Set(topology.NodeStorage, platform.State{Status: platform.StatusExited})
	tg, _ := w.Target(t, "region.east")
	f := newPartitionFault(t, scenarios.Params{To: []string{"region.west"}})
	ev, err := f.Inject(bg, tg)
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, "evidence", ev, "pg-primary cut off pg-replica1 (10.2.0.2, 10.1.0.2), app (10.2.0.4, 10.1.0.4) both ways",
		"minio not running: nothing to cut")
	if w.RT.Count(fakert.OpHold, topology.NodePrimary) != 1 || w.RT.Count(fakert.OpHold, topology.NodeStorage) != 0 {
		t.Errorf("holds %v", w.RT.Calls(fakert.OpHold))
	}
	if rules, _ := w.ns.rules(topology.NodePrimary); strings.Contains(strings.Join(rules, " "), "10.1.0.3") {
		t.Errorf("the primary cuts the storage of its own region: %v", rules)
	}
	if _, err := f.Revert(bg, tg); err != nil {
		t.Fatal(err)
	}
}

// A sidecar that held nothing (its rules failed): the injection fails,
// saying what is missing, and its revert still checks for leftovers.
func TestPartitionThatDidNotTakeEffect(t *testing.T) {
	w := newNetWorld(t)
	w.ns.set(&w.ns.inert, topology.NodeApp)
	tg, _ := w.Target(t, scenarios.TargetApp)
	f := newPartitionFault(t, scenarios.Params{})
	_, err := f.Inject(bg, tg)
	if err == nil || !strings.Contains(err.Error(), "the cut of app is not in place: 0 of 12 rules and 0 of 2 jumps") {
		t.Fatalf("inject: %v", err)
	}
	ev, err := f.Revert(bg, tg)
	if err != nil || !strings.Contains(ev, "app reconnected") {
		t.Errorf("revert after a failed inject: %q %v", ev, err)
	}
	if w.RT.Count(fakert.OpExec, topology.NodeApp) < 3 {
		t.Errorf("the revert did not look inside app: %v", w.RT.Calls(fakert.OpExec))
	}
}

// Rules still in place when the revert looks (their sidecar was removed
// before it could undo them) are removed by the check, and said so.
func TestPartitionRevertRemovesALeftover(t *testing.T) {
	w := newNetWorld(t)
	w.ns.set(&w.ns.leaked, topology.NodeApp)
	tg, _ := w.Target(t, scenarios.TargetApp)
	f := newPartitionFault(t, scenarios.Params{})
	if _, err := f.Inject(bg, tg); err != nil {
		t.Fatal(err)
	}
	ev, err := f.Revert(bg, tg)
	if err != nil || !strings.Contains(ev, "a leftover chain "+f.chain+" removed from inside") {
		t.Errorf("%q %v", ev, err)
	}
}

func TestPartitionErrors(t *testing.T) {
	w := newNetWorld(t)
	for _, n := range []string{topology.NodePrimary, "pg-replica1", topology.NodeStorage} {
		w.RT.Set(n, platform.State{Status: platform.StatusExited})
	}
	tg, _ := w.Target(t, scenarios.TargetApp)
	if _, err := newPartitionFault(t, scenarios.Params{}).Inject(bg, tg); err == nil || !strings.Contains(err.Error(), "no peer runs") {
		t.Errorf("no peer runs: %v", err)
	}
	if n := w.RT.Count(fakert.OpHold, ""); n != 0 {
		t.Errorf("%d holds for nothing to cut", n)
	}
	w = newNetWorld(t)
	w.RT.Set(topology.NodeApp, platform.State{Status: platform.StatusExited})
	tg, _ = w.Target(t, scenarios.TargetApp)
	if _, err := newPartitionFault(t, scenarios.Params{}).Inject(bg, tg); err == nil || !strings.Contains(err.Error(), "no node of the target runs") {
		t.Errorf("a target that does not run: %v", err)
	}
	w = newNetWorld(t)
	w.RT.Fail(fakert.OpHold, topology.NodeApp, chaostest.ErrDaemon)
	tg, _ = w.Target(t, scenarios.TargetApp)
	f := newPartitionFault(t, scenarios.Params{})
	if _, err := f.Inject(bg, tg); err == nil || !strings.Contains(err.Error(), chaostest.ErrDaemon.Error()) {
		t.Errorf("a Hold that fails: %v", err)
	}
	w.RT.Fail(fakert.OpHold, topology.NodeApp, nil)
	if _, err := f.Revert(bg, tg); err != nil {
		t.Errorf("revert after a Hold that failed: %v", err)
	}
}

func TestDroppedInOut(t *testing.T) {
	in, out := droppedInOut(netkit.ParseRuleCounters([]string{"-A P -s 10.0.0.1/32 -c 7 1 -j DROP", "-A P -d 10.0.0.1/32 -c 3 1 -j DROP"}, "P"))
	if in != 7 || out != 3 {
		t.Errorf("partition counts in %d out %d", in, out)
	}
}
