package netfault

import (
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/chaos/internal/chaostest"
	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func TestParseInterfaces(t *testing.T) {
	// ip -o -4 addr show; ip -4 route show, inside a container on two
	// networks, then cut off both.
	on := parseInterfaces(`1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever preferred_lft forever
39: eth1    inet 172.19.0.3/16 brd 172.19.255.255 scope global eth1\       valid_lft forever preferred_lft forever
41: eth0    inet 172.20.0.5/16 brd 172.20.255.255 scope global eth0\       valid_lft forever preferred_lft forever
routes
default via 172.20.0.1 dev eth0
172.19.0.0/16 dev eth1 proto kernel scope link src 172.19.0.3`)
	if on.String() != "eth0 172.20.0.5/16, eth1 172.19.0.3/16" || len(on.Routes) != 2 {
		t.Errorf("%s; routes %v", on, on.Routes)
	}
	off := parseInterfaces("1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\nroutes\n")
	if len(off.Addrs) != 0 || len(off.Routes) != 0 {
		t.Errorf("cut off: %+v", off)
	}
}

func TestRejoinOrder(t *testing.T) {
	n := &topology.Node{Networks: []string{"west", topology.WAN}}
	if got := rejoinOrder(n, []string{topology.WAN, "extra", "west"}); !slices.Equal(got, []string{"west", topology.WAN, "extra"}) {
		t.Errorf("%v: the home region first, then the WAN, then any other", got)
	}
}

func TestRegionDrop(t *testing.T) {
	w := newNetWorld(t)
	tg, in := w.Target(t, "region.west")
	f := chaostest.NewFault(t, scenarios.ActionRegionDrop, scenarios.Params{})
	ev, err := f.Inject(bg, tg)
	if err != nil {
		t.Fatal(err)
	}
	in.Check(t, fakert.OpDisconnect)
	wantIn(t, "evidence", ev, "pg-replica1 cut off west, wan (it was at wan 10.2.0.2, west 10.1.0.2): from inside, no interface but lo and no route",
		"app cut off west, wan")
	if n := w.RT.Count(fakert.OpDisconnect, ""); n != 4 {
		t.Errorf("%d disconnects, want 4 (two nodes, two networks)", n)
	}
	if nets, _ := w.RT.Networks(bg, topology.NodePrimary); len(nets) != 2 {
		t.Errorf("east was touched: the primary is on %v", nets)
	}

	rtg, rin := w.Target(t, "region.west")
	ev, err = chaostest.AsReverter(t, f).Revert(bg, rtg)
	if err != nil {
		t.Fatal(err)
	}
	rin.Check(t, fakert.OpConnect)
	wantIn(t, "revert evidence", ev, "pg-replica1 back on west, wan at", "from inside: eth0 10.1.0.2/16, eth1 10.2.0.2/16, 2 routes", "app back on west, wan")
	// The home region first, as at the start.
	var order []string
	for _, c := range w.RT.Calls(fakert.OpConnect) {
		if c.Node == topology.NodeApp {
			order = append(order, c.Arg)
		}
	}
	if !slices.Equal(order, []string{"west", topology.WAN}) {
		t.Errorf("the app rejoined %v", order)
	}
	if ev, err := chaostest.AsReverter(t, f).Revert(bg, rtg); err != nil || ev != "nothing left to undo" {
		t.Errorf("a second revert: %q %v", ev, err)
	}
}

// A node the failover manager fenced while its region was dark stays cut
// off: back on its networks it would be a second primary.
func TestRegionDropLeavesAFencedNodeCutOff(t *testing.T) {
	w := newNetWorld(t)
	tg, _ := w.Target(t, "region.east")
	f := chaostest.NewFault(t, scenarios.ActionRegionDrop, scenarios.Params{})
	if _, err := f.Inject(bg, tg); err != nil {
		t.Fatal(err)
	}
	tg.Fences = chaostest.Fences{topology.NodePrimary: "stop"}
	ev, err := chaostest.AsReverter(t, f).Revert(bg, tg)
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, "revert evidence", ev, "pg-primary left cut off: fenced by the failover manager (stop)", "minio back on east, wan")
	if c := w.RT.Count(fakert.OpConnect, topology.NodePrimary); c != 0 {
		t.Errorf("the fenced primary was connected %d times", c)
	}
}

// A disconnect that fails part way: the injection fails, and its revert
// reconnects every network the nodes were on.
func TestRegionDropRevertAfterAPartialInject(t *testing.T) {
	w := newNetWorld(t)
	w.RT.Fail(fakert.OpDisconnect, topology.NodeApp, chaostest.ErrDaemon)
	tg, _ := w.Target(t, "region.west")
	f := chaostest.NewFault(t, scenarios.ActionRegionDrop, scenarios.Params{})
	if _, err := f.Inject(bg, tg); err == nil || !strings.Contains(err.Error(), "cut app off") {
		t.Fatalf("inject: %v", err)
	}
	w.RT.Fail(fakert.OpDisconnect, topology.NodeApp, nil)
	if _, err := chaostest.AsReverter(t, f).Revert(bg, tg); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"pg-replica1", topology.NodeApp} {
		if nets, _ := w.RT.Networks(bg, n); len(nets) != 2 {
			t.Errorf("%s on %v after the revert", n, nets)
		}
	}
}

// A disconnect the platform accepts and does not carry out is seen from
// inside: the injection fails.
func TestRegionDropThatDidNotTakeEffect(t *testing.T) {
	w := newNetWorld(t)
	w.RT.NoEffect(fakert.OpDisconnect, "", true)
	tg, _ := w.Target(t, "region.west")
	_, err := chaostest.NewFault(t, scenarios.ActionRegionDrop, scenarios.Params{}).Inject(bg, tg)
	if err == nil || !strings.Contains(err.Error(), "is still on") {
		t.Errorf("inject: %v", err)
	}
	// A node that does not run is cut off all the same, with nothing to
	// look at from inside.
	w = newNetWorld(t)
	w.RT.Set(topology.NodeApp, platform.State{Status: platform.StatusExited})
	tg, _ = w.Target(t, "region.west")
	ev, err := chaostest.NewFault(t, scenarios.ActionRegionDrop, scenarios.Params{}).Inject(bg, tg)
	if err != nil || !strings.Contains(ev, "app (not running) cut off west, wan") {
		t.Errorf("%q %v", ev, err)
	}
}
