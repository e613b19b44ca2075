package score

import (
	"errors"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

// goldenCases are whole drills whose Results are pinned byte for byte as
// result.json in testdata (golden_test.go); the renderers' golden tests
// (reports/golden_test.go) render those files.
func goldenCases() map[string]Input {
	cases := map[string]Input{}

	// pass: a clean failover with every phase.
	cases["pass"] = input(ledger(0, 20*sec, failover(8*sec)))

	// fail: writes lost, one fault never injected, a failover error, and
	// the first fault over its RTO objective.
	{
		sc := scenario()
		sc.Timeline.Faults = append(sc.Timeline.Faults,
			scenarios.Fault{At: scenarios.Duration{Duration: 15 * sec}, Action: "pause", Target: "app"})
		ops := ledger(0, 20*sec, failover(11*sec))
		in := input(ops)
		in.Scenario = sc
		in.Events = append(killEvents(),
			firedrill.Event{At: 6550 * ms, Kind: firedrill.EventFailoverError, Detail: "promote pg-replica: timeout after 500ms"},
			firedrill.Event{At: 15 * sec, Kind: firedrill.EventFaultFailed, Target: "app", Detail: "docker pause: container is not running", Injection: "f1"})
		in.ReadBack = readBackAll(ops, func(o firedrill.Op) bool { return o.Sent >= 3800*ms && o.Sent < 5*sec })
		cases["fail"] = in
	}

	// never: the system never recovers, split brain before it gives up.
	{
		ops := ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
			switch {
			case s < 5*sec:
				return firedrill.OutcomeOK, "pg-primary"
			case s >= 6*sec && s < 7*sec:
				if s%(200*ms) == 0 {
					return firedrill.OutcomeOK, "pg-replica"
				}
				return firedrill.OutcomeOK, "pg-primary"
			case s >= 7*sec && s < 8*sec:
				return firedrill.OutcomeIndeterminate, ""
			}
			return firedrill.OutcomeFailed, ""
		})
		in := input(ops)
		in.Scenario.Objectives.LostWrites = nil
		in.FailoverEnabled = false
		in.Events = killEvents()[:2]
		cases["never"] = in
	}

	// overlap: three injections, the second inside the first's outage, the
	// third a pause with a revert; the manager's phase, a resolution time,
	// and failed writes found at read-back.
	{
		sc := scenario()
		sc.Objectives.RTO = d(10 * sec)
		ops := ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
			switch {
			case s >= 12*sec && s < 14*sec:
				return firedrill.OutcomeIndeterminate, ""
			case s >= 14*sec:
				return firedrill.OutcomeOK, "pg-replica"
			}
			return failover(8 * sec)(s)
		})
		in := input(ops)
		in.Scenario = sc
		in.Injections = []firedrill.Injection{
			injection(0, 5*sec, "kill", "postgres.primary"),
			injection(1, 6500*ms, "kill", "postgres.replica"),
			injection(2, 12*sec, "pause", "app"),
		}
		in.Events = append([]firedrill.Event{
			{At: 0, Kind: firedrill.EventDrillStart},
			{At: 0, Span: 730 * ms, Kind: firedrill.EventManagerStart, Detail: "builtin"},
			{At: 4992 * ms, Span: 8 * ms, Kind: firedrill.EventFaultResolved, Injection: "f0", Target: "pg-primary"},
			applied("f0", 5*sec, 40*ms, "pg-primary"),
			applied("f1", 6500*ms, 0, "pg-replica2"),
			{At: 12 * sec, Span: 20 * ms, Kind: firedrill.EventFaultInjected, Injection: "f2", Target: "app", Nodes: []string{"app"},
				Evidence: "container state paused"},
			{At: 14 * sec, Span: 15 * ms, Kind: firedrill.EventFaultReverted, Injection: "f2", Target: "app", Nodes: []string{"app"},
				Evidence: "container state running"},
			{At: 20 * sec, Kind: firedrill.EventDrillEnd},
		}, failoverAt(6500*ms)...)
		in.ReadBack["w-0051"], in.ReadBack["w-0052"] = true, true
		cases["overlap"] = in
	}

	// inconclusive: the read-back failed.
	{
		in := input(ledger(0, 20*sec, failover(8*sec)))
		in.ReadBack, in.ReadBackErr = nil, errors.New("dial tcp 127.0.0.1:55432: connect: connection refused")
		cases["inconclusive"] = in
	}

	// aborted: stopped at 9s by an abort condition, a fault in effect.
	cases["aborted"] = abortedInput()

	// skipped: a monkey injection skipped beside a recovered fault.
	cases["skipped"] = skippedInput()

	// reads: reads beside the writes, the replica serving them killed.
	cases["reads"] = replicaLossInput(0, fromAt(5100*ms, readFailed, onPrimary))

	// withheld: the app cut off from the cluster at 5s until 9s; the
	// manager, watching from the app, withholds its failover and is blind
	// a while. The injection's evidence is too long for the summary.
	{
		ops := ledger(0, 20*sec, func(s time.Duration) (firedrill.Outcome, string) {
			if s >= 5*sec && s < 9*sec {
				return firedrill.OutcomeFailed, ""
			}
			return firedrill.OutcomeOK, "pg-primary"
		})
		in := drill(ops, []firedrill.Injection{injection(0, 5*sec, "partition", "app")},
			firedrill.Event{At: 5 * sec, Span: 40 * ms, Kind: firedrill.EventFaultInjected, Injection: "f0", Target: "app", Nodes: []string{"app"},
				Evidence: "app cut off pg-primary (172.19.0.2), pg-replica1 (172.19.0.3) and minio (172.19.0.4) both ways, 6 rules of chain " +
					"FIREDRILL-PARTITION-0; from inside app before: pg-primary 172.19.0.2:5432 open, pg-replica1 172.19.0.3:5432 open, " +
					"minio 172.19.0.4:9000 open; during: pg-primary 172.19.0.2:5432 no answer in 500ms, pg-replica1 172.19.0.3:5432 no " +
					"answer in 500ms, minio 172.19.0.4:9000 no answer in 500ms"},
			firedrill.Event{At: 6500 * ms, Kind: firedrill.EventFailoverWithheld, Target: "pg-primary",
				Detail: "pg-primary failed 3 health checks in a row from app, but no standby is reachable from there either (pg-replica1: i/o timeout): the clients are cut off or every node is down, and from there the two look alike; no failover"},
			firedrill.Event{At: 7 * sec, Span: 1200 * ms, Kind: firedrill.EventFailoverBlind, Target: "pg-primary",
				Detail: "manager blind from 7s to 8.2s: no health verdict from app (watcher exited) until a new watcher reported; no failover without one"},
			firedrill.Event{At: 9 * sec, Span: 30 * ms, Kind: firedrill.EventFaultReverted, Injection: "f0", Target: "app", Nodes: []string{"app"},
				Evidence: "from inside app after: pg-primary 172.19.0.2:5432 open"},
		)
		in.Scenario.Timeline.Faults[0] = scenarios.Fault{At: scenarios.Duration{Duration: 5 * sec}, Action: "partition", Target: "app"}
		cases["withheld"] = in
	}

	// empty: no write at all.
	{
		in := input(nil)
		in.RunID = ""
		cases["empty"] = in
	}
	return cases
}
