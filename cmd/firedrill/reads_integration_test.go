//go:build integration

package main

import (
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
)

// readsOf returns the ledger's reads and its acknowledged writes by id.
func readsOf(ops []firedrill.Op) (reads []firedrill.Op, acked map[string]firedrill.Op) {
	acked = map[string]firedrill.Op{}
	for _, op := range ops {
		switch {
		case op.Kind == "read":
			reads = append(reads, op)
		case op.Outcome == firedrill.OutcomeOK:
			acked[op.ID] = op
		}
	}
	return reads, acked
}

// checkReadLedger: the ledger holds as many reads as the result counts,
// each of a write acknowledged at least the key age before it was sent,
// and every answered read names its server and role.
func checkReadLedger(t *testing.T, res firedrill.Result, ops []firedrill.Op) []firedrill.Op {
	t.Helper()
	reads, acked := readsOf(ops)
	if res.Reads == nil || len(reads) != res.Reads.Sent || res.Reads.Sent == 0 {
		t.Fatalf("ledger has %d reads, result %+v", len(reads), res.Reads)
	}
	keyAge := res.Reads.KeyAgeMS
	for _, r := range reads {
		w, ok := acked[r.Key]
		if !ok {
			t.Fatalf("read %s asked for %q, not an acknowledged write", r.ID, r.Key)
		}
		if ageMS := firedrill.Millis(r.Sent - w.Done); ageMS < keyAge {
			t.Errorf("read %s asked for %s acknowledged %.1fms before it, less than the key age %.0fms", r.ID, w.ID, ageMS, keyAge)
		}
		answered := r.Outcome == firedrill.OutcomeOK || r.Outcome == firedrill.OutcomeStale
		if answered != (r.Node != "" && r.Role != "") {
			t.Errorf("read %s: %s served by %q as %q", r.ID, r.Outcome, r.Node, r.Role)
		}
	}
	return reads
}

// runPassing runs a drill that must pass, and checks nothing of it was
// left behind when the test ends.
func runPassing(t *testing.T, args ...string) (*drillRun, firedrill.Result) {
	t.Helper()
	d := runFiredrill(t, args...)
	res := readResult(t, d.out)
	t.Cleanup(func() { assertNothingLeft(t, res.RunID) })
	if d.code != 0 || res.Verdict != firedrill.VerdictPass {
		t.Fatalf("exit %d verdict %s, want 0 pass (reasons %v)", d.code, res.Verdict, res.Reasons)
	}
	return d, res
}

// The built-in replica-loss: the replica serving the reads is killed; the
// reads move to the primary and stay there, the writes never notice, the
// drill passes.
func TestIntegrationReplicaLoss(t *testing.T) {
	d, res := runPassing(t, "run", "replica-loss")
	f := res.Faults[0]
	if f.RTOMS == nil || res.Writes.Lost == nil || *res.Writes.Lost != 0 {
		t.Errorf("writes: RTO %v, lost %v; want recovered, none lost", f.RTOMS, res.Writes.Lost)
	}
	if f.Reads == nil || f.Reads.Recovery != firedrill.RecoveryRecovered || f.Reads.RTOMS == nil || f.Reads.BackMS == nil {
		t.Fatalf("f0's reads: %+v, want recovered", f.Reads)
	}
	checkReadLedger(t, res, readLedger(t, d.out))

	// Who served: only the replica before the kill; after it, the primary,
	// and never the replica a read sent once it was certainly dead (after E:
	// the kill had returned with the exit as evidence). A read's server is
	// decided when the app runs it, not when it is sent, so reads sent
	// between T and E may go either way.
	phases := res.Reads.Phases
	if len(phases) != 2 || phases[1].Injection != f.ID {
		t.Fatalf("phases %+v", phases)
	}
	if s := phases[0].Servers; len(s) != 1 || s[0].Node != "pg-replica1" || s[0].Role != firedrill.ServedByReplica || s[0].OK == 0 {
		t.Errorf("before the kill, served by %+v; want pg-replica1 as a replica only", s)
	}
	var primary, replica *firedrill.ReadServer
	for i, s := range phases[1].Servers {
		switch {
		case s.Node == "pg-primary" && s.Role == firedrill.ServedByPrimary:
			primary = &phases[1].Servers[i]
		case s.Node == "pg-replica1":
			replica = &phases[1].Servers[i]
		default:
			t.Errorf("after the kill, served by %+v", s)
		}
	}
	if primary == nil || primary.OK == 0 {
		t.Fatalf("after the kill, served by %+v: the reads did not move to the primary", phases[1].Servers)
	}
	if e := f.AtMS + f.SpanMS; replica != nil && replica.LastMS > e {
		t.Errorf("the dead replica served a read sent at %.0fms, after the kill took effect at %.0fms", replica.LastMS, e)
	}
	for _, want := range []string{"reads RTO ", "reads served by ", "pg-primary (primary)"} {
		if !strings.Contains(d.stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, d.stdout.String())
		}
	}
	t.Logf("write RTO %.0fms; read RTO %.0fms, back at %.0fms; primary serving from %.0fms (kill at %.0fms)",
		*f.RTOMS, *f.Reads.RTOMS, *f.Reads.BackMS, primary.FirstMS, f.AtMS)
}

// With reads running, a kill of the primary still fails over and
// recovers the writes, and the reads are scored: they have a read RTO, and
// the replica they were served by serves them as the primary once
// promoted.
func TestIntegrationPrimaryKillWithReads(t *testing.T) {
	d, res := runPassing(t, "run", "testdata/drills/short-kill-reads.yaml")
	f := res.Faults[0]
	if f.RTOMS == nil || f.Phases[firedrill.PhasePromote] == 0 {
		t.Fatalf("writes: RTO %v, phases %v; want a failover", f.RTOMS, f.Phases)
	}
	if f.Reads == nil || f.Reads.Recovery != firedrill.RecoveryRecovered || f.Reads.RTOMS == nil {
		t.Fatalf("f0's reads: %+v, want recovered", f.Reads)
	}
	checkReadLedger(t, res, readLedger(t, d.out))
	var promoted bool
	for _, s := range res.Reads.Phases[1].Servers {
		promoted = promoted || s.Node == "pg-replica1" && s.Role == firedrill.ServedByPrimary
	}
	if !promoted {
		t.Errorf("after the kill, served by %+v; want pg-replica1 as the primary", res.Reads.Phases[1].Servers)
	}
	t.Logf("write RTO %.0fms; read RTO %.0fms; reads %+v", *f.RTOMS, *f.Reads.RTOMS, *res.Reads)
}
