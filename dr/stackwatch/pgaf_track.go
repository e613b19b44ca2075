package stackwatch

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
)

// monitorEvent is one row of pg_auto_failover's pgautofailover.event: the
// monitor's own record of each state change it decided or a keeper
// reported, with the monitor's timestamp.
type monitorEvent struct {
	ID          int64
	Time        time.Time
	Node        string
	Reported    string // the keeper's reported state
	Goal        string // the state the monitor assigned
	Description string
}

func (e monitorEvent) evidence() string {
	return fmt.Sprintf("monitor event %d at %s: %s", e.ID, e.Time.UTC().Format("15:04:05.000"), e.Description)
}

// pgaf's states (pg_auto_failover's replication_state) that matter here.
var (
	// promotionGoals are the goals the monitor gives the standby it fails
	// over to.
	promotionGoals = []string{"prepare_promotion", "stop_replication", "wait_primary", "primary"}
	// writable are the states of a node that accepts writes: its
	// promotion is done once it reports one.
	writable = []string{"wait_primary", "primary", "single"}
	// demoted are the states a primary's keeper reports once it gave up
	// the lead.
	demoted = []string{"draining", "demote_timeout", "demoted", "catchingup", "secondary"}
)

// pgafTracker turns the monitor's events, read poll after poll, into the
// stack's events (docs/measurement.md, "The HA stacks' events"). Pure: the
// watcher reads, the tracker judges.
//
//   - failover.detect: the first event that marks the primary unhealthy or
//     gives another node a promotion goal.
//   - failover.promote: from the poll before the monitor was seen giving a
//     node a promotion goal to the end of the poll that saw its keeper
//     report a writable state.
//   - failover.demote: the old primary's keeper reports it gave the lead
//     up (seen only if that keeper runs: a killed one reports nothing).
//   - failover.blind: the polls at which the monitor did not answer.
type pgafTracker struct {
	primary    string
	detected   bool
	promoting  *promotion
	since      time.Duration
	blind      bool
	blindSince time.Duration
	blindErr   error
	demotedOld map[string]bool
}

func newPgafTracker(primary string, start time.Duration) *pgafTracker {
	return &pgafTracker{primary: primary, since: start, demotedOld: map[string]bool{}}
}

// observe takes one poll: the events new since the last one, or why the
// monitor could not be read.
func (t *pgafTracker) observe(pl poll, events []monitorEvent, readErr error) []firedrill.Event {
	defer func() { t.since = pl.start }()
	var out []firedrill.Event
	if readErr != nil {
		if !t.blind {
			t.blind, t.blindSince = true, pl.start
		}
		t.blindErr = readErr
		return nil
	}
	if t.blind {
		t.blind = false
		out = append(out, firedrill.Event{At: t.blindSince, Span: pl.start - t.blindSince, Kind: firedrill.EventFailoverBlind, Target: t.primary,
			Detail: fmt.Sprintf("pg_auto_failover: the harness could not read the monitor's events: %v", t.blindErr)})
	}
	seen := func(e firedrill.Event) firedrill.Event { e.At, e.Span = t.since, pl.end-t.since; return e }
	for _, ev := range events {
		unhealthy := ev.Node == t.primary && strings.Contains(ev.Description, "unhealthy")
		promoting := ev.Node != t.primary && slices.Contains(promotionGoals, ev.Goal) && !slices.Contains(writable, ev.Reported)
		if !t.detected && (unhealthy || promoting) {
			t.detected = true
			if _, ok := t.demotedOld[t.primary]; !ok {
				t.demotedOld[t.primary] = false // its keeper's demotion is watched for from now on
			}
			out = append(out, seen(firedrill.Event{Kind: firedrill.EventDetect, Target: t.primary,
				Detail: "pg_auto_failover: " + ev.Description, Evidence: ev.evidence()}))
		}
		if promoting && (t.promoting == nil || t.promoting.node != ev.Node) {
			t.promoting = &promotion{node: ev.Node, from: t.primary, at: t.since, evidence: ev.evidence()}
		}
		if p := t.promoting; p != nil && ev.Node == p.node && slices.Contains(writable, ev.Reported) {
			out = append(out, firedrill.Event{At: p.at, Span: pl.end - p.at, Kind: firedrill.EventPromote, Target: p.node,
				Detail:   fmt.Sprintf("pg_auto_failover promoted %s (%s was primary): %s", p.node, p.from, ev.Description),
				Evidence: p.evidence + "; " + ev.evidence()})
			t.primary, t.promoting, t.detected = p.node, nil, false
			if _, ok := t.demotedOld[p.from]; !ok {
				t.demotedOld[p.from] = false
			}
		}
		if old, ok := t.demotedOld[ev.Node]; ok && !old && slices.Contains(demoted, ev.Reported) {
			t.demotedOld[ev.Node] = true
			out = append(out, seen(firedrill.Event{Kind: firedrill.EventDemote, Target: ev.Node,
				Detail: fmt.Sprintf("pg_auto_failover demoted %s: its keeper reports %s: %s", ev.Node, ev.Reported, ev.Description), Evidence: ev.evidence()}))
		}
	}
	return out
}

// finish closes what is open at the end of the watch.
func (t *pgafTracker) finish(now time.Duration) []firedrill.Event {
	var out []firedrill.Event
	if t.blind {
		t.blind = false
		out = append(out, firedrill.Event{At: t.blindSince, Span: now - t.blindSince, Kind: firedrill.EventFailoverBlind, Target: t.primary,
			Detail: fmt.Sprintf("pg_auto_failover: the harness could not read the monitor's events: %v", t.blindErr)})
	}
	if p := t.promoting; p != nil {
		out = append(out, firedrill.Event{At: now, Kind: firedrill.EventFailoverError, Target: p.node,
			Detail: fmt.Sprintf("pg_auto_failover: the monitor began promoting %s at %s but its keeper had not reported it writable by the end of the watch",
				p.node, p.at.Round(time.Millisecond)), Evidence: p.evidence})
		t.promoting = nil
	}
	return out
}
