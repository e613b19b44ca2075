package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// goldenCases are whole drills whose renderings are pinned byte for byte.
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

	// empty: no write at all.
	{
		in := input(nil)
		in.RunID = ""
		cases["empty"] = in
	}
	return cases
}

func TestGoldenTerminal(t *testing.T) {
	for name, in := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			r := Score(in)
			var buf bytes.Buffer
			if err := WriteTerminal(&buf, r, TerminalOptions{}); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt.golden", buf.Bytes())
			for i, line := range bytes.Split(buf.Bytes(), []byte("\n")) {
				if n := len([]rune(string(line))); n > termWidth {
					t.Errorf("line %d is %d columns: %s", i+1, n, line)
				}
			}
			if bytes.Contains(buf.Bytes(), []byte("\x1b[")) {
				t.Error("ANSI escapes without Color")
			}
		})
	}
	t.Run("color", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteTerminal(&buf, Score(goldenCases()["fail"]), TerminalOptions{Color: true}); err != nil {
			t.Fatal(err)
		}
		golden(t, "fail-color.txt.golden", buf.Bytes())
	})
}

func TestGoldenJSON(t *testing.T) {
	for _, name := range []string{"pass", "fail", "inconclusive", "overlap"} {
		t.Run(name, func(t *testing.T) {
			r := Score(goldenCases()[name])
			var buf bytes.Buffer
			if err := WriteJSON(&buf, r); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".json.golden", buf.Bytes())

			// result.json reads back into the same Result (events lose
			// their At, which is json:"-").
			var back firedrill.Result
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			for i := range r.Events {
				r.Events[i].At = 0
			}
			a, _ := json.Marshal(r)
			b, _ := json.Marshal(back)
			if !bytes.Equal(a, b) {
				t.Errorf("round trip differs:\n%s\n%s", a, b)
			}
		})
	}
}

func TestWriteJSONCapsLostIDs(t *testing.T) {
	n := 1500
	r := firedrill.Result{Writes: firedrill.WriteStats{Lost: &n, LostIDs: make([]string, n)}}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var back firedrill.Result
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if *back.Writes.Lost != 1500 || len(back.Writes.LostIDs) != MaxLostIDs || len(r.Writes.LostIDs) != 1500 {
		t.Errorf("lost %d, %d ids written, caller's slice %d", *back.Writes.Lost, len(back.Writes.LostIDs), len(r.Writes.LostIDs))
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"objectives": []`)) || !bytes.Contains(buf.Bytes(), []byte(`"events": []`)) {
		t.Errorf("nil lists must be written as []:\n%s", buf.Bytes())
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./reports -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
