package trend

import (
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/aggregate"
)

func TestWriteTable(t *testing.T) {
	ms := func(f float64) *float64 { return &f }
	zero := 0
	res := func(at int, f firedrill.FaultResult, v firedrill.Verdict) firedrill.Result {
		return firedrill.Result{Scenario: "primary-kill", RunID: "run" + string(rune('0'+at)), StartedAt: time.Date(2026, 5, 1, 10, at, 0, 0, time.UTC),
			Verdict: v, Faults: []firedrill.FaultResult{f}, RPOMS: ms(0), Writes: firedrill.WriteStats{Lost: &zero}}
	}
	rec := func(v float64) firedrill.FaultResult {
		return firedrill.FaultResult{Recovery: firedrill.RecoveryRecovered, RTOMS: ms(v)}
	}
	results := []firedrill.Result{
		res(2, rec(3200), firedrill.VerdictPass),
		res(1, rec(2100), firedrill.VerdictPass),
		res(3, firedrill.FaultResult{Recovery: firedrill.RecoveryNever}, firedrill.VerdictFail),
		res(4, firedrill.FaultResult{Recovery: firedrill.RecoveryUnconfirmed}, firedrill.VerdictInconclusive),
	}
	var b strings.Builder
	if err := WriteTable(&b, aggregate.Summarise(results)); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	t.Log("\n" + got)
	lines := strings.Split(got, "\n")
	if lines[0] != "primary-kill: 4 runs: 2 pass, 1 fail, 1 inconclusive" {
		t.Errorf("heading %q", lines[0])
	}
	for _, want := range []string{
		"  2026-05-01 10:01:00  run1    pass          2.1s          0s   0",
		"  2026-05-01 10:03:00  run3    fail          never         0s   0",
		"  2026-05-01 10:04:00  run4    inconclusive  not measured  0s   0",
		"  p50                                        3.2s          0s   0",
		"  max                                        never         0s   0",
		"  unmeasured                                 1             0    0",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	if strings.Index(got, "run1") > strings.Index(got, "run2") {
		t.Error("runs not in start order")
	}
}
