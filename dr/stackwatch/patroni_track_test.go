package stackwatch

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

const ms = time.Millisecond

var (
	primaryUp   = memberStatus{Role: "master", State: "running", Timeline: 1}
	replicaUp   = memberStatus{Role: "replica", State: "running", Timeline: 1}
	unreachable = memberStatus{Err: errors.New("connection refused")}
)

func key(holder string, rev int64) keyReading {
	return keyReading{Value: holder, ModRevision: rev, Revision: rev, Member: "etcd-east"}
}

// at is a poll whose reads took no time.
func at(d time.Duration) poll { return poll{d, d} }

func kinds(evs []firedrill.Event) []firedrill.EventKind {
	var out []firedrill.EventKind
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

// A killed leader: its key expires (detect), the replica takes it and
// becomes primary (promote, from the key taken to primary).
func TestPatroniTrackerKilledLeader(t *testing.T) {
	tr := newPatroniTracker("pg-primary", 30*time.Second, 0)
	steady := map[string]memberStatus{"pg-primary": primaryUp, "pg-replica1": replicaUp}
	if evs := tr.observe(at(100*ms), key("pg-primary", 5), nil, steady); len(evs) != 0 {
		t.Fatalf("steady: %v", kinds(evs))
	}
	killed := map[string]memberStatus{"pg-primary": unreachable, "pg-replica1": replicaUp}
	if evs := tr.observe(at(200*ms), key("pg-primary", 5), nil, killed); len(evs) != 0 {
		t.Fatalf("killed, key still held: %v (a leader unreachable is not a detection: the key decides)", kinds(evs))
	}
	evs := tr.observe(at(30*time.Second), key("", 7), nil, killed)
	// Seen gone at the poll of 30s, held at the one of 200ms: it expired
	// in between, and the event is that window, never a later instant.
	if len(evs) != 1 || evs[0].Kind != firedrill.EventDetect || evs[0].Target != "pg-primary" || evs[0].At != 200*ms || evs[0].At+evs[0].Span != 30*time.Second {
		t.Fatalf("key gone: %+v", evs)
	}
	if evs := tr.observe(at(30100*ms), key("", 7), nil, killed); len(evs) != 0 {
		t.Fatalf("key still gone: %v, want the detection once", kinds(evs))
	}
	tr.observe(at(39900*ms), key("", 7), nil, killed)
	if evs := tr.observe(at(40*time.Second), key("pg-replica1", 8), nil, killed); len(evs) != 0 {
		t.Fatalf("key taken, Postgres not primary yet: %v", kinds(evs))
	}
	promoted := map[string]memberStatus{"pg-primary": unreachable, "pg-replica1": {Role: "master", State: "running", Timeline: 2}}
	evs = tr.observe(at(41500*ms), key("pg-replica1", 9), nil, promoted)
	if len(evs) != 1 || evs[0].Kind != firedrill.EventPromote {
		t.Fatalf("promoted: %+v", evs)
	}
	p := evs[0]
	if p.Target != "pg-replica1" || p.At != 39900*ms || p.Span != 1600*ms {
		t.Errorf("promote %s at %s for %s, want pg-replica1 from the poll before the key was seen taken (39.9s) to 41.5s", p.Target, p.At, p.Span)
	}
	if !strings.Contains(p.Evidence, "revision 8") || !strings.Contains(p.Evidence, "timeline 2") {
		t.Errorf("evidence %q lacks etcd's revision or the new timeline", p.Evidence)
	}
	if evs := tr.finish(50 * time.Second); len(evs) != 0 {
		t.Errorf("finish: %v", kinds(evs))
	}
}

// A leader cut off etcd demotes itself; the harness still reaches it, and
// sees it. A replica that takes the key at once is detected in the same
// poll.
func TestPatroniTrackerDemotionAndTakeover(t *testing.T) {
	tr := newPatroniTracker("pg-primary", 10*time.Second, 0)
	tr.observe(at(0), key("pg-primary", 5), nil, map[string]memberStatus{"pg-primary": primaryUp, "pg-replica1": replicaUp})
	evs := tr.observe(at(9*time.Second), key("pg-replica1", 9), nil,
		map[string]memberStatus{"pg-primary": {Role: "demoted", State: "stopped", Timeline: 1}, "pg-replica1": replicaUp})
	got := kinds(evs)
	if len(got) != 2 || got[0] != firedrill.EventDetect || got[1] != firedrill.EventDemote {
		t.Fatalf("takeover and demotion: %v", got)
	}
	if !strings.Contains(evs[0].Detail, "pg-replica1 took the leader key from pg-primary") || evs[1].Target != "pg-primary" {
		t.Errorf("events %+v", evs)
	}
}

// A leader that takes its own key again after it expired, still primary,
// was not failed over: a detection, no promotion.
func TestPatroniTrackerLeaderKeepsTheLead(t *testing.T) {
	tr := newPatroniTracker("pg-primary", 10*time.Second, 0)
	up := map[string]memberStatus{"pg-primary": primaryUp, "pg-replica1": replicaUp}
	tr.observe(at(0), key("pg-primary", 5), nil, up)
	tr.observe(at(10*time.Second), key("", 6), nil, up)
	if evs := tr.observe(at(11*time.Second), key("pg-primary", 7), nil, up); len(evs) != 0 {
		t.Fatalf("lead kept: %v", kinds(evs))
	}
	if evs := tr.finish(20 * time.Second); len(evs) != 0 {
		t.Errorf("finish: %v, want no promotion pending", kinds(evs))
	}
}

// No etcd member answers for a while: a blind period, from the first
// failed poll to the first that answered.
func TestPatroniTrackerBlind(t *testing.T) {
	tr := newPatroniTracker("pg-primary", 10*time.Second, 0)
	up := map[string]memberStatus{"pg-primary": primaryUp}
	tr.observe(at(0), key("pg-primary", 5), nil, up)
	tr.observe(at(1*time.Second), keyReading{}, errors.New("etcd-east: timeout"), up)
	tr.observe(at(2*time.Second), keyReading{}, errors.New("etcd-east: timeout"), up)
	evs := tr.observe(at(3*time.Second), key("pg-primary", 6), nil, up)
	if len(evs) != 1 || evs[0].Kind != firedrill.EventFailoverBlind || evs[0].At != time.Second || evs[0].Span != 2*time.Second ||
		!strings.Contains(evs[0].Detail, "etcd-east: timeout") {
		t.Fatalf("blind: %+v", evs)
	}
}

// A promotion that never completes is an error at the end, not a
// promotion.
func TestPatroniTrackerUnfinishedPromotion(t *testing.T) {
	tr := newPatroniTracker("pg-primary", 10*time.Second, 0)
	tr.observe(at(0), key("pg-primary", 5), nil, map[string]memberStatus{"pg-primary": primaryUp, "pg-replica1": replicaUp})
	tr.observe(at(10*time.Second), key("pg-replica1", 8), nil, map[string]memberStatus{"pg-primary": unreachable, "pg-replica1": replicaUp})
	evs := tr.finish(20 * time.Second)
	if len(evs) != 1 || evs[0].Kind != firedrill.EventFailoverError || evs[0].Target != "pg-replica1" {
		t.Fatalf("finish: %+v", evs)
	}
}
