package stackwatch

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/firedrill/firedrill"
)

// memberStatus is what one Patroni member's REST API (GET /patroni) says
// of it, or why it could not be read.
type memberStatus struct {
	Role, State string
	Timeline    int
	Err         error
}

// primary says whether the member runs a primary: Patroni 3.0 says
// "master" (later versions "primary"), and "running" once Postgres is up.
func (s memberStatus) primary() bool {
	return s.Err == nil && (s.Role == "master" || s.Role == "primary") && s.State == "running"
}

func (s memberStatus) String() string {
	if s.Err != nil {
		return "unreachable"
	}
	return fmt.Sprintf("role %s, state %s, timeline %d", s.Role, s.State, s.Timeline)
}

// promotion is a node a stack began promoting (a Patroni member took the
// leader key, pg_auto_failover's monitor gave it a promotion goal) that is
// not primary yet.
type promotion struct {
	node, from string
	at         time.Duration
	key        keyReading // Patroni's: the key's reading when it was seen taken
	evidence   string     // pg_auto_failover's: the monitor's event that began it
}

// patroniTracker turns the successive readings of Patroni's leader key
// and of its members' REST APIs into the stack's events. It is pure: the
// watcher reads, the tracker judges (docs/measurement.md, "The HA stacks'
// events").
//
//   - failover.detect: the leader key is gone, or held by another member,
//     for the first time since the leader took it: Patroni's detection is
//     the key's expiry, ttl after the leader last renewed it.
//   - failover.promote: from the poll before a member was first seen
//     holding the key to the end of the poll its REST API first reports
//     it primary (Span).
//   - failover.demote: a member that was primary reports otherwise (seen
//     only while it is reachable: a killed one is not demoted, it is gone).
//   - failover.blind: the polls in which no etcd member answered.
type patroniTracker struct {
	ttl time.Duration
	// since is the start of the previous poll: a change first seen in a
	// poll happened after it, and by the end of that poll's reads, so an
	// event's At is since and its At+Span the poll's end (a window, never
	// an instant later than the change).
	since      time.Duration
	leader     string // the key's holder last seen
	detected   bool   // the current leader's loss was recorded
	promoting  *promotion
	blindSince time.Duration
	blind      bool
	blindErr   error
	last       map[string]memberStatus // each member's last status read
}

func newPatroniTracker(leader string, ttl, start time.Duration) *patroniTracker {
	return &patroniTracker{leader: leader, ttl: ttl, since: start, last: map[string]memberStatus{}}
}

// poll is when one poll's reads began and ended.
type poll struct{ start, end time.Duration }

// observe takes one poll: the key's reading (or why none of etcd's
// members answered) and every member's status, and returns the events it
// makes.
func (t *patroniTracker) observe(pl poll, key keyReading, keyErr error, members map[string]memberStatus) []firedrill.Event {
	var out []firedrill.Event
	defer func() { t.since = pl.start }()
	if keyErr != nil {
		if !t.blind {
			t.blind, t.blindSince = true, pl.start
		}
		t.blindErr = keyErr
	} else {
		if t.blind {
			out = append(out, t.endBlind(pl.start))
		}
		out = append(out, t.leaderKey(pl, key, members)...)
	}
	if p := t.promoting; p != nil && members[p.node].primary() {
		out = append(out, firedrill.Event{At: p.at, Span: pl.end - p.at, Kind: firedrill.EventPromote, Target: p.node,
			Detail:   fmt.Sprintf("patroni promoted %s: it took the leader key from %s, and its REST API reports it primary", p.node, p.from),
			Evidence: fmt.Sprintf("etcd %s: leader key %s at revision %d; %s's REST API: %s", p.key.Member, p.node, p.key.ModRevision, p.node, members[p.node])})
		t.promoting = nil
	}
	for _, m := range slices.Sorted(maps.Keys(members)) {
		st := members[m]
		if st.Err != nil {
			continue
		}
		if was, ok := t.last[m]; ok && was.primary() && !st.primary() {
			out = append(out, firedrill.Event{At: t.since, Span: pl.end - t.since, Kind: firedrill.EventDemote, Target: m,
				Detail:   fmt.Sprintf("patroni demoted %s: its Postgres is no longer a running primary (its REST API reports %s)", m, st),
				Evidence: fmt.Sprintf("%s's REST API before: %s; now: %s", m, was, st)})
		}
		t.last[m] = st
	}
	return out
}

// leaderKey judges a reading of the key.
func (t *patroniTracker) leaderKey(pl poll, key keyReading, members map[string]memberStatus) []firedrill.Event {
	var out []firedrill.Event
	seen := func(e firedrill.Event) firedrill.Event { e.At, e.Span = t.since, pl.end-t.since; return e }
	holder := key.Value
	switch {
	case holder == t.leader:
		if t.detected {
			// The leader took its key again after it expired: no failover,
			// unless Patroni had demoted it meanwhile.
			t.detected = false
			if !t.last[holder].primary() {
				t.promoting = &promotion{node: holder, from: holder, at: t.since, key: key}
			}
		}
	case holder == "":
		if !t.detected {
			t.detected = true
			out = append(out, seen(firedrill.Event{Kind: firedrill.EventDetect, Target: t.leader,
				Detail:   fmt.Sprintf("patroni: the leader key of %s is gone (it expires %s after the leader's last renewal): no leader", t.leader, t.ttl),
				Evidence: fmt.Sprintf("etcd %s: no leader key at revision %d", key.Member, key.Revision)}))
		}
	default:
		if !t.detected {
			out = append(out, seen(firedrill.Event{Kind: firedrill.EventDetect, Target: t.leader,
				Detail:   fmt.Sprintf("patroni: %s took the leader key from %s", holder, t.leader),
				Evidence: fmt.Sprintf("etcd %s: leader key %s at revision %d", key.Member, holder, key.ModRevision)}))
		}
		if p := t.promoting; p != nil {
			out = append(out, seen(firedrill.Event{Kind: firedrill.EventFailoverError, Target: p.node,
				Detail: fmt.Sprintf("patroni: %s took the leader key but lost it to %s before its Postgres was primary", p.node, holder)}))
		}
		t.promoting = &promotion{node: holder, from: t.leader, at: t.since, key: key}
		t.leader, t.detected = holder, false
		if members[holder].primary() && t.last[holder].primary() {
			t.promoting = nil // it was primary already: nothing was promoted
		}
	}
	return out
}

func (t *patroniTracker) endBlind(now time.Duration) firedrill.Event {
	t.blind = false
	return firedrill.Event{At: t.blindSince, Span: now - t.blindSince, Kind: firedrill.EventFailoverBlind, Target: t.leader,
		Detail: fmt.Sprintf("patroni: the harness could not read the leader key from any etcd member: %v", t.blindErr)}
}

// finish closes what is open at the end of the watch: a blind spell, a
// promotion that never completed.
func (t *patroniTracker) finish(now time.Duration) []firedrill.Event {
	var out []firedrill.Event
	if t.blind {
		out = append(out, t.endBlind(now))
	}
	if p := t.promoting; p != nil {
		out = append(out, firedrill.Event{At: now, Kind: firedrill.EventFailoverError, Target: p.node,
			Detail: fmt.Sprintf("patroni: %s has held the leader key since %s but its Postgres was not primary by the end of the watch",
				p.node, p.at.Round(time.Millisecond))})
		t.promoting = nil
	}
	return out
}
