//go:build integration

package main

import (
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
)

// stackPromotion checks the drill recovered and that the stack's own
// promotion is on the timeline, charged to the fault: the one promote
// event, the manager's words, the promoted node's evidence. It returns
// the promotion.
func stackPromotion(t *testing.T, res firedrill.Result, manager string) firedrill.Event {
	t.Helper()
	if res.Manager != manager {
		t.Errorf("manager %q, want %q", res.Manager, manager)
	}
	if len(res.Faults) != 1 || res.Faults[0].RTOMS == nil {
		t.Fatalf("faults %+v, want one recovered fault", res.Faults)
	}
	if w := eventsOf(res, firedrill.EventStackWatch); len(w) != 1 || !strings.HasPrefix(w[0].Detail, manager+" watched") {
		t.Errorf("watch events %+v, want one of %s", w, manager)
	}
	promotes := eventsOf(res, firedrill.EventPromote)
	if len(promotes) != 1 || !strings.HasPrefix(promotes[0].Detail, manager+" promoted") || promotes[0].Evidence == "" {
		t.Fatalf("promote events %+v, want the stack's one promotion with its evidence", promotes)
	}
	if promotes[0].Injection != res.Faults[0].ID {
		t.Errorf("the promotion is charged to %q, want %s", promotes[0].Injection, res.Faults[0].ID)
	}
	for _, p := range []string{firedrill.PhaseDetect, firedrill.PhasePromote, firedrill.PhaseFirstWrite} {
		if _, ok := res.Faults[0].Phases[p]; !ok {
			t.Errorf("phase %s missing: %v", p, res.Faults[0].Phases)
		}
	}
	if _, ok := res.Faults[0].Phases[firedrill.PhaseFence]; ok {
		t.Errorf("a fence phase under %s, which does not fence: %v", manager, res.Faults[0].Phases)
	}
	return promotes[0]
}

// Patroni (tuned: ttl 10s, loop_wait 1s) fails the killed primary over by
// itself: its leader key expires, the replica takes it and is promoted;
// the harness only watched.
func TestIntegrationPatroniPrimaryKill(t *testing.T) {
	_, res := runPassing(t, "run", "testdata/drills/patroni-primary-kill.yaml")
	p := stackPromotion(t, res, "patroni")
	if p.Target != "pg-replica1" || !strings.Contains(p.Evidence, "timeline 2") || !strings.Contains(p.Evidence, "Patroni's history") {
		t.Errorf("promotion %+v: want pg-replica1 on timeline 2, with Patroni's history", p)
	}
	detects := eventsOf(res, firedrill.EventDetect)
	if len(detects) != 1 || detects[0].Target != "pg-primary" || detects[0].At > p.At {
		t.Errorf("detect %+v: want the leader key of pg-primary gone, before the promotion at %s", detects, p.At)
	}
	if res.ReadFrom != "pg-replica1" || res.SplitBrain {
		t.Errorf("read from %q, split brain %v", res.ReadFrom, res.SplitBrain)
	}
	t.Logf("RTO %.0f ms, phases %v", *res.Faults[0].RTOMS, res.Faults[0].Phases)
}

// The primary's region cut off the two others under Patroni, etcd one
// member per region: the primary's member loses its quorum, the primary
// cannot renew its key and demotes itself, a replica elsewhere takes over.
// No two primaries acknowledge writes over the same period, and the
// result names the winner.
func TestIntegrationPatroniRegionPartition(t *testing.T) {
	d, res := runPassing(t, "run", "testdata/drills/patroni-region-partition.yaml")
	if ev := res.Faults[0].Evidence; !strings.Contains(ev, "etcd-west") || !strings.Contains(ev, "etcd-south") {
		t.Errorf("evidence %q: the other regions' etcd members are not on the other side", ev)
	}
	p := stackPromotion(t, res, "patroni")
	winner := p.Target
	if winner != "pg-replica1" && winner != "pg-replica2" {
		t.Fatalf("promoted %q, want a replica outside east", winner)
	}
	// Patroni demotes the cut-off leader once it cannot renew its key;
	// when, against the promotion elsewhere, is Patroni's (seen both
	// before and, by a fraction of a second, after it): what the clients
	// must never see is two primaries acknowledging, checked below.
	demotes := eventsOf(res, firedrill.EventDemote)
	if len(demotes) == 0 || demotes[0].Target != "pg-primary" {
		t.Errorf("demotions %+v: want pg-primary's", demotes)
	} else {
		t.Logf("pg-primary demoted at %s, %s promoted from %s", demotes[0].At, winner, p.At)
	}
	assertOnePrimaryAtATime(t, readLedger(t, d.out), "pg-primary", winner)
	var split firedrill.ObjectiveResult
	for _, o := range res.Objectives {
		if o.Name == "split_brain" {
			split = o
		}
	}
	if res.SplitBrain || !split.Met || !strings.Contains(split.Detail, "pg-primary → "+winner) || res.ReadFrom != winner {
		t.Errorf("split brain %v, objective %+v, read from %q: want none, the acks moved to %s", res.SplitBrain, split, res.ReadFrom, winner)
	}
	// Once the cut heals Patroni rewinds the old primary and rejoins it
	// as a standby: both standbys stream from the winner again.
	if _, ok := res.Faults[0].Phases[firedrill.PhaseFullRedundancy]; !ok {
		t.Errorf("no %s phase: %v", firedrill.PhaseFullRedundancy, res.Faults[0].Phases)
	}
	t.Logf("RTO %.0f ms, phases %v, winner %s", *res.Faults[0].RTOMS, res.Faults[0].Phases, winner)
}

// pg_auto_failover (its monitor's health checks tuned to a second) fails
// the killed primary over by itself: the monitor marks it unhealthy and
// drives the secondary to wait_primary; the harness only read its events.
func TestIntegrationPgAutoFailoverPrimaryKill(t *testing.T) {
	_, res := runPassing(t, "run", "testdata/drills/pgaf-primary-kill.yaml")
	p := stackPromotion(t, res, "pg_auto_failover")
	if p.Target != "pg-replica1" || !strings.Contains(p.Evidence, "monitor event") || !strings.Contains(p.Detail, "wait_primary") {
		t.Errorf("promotion %+v: want pg-replica1, the monitor's events as evidence", p)
	}
	detects := eventsOf(res, firedrill.EventDetect)
	if len(detects) != 1 || detects[0].Target != "pg-primary" || detects[0].At > p.At+p.Span {
		t.Errorf("detect %+v: want the monitor's verdict on pg-primary, by the promotion", detects)
	}
	if res.ReadFrom != "pg-replica1" || res.SplitBrain {
		t.Errorf("read from %q, split brain %v", res.ReadFrom, res.SplitBrain)
	}
	t.Logf("RTO %.0f ms, phases %v", *res.Faults[0].RTOMS, res.Faults[0].Phases)
}
