//go:build integration

package main

// The latency in whole drills: interrupted while in effect, and the
// built-in slow-network, whose report must show the replica's lag grow
// during the latency and name the RPO exposure.

import (
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
)

// Ctrl-C while a latency is in effect: the latency is reverted (the rule
// removed, the delayer released), the environment removed, exit 130.
func TestIntegrationInterruptDuringLatency(t *testing.T) {
	interruptDuring(t, "testdata/drills/long-latency.yaml", "latency", holdAWhile)
}

// The built-in slow-network passes; its latency took effect by the
// evidence, and the replica's flush lag during it is the delay's while it
// is a fraction of that outside it; the summary names the RPO exposure.
func TestIntegrationSlowNetwork(t *testing.T) {
	d := runFiredrill(t, "run", "slow-network")
	res := readResult(t, d.out)
	defer assertNothingLeft(t, res.RunID)
	if res.Verdict != firedrill.VerdictPass {
		t.Fatalf("verdict %s (%v), want pass:\n%s", res.Verdict, res.Reasons, tail(d.stdout.String(), 40))
	}
	if len(res.Faults) != 1 || !strings.Contains(res.Faults[0].Evidence, "mechanism: ") ||
		!strings.Contains(res.Faults[0].Evidence, "pg-primary -> pg-replica1:5432 round trip") {
		t.Fatalf("faults %+v: want the latency with its mechanism and round trips", res.Faults)
	}
	rep := res.Replication
	if rep == nil || len(rep.Replicas) != 1 || len(rep.Faults) != 1 {
		t.Fatalf("replication %+v: want pg-replica1 over the drill and during f0", rep)
	}
	all, during := rep.Replicas[0], rep.Faults[0].Replicas
	if len(during) != 1 || all.MeanFlushLagMS == nil || during[0].MeanFlushLagMS == nil {
		t.Fatalf("no flush lag measured: %+v, during %+v", all, during)
	}
	// The readings outside f0, from the whole drill's mean and f0's.
	n, nf := float64(all.Streaming), float64(during[0].Streaming)
	outside := (*all.MeanFlushLagMS*n - *during[0].MeanFlushLagMS*nf) / (n - nf)
	t.Logf("flush lag: mean %.1f ms during the 100ms latency, %.1f ms outside it; exposure %+v", *during[0].MeanFlushLagMS, outside, rep.Exposure)
	if *during[0].MeanFlushLagMS < 50 {
		t.Errorf("mean flush lag %.1f ms during a latency of 100ms ± 10ms on the WAN", *during[0].MeanFlushLagMS)
	}
	if outside > *during[0].MeanFlushLagMS/2 {
		t.Errorf("mean flush lag %.1f ms outside the latency, %.1f ms during it: the latency made no difference", outside, *during[0].MeanFlushLagMS)
	}
	if e := rep.Exposure; e == nil || e.Replica != "pg-replica1" || e.Bytes <= 0 {
		t.Errorf("exposure %+v: want bytes of WAL pg-replica1 lacked", rep.Exposure)
	}
	if !strings.Contains(d.stdout.String(), "RPO exposure: had the primary been lost at the worst moment") {
		t.Errorf("the summary does not name the RPO exposure:\n%s", tail(d.stdout.String(), 40))
	}
}
