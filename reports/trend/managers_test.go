package trend

import (
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/aggregate"
)

func TestWriteManagerTable(t *testing.T) {
	ms := func(f float64) *float64 { return &f }
	zero, two := 0, 2
	res := func(manager string, rto float64, phases map[string]float64, lost *int, splitBrain bool) firedrill.Result {
		return firedrill.Result{Scenario: "primary-kill", Manager: manager, Verdict: firedrill.VerdictPass, SplitBrain: splitBrain,
			Faults: []firedrill.FaultResult{{Recovery: firedrill.RecoveryRecovered, RTOMS: ms(rto), Phases: phases}},
			RPOMS:  ms(0), Writes: firedrill.WriteStats{Lost: lost}}
	}
	builtin := map[string]float64{firedrill.PhaseDetect: 2000, firedrill.PhasePromote: 2500, firedrill.PhaseFirstWrite: 3000, firedrill.PhaseFullRedundancy: 9000}
	results := []firedrill.Result{
		res("builtin", 3000, builtin, &zero, false),
		res("builtin", 4000, builtin, &zero, false),
		res("none", 60000, nil, &two, true),
	}
	var b strings.Builder
	if err := WriteManagerTable(&b, aggregate.Summarise(results)); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	t.Log("\n" + got)
	lines := strings.Split(got, "\n")
	if !strings.HasPrefix(lines[0], "scenario      manager  runs") || !strings.Contains(lines[0], "split brain  full redundancy p50") {
		t.Errorf("heading %q", lines[0])
	}
	for i, want := range []string{
		"primary-kill  builtin  2 runs: 2 pass  3s       4s       detect 2s · promote 2.5s · first write 3s  0         0 of 2       9s                   9s",
		"primary-kill  none     1 run: 1 pass   1m00s    1m00s    -                                          2         1 of 1       not measured         not measured",
	} {
		if strings.TrimRight(lines[i+1], " ") != want {
			t.Errorf("row %d\n got %q\nwant %q", i+1, lines[i+1], want)
		}
	}
}
