package stackwatch

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

var eventID int64

// mev is a monitor event as pg_auto_failover 2.0 writes them.
func mev(node, reported, goal, description string) monitorEvent {
	eventID++
	return monitorEvent{ID: eventID, Time: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), Node: node, Reported: reported, Goal: goal, Description: description}
}

// The primary killed: the monitor marks it unhealthy and drains it (its
// keeper is gone, so it reports nothing), gives the secondary its
// promotion goals, and the secondary's keeper reports wait_primary.
func TestPgafTrackerKilledPrimary(t *testing.T) {
	tr := newPgafTracker("pg-primary", 0)
	if evs := tr.observe(at(100*ms), nil, nil); len(evs) != 0 {
		t.Fatalf("quiet: %v", kinds(evs))
	}
	evs := tr.observe(at(20*time.Second), []monitorEvent{
		mev("pg-primary", "primary", "draining", `Setting goal state of node 1 "pg-primary" (pg-primary:5432) to draining after it became unhealthy.`),
		mev("pg-replica1", "secondary", "prepare_promotion", `Setting goal state of node 2 "pg-replica1" (pg-replica1:5432) to prepare_promotion after node 1 "pg-primary" (pg-primary:5432) became unhealthy.`),
	}, nil)
	if len(evs) != 1 || evs[0].Kind != firedrill.EventDetect || evs[0].Target != "pg-primary" || evs[0].At != 100*ms ||
		!strings.Contains(evs[0].Detail, "became unhealthy") || !strings.Contains(evs[0].Evidence, "monitor event") {
		t.Fatalf("detection: %+v", evs)
	}
	if evs := tr.observe(at(20100*ms), []monitorEvent{
		mev("pg-replica1", "prepare_promotion", "stop_replication", `Setting goal state of node 2 "pg-replica1" to stop_replication`),
	}, nil); len(evs) != 0 {
		t.Fatalf("promotion under way: %v", kinds(evs))
	}
	evs = tr.observe(at(21*time.Second), []monitorEvent{
		mev("pg-replica1", "wait_primary", "wait_primary", `New state is reported by node 2 "pg-replica1" (pg-replica1:5432): "wait_primary"`),
	}, nil)
	if len(evs) != 1 || evs[0].Kind != firedrill.EventPromote || evs[0].Target != "pg-replica1" {
		t.Fatalf("promotion: %+v", evs)
	}
	// From the poll before the promotion goal was seen (100ms) to the one
	// that saw the keeper report wait_primary (21s).
	if p := evs[0]; p.At != 100*ms || p.At+p.Span != 21*time.Second || !strings.Contains(p.Evidence, "prepare_promotion") {
		t.Errorf("promote %+v", p)
	}
	if evs := tr.finish(30 * time.Second); len(evs) != 0 {
		t.Errorf("finish: %v", kinds(evs))
	}
}

// A primary whose keeper runs reports its demotion; a blind spell is
// recorded when the monitor answers again.
func TestPgafTrackerDemotionAndBlind(t *testing.T) {
	tr := newPgafTracker("pg-primary", 0)
	tr.observe(at(1*time.Second), []monitorEvent{
		mev("pg-primary", "primary", "draining", `Setting goal state of node 1 "pg-primary" to draining after it became unhealthy.`),
	}, nil)
	tr.observe(at(2*time.Second), nil, errors.New("connection refused"))
	evs := tr.observe(at(3*time.Second), []monitorEvent{
		mev("pg-primary", "draining", "draining", `New state is reported by node 1 "pg-primary": "draining"`),
	}, nil)
	got := kinds(evs)
	if len(got) != 2 || got[0] != firedrill.EventFailoverBlind || got[1] != firedrill.EventDemote {
		t.Fatalf("events %v, want blind then demote", got)
	}
	if evs[0].At != 2*time.Second || evs[0].Span != time.Second || evs[1].Target != "pg-primary" {
		t.Errorf("events %+v", evs)
	}
	// Demoted once: its next states are not demotions again.
	if evs := tr.observe(at(4*time.Second), []monitorEvent{mev("pg-primary", "demoted", "demoted", "New state is reported: demoted")}, nil); len(evs) != 0 {
		t.Errorf("again: %v", kinds(evs))
	}
}

// A promotion the keeper never completes is an error at the end.
func TestPgafTrackerUnfinishedPromotion(t *testing.T) {
	tr := newPgafTracker("pg-primary", 0)
	tr.observe(at(time.Second), []monitorEvent{
		mev("pg-replica1", "secondary", "prepare_promotion", `Setting goal state of node 2 "pg-replica1" to prepare_promotion after node 1 became unhealthy.`),
	}, nil)
	evs := tr.finish(10 * time.Second)
	if len(evs) != 1 || evs[0].Kind != firedrill.EventFailoverError || evs[0].Target != "pg-replica1" {
		t.Fatalf("finish: %+v", evs)
	}
}
