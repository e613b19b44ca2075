package score

import (
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

// A partition's drill as the scorer sees it (docs/measurement.md, "Split
// brain"): the primary is cut off from the app at 5s, the manager promotes
// pg-replica at 7.5s. If the old primary had not been fenced and kept
// acknowledging writes through connections that still reached it (a one-
// way cut, a pool spread over both), two primaries would acknowledge
// writes over the same period. Whatever the managers recorded, that must
// fail the drill; fenced before the promotion, with acks that move once,
// it must not.
func TestSplitBrainOverAPartitionFailsTheDrill(t *testing.T) {
	cut := injection(0, 5*sec, "partition", "postgres.primary")
	// A write every 100ms; from 7.5s the app's pool is spread over both
	// primaries: odd writes go to the old one, even ones to the new one.
	overlapping := ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
		switch {
		case s < 5*sec:
			return firedrill.OutcomeOK, "pg-primary"
		case s < 7600*ms:
			return firedrill.OutcomeIndeterminate, ""
		case (s/(100*ms))%2 == 1:
			return firedrill.OutcomeOK, "pg-primary"
		}
		return firedrill.OutcomeOK, "pg-replica"
	})
	sequential := ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
		switch {
		case s < 5*sec:
			return firedrill.OutcomeOK, "pg-primary"
		case s < 7600*ms:
			return firedrill.OutcomeIndeterminate, ""
		}
		return firedrill.OutcomeOK, "pg-replica"
	})
	failover := []firedrill.Event{applied("f0", 5*sec, 50*ms, "pg-primary"),
		ev(firedrill.EventDetect, 7*sec, "pg-primary"), ev(firedrill.EventFence, 7100*ms, "pg-primary"),
		{At: 7500 * ms, Span: 50 * ms, Kind: firedrill.EventPromote, Target: "pg-replica"}}
	for _, tt := range []struct {
		name   string
		ops    []firedrill.Op
		events []firedrill.Event
		split  bool
	}{
		{name: "fenced, then promoted: acks move once", ops: sequential, events: failover},
		{name: "both primaries ack after the promotion", ops: overlapping, events: failover, split: true},
		// A manager that records nothing (an external one): the
		// interleaved acks alone show it.
		{name: "both ack, no failover event recorded", ops: overlapping,
			events: []firedrill.Event{applied("f0", 5*sec, 50*ms, "pg-primary")}, split: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := drill(tt.ops, []firedrill.Injection{cut}, tt.events...)
			in.Scenario.Objectives.RTO = d(10 * sec)
			in.Scenario.Objectives.LostWrites = nil
			in.Scenario.Objectives.RPO = nil
			in.FailoverEnabled = true
			r := Score(in)
			o := objective(t, r, ObjectiveSplitBrain)
			if r.SplitBrain != tt.split {
				t.Fatalf("split brain %v (%s), want %v", r.SplitBrain, o.Detail, tt.split)
			}
			want := firedrill.VerdictPass
			if tt.split {
				want = firedrill.VerdictFail
			}
			if r.Verdict != want {
				t.Errorf("verdict %s (%v), want %s", r.Verdict, r.Reasons, want)
			}
		})
	}
}
