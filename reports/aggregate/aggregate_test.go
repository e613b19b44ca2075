package aggregate

import (
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/score"
)

func fp(f float64) *float64 { return &f }
func ip(i int) *int         { return &i }

func result(scenario string, at int, verdict firedrill.Verdict, faults []firedrill.FaultResult, rpo *float64, lost *int, rtoStatus firedrill.ObjectiveStatus) firedrill.Result {
	return firedrill.Result{Scenario: scenario, RunID: scenario + string(rune('a'+at)), StartedAt: time.Unix(int64(at), 0),
		Verdict: verdict, Faults: faults, RPOMS: rpo, Writes: firedrill.WriteStats{Lost: lost},
		Objectives: []firedrill.ObjectiveResult{{Name: score.ObjectiveRTO, Status: rtoStatus}}}
}

func recovered(ms float64) firedrill.FaultResult {
	return firedrill.FaultResult{Recovery: firedrill.RecoveryRecovered, RTOMS: fp(ms)}
}

func TestSummarise(t *testing.T) {
	never := firedrill.FaultResult{Recovery: firedrill.RecoveryNever}
	unconfirmed := firedrill.FaultResult{Recovery: firedrill.RecoveryUnconfirmed}
	pass, fail, inc := firedrill.VerdictPass, firedrill.VerdictFail, firedrill.VerdictInconclusive
	results := []firedrill.Result{
		// Out of order: a history directory is read in file order.
		result("primary-kill", 3, pass, []firedrill.FaultResult{recovered(1500)}, fp(0), ip(0), firedrill.StatusMet),
		result("primary-kill", 1, pass, []firedrill.FaultResult{recovered(1200), recovered(2500)}, fp(0), ip(0), firedrill.StatusMet),
		result("other", 1, fail, []firedrill.FaultResult{never}, fp(900), ip(3), firedrill.StatusMissed),
		result("primary-kill", 2, inc, []firedrill.FaultResult{recovered(1000), unconfirmed}, nil, nil, firedrill.StatusNoData),
		result("primary-kill", 4, pass, []firedrill.FaultResult{recovered(1300)}, fp(0), ip(0), firedrill.StatusMet),
		result("primary-kill", 5, pass, []firedrill.FaultResult{recovered(1400)}, fp(0), ip(0), firedrill.StatusMet),
		result("primary-kill", 6, fail, []firedrill.FaultResult{recovered(1100), never}, fp(200), ip(2), firedrill.StatusMissed),
	}
	got := Summarise(results)
	if len(got) != 2 || got[0].Scenario != "primary-kill" || got[1].Scenario != "other" {
		t.Fatalf("scenarios %+v", got)
	}
	pk := got[0]
	if len(pk.Runs) != 6 || pk.Runs[0].RunID != "primary-killb" || pk.Runs[5].RunID != "primary-killg" {
		t.Errorf("runs not in start order: %+v", pk.Runs)
	}
	if pk.Verdicts[pass] != 4 || pk.Verdicts[inc] != 1 || pk.Verdicts[fail] != 1 {
		t.Errorf("verdicts %v", pk.Verdicts)
	}
	// RTOs of the measured runs: 2500 (worst of the run), 1500, 1300,
	// 1400, never; the inconclusive run is unmeasured, not 1000.
	rto := pk.RTO
	if rto.Measured != 5 || rto.Unmeasured != 1 || rto.P50.MS != 1500 || rto.P50.Never || !rto.P90.Never || !rto.Max.Never {
		t.Errorf("rto %+v p50 %+v p90 %+v max %+v", rto, rto.P50, rto.P90, rto.Max)
	}
	if r := pk.RPO; r.Measured != 5 || r.Unmeasured != 1 || r.P50.MS != 0 || r.Max.MS != 200 {
		t.Errorf("rpo %+v", r)
	}
	if l := pk.Lost; l.P90.MS != 2 || l.Max.MS != 2 {
		t.Errorf("lost %+v", l)
	}
	// A scenario that never measured a figure has no percentiles.
	none := Summarise([]firedrill.Result{result("x", 1, inc, nil, nil, nil, firedrill.StatusNoData)})[0]
	if none.RTO.P50 != nil || none.RTO.Unmeasured != 1 || none.RPO.Max != nil {
		t.Errorf("unmeasured %+v", none)
	}
}

func TestSummariseGroupsByManager(t *testing.T) {
	pass := firedrill.VerdictPass
	withPhases := func(ms, detect, full float64) firedrill.FaultResult {
		f := recovered(ms)
		f.Phases = map[string]float64{firedrill.PhaseDetect: detect, firedrill.PhaseFullRedundancy: full}
		return f
	}
	run := func(at int, manager string, f firedrill.FaultResult, splitBrain bool) firedrill.Result {
		r := result("pk", at, pass, []firedrill.FaultResult{f}, fp(0), ip(0), firedrill.StatusMet)
		r.Manager, r.SplitBrain = manager, splitBrain
		return r
	}
	got := Summarise([]firedrill.Result{
		run(1, "builtin", withPhases(3000, 2000, 9000), false),
		run(2, "patroni", withPhases(30000, 25000, 40000), true),
		run(3, "builtin", withPhases(4000, 2500, 11000), false),
		run(4, "builtin", recovered(5000), false),
	})
	if len(got) != 2 || got[0].Manager != "builtin" || got[1].Manager != "patroni" || len(got[0].Runs) != 3 {
		t.Fatalf("summaries %+v", got)
	}
	// Patroni's 30s is not among builtin's percentiles.
	if b := got[0]; b.RTO.Max.MS != 5000 || b.SplitBrain != 0 {
		t.Errorf("builtin rto %+v split brain %d", b.RTO.Max, b.SplitBrain)
	}
	if d := got[0].Phases[firedrill.PhaseDetect]; d.Measured != 2 || d.Unmeasured != 1 || d.P50.MS != 2000 || d.Max.MS != 2500 {
		t.Errorf("builtin detect %+v", d)
	}
	if p := got[1]; p.SplitBrain != 1 || p.Phases[firedrill.PhaseFullRedundancy].P50.MS != 40000 {
		t.Errorf("patroni %+v", p)
	}
	if m := Managers(got); len(m) != 2 || m[0] != "builtin" || m[1] != "patroni" {
		t.Errorf("Managers = %q", m)
	}
}
