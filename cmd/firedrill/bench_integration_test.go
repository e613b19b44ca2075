//go:build integration

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/firedrill/firedrill"
)

// BenchmarkPrimaryKillRates runs the short primary-kill drill at 50 and at
// 1000 writes/s, alternately in one run, and reports the median RTO of
// each and their ratio (goal in docs/benchmarks.md: it recovers at 1000/s
// with an RTO within 1.2x of the 50/s one), the share of drills that
// recovered at each rate, and the probe's p99 schedule lag at 1000/s.
//
//	go test -tags integration -run '^$' -bench PrimaryKillRates -benchtime 5x -timeout 60m ./cmd/firedrill/
func BenchmarkPrimaryKillRates(b *testing.B) {
	scenarios := map[string]string{"50": "testdata/drills/short-kill.yaml", "1000": "testdata/drills/short-kill-1000.yaml"}
	rtos := map[string][]float64{}
	runs := map[string]int{}
	var lag1000 []float64
	for b.Loop() {
		for _, rate := range []string{"50", "1000"} {
			out := b.TempDir()
			cmd := exec.Command(bin, "run", "--out", out, "--seed", "11", scenarios[rate])
			o, err := cmd.CombinedOutput()
			raw, rerr := os.ReadFile(filepath.Join(out, "result.json"))
			if rerr != nil {
				b.Fatalf("%s writes/s: no result (%v): %v\n%s", rate, rerr, err, tail(string(o), 30))
			}
			var r firedrill.Result
			if err := json.Unmarshal(raw, &r); err != nil {
				b.Fatal(err)
			}
			runs[rate]++
			if len(r.Faults) != 1 || r.Faults[0].RTOMS == nil {
				// Not recovering is a result, not a broken benchmark: it
				// is counted and shown.
				b.Logf("%s writes/s: did not recover (verdict %s, reasons %v)", rate, r.Verdict, r.Reasons)
				continue
			}
			rtos[rate] = append(rtos[rate], *r.Faults[0].RTOMS)
			if rate == "1000" && r.ScheduleLag != nil {
				lag1000 = append(lag1000, r.ScheduleLag.P99MS)
			}
		}
	}
	med := func(xs []float64) float64 {
		s := slices.Clone(xs)
		slices.Sort(s)
		return s[len(s)/2]
	}
	for _, rate := range []string{"50", "1000"} {
		b.ReportMetric(float64(len(rtos[rate]))/float64(runs[rate]), "recovered"+rate+"-share")
		if len(rtos[rate]) > 0 {
			b.ReportMetric(med(rtos[rate]), "rto"+rate+"-median-ms")
		}
	}
	if len(rtos["50"]) > 0 && len(rtos["1000"]) > 0 {
		b.ReportMetric(med(rtos["1000"])/med(rtos["50"]), "rto-ratio")
	}
	if len(lag1000) > 0 {
		b.ReportMetric(med(lag1000), "lag1000-p99-ms")
	}
	b.Logf("RTOs at 50/s %v ms (%d runs), at 1000/s %v ms (%d runs); p99 lag at 1000/s %v ms",
		rtos["50"], runs["50"], rtos["1000"], runs["1000"], lag1000)
}
