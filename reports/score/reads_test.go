package score

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

// readFate decides a read's outcome and who served it from its send time.
type readFate func(sent time.Duration) (outcome firedrill.Outcome, node, role string)

// readLedger sends a read every 20ms (50/s) in [from, to), each answered
// 5ms later (an indeterminate one after the 1s timeout), up to 0.3ms
// behind its schedule.
func readLedger(from, to time.Duration, fate readFate) []firedrill.Op {
	var ops []firedrill.Op
	for sent := from; sent < to; sent += 20 * ms {
		seq := int64(len(ops))
		out, node, role := fate(sent)
		lag := time.Duration(seq%4) * 100 * time.Microsecond
		op := firedrill.Op{ID: fmt.Sprintf("r-read-%04d", seq), Seq: seq, Kind: readOpKind, Key: "w-0001",
			Due: max(0, sent-lag), Sent: sent, Done: sent + 5*ms, Outcome: out}
		switch out {
		case firedrill.OutcomeOK, firedrill.OutcomeStale:
			op.Node, op.Role = node, role
		case firedrill.OutcomeIndeterminate:
			op.Done = sent + sec
		}
		ops = append(ops, op)
	}
	return ops
}

var (
	onReplica = func(time.Duration) (firedrill.Outcome, string, string) {
		return firedrill.OutcomeOK, "pg-replica1", firedrill.ServedByReplica
	}
	onPrimary = func(time.Duration) (firedrill.Outcome, string, string) {
		return firedrill.OutcomeOK, "pg-primary", firedrill.ServedByPrimary
	}
	readFailed = func(time.Duration) (firedrill.Outcome, string, string) { return firedrill.OutcomeFailed, "", "" }
)

// replicaLoss: reads served by the replica before 5s, fate from 5s on.
func replicaLoss(fate readFate) readFate {
	return func(s time.Duration) (firedrill.Outcome, string, string) {
		if s < 5*sec {
			return onReplica(s)
		}
		return fate(s)
	}
}

// replicaLossInput is the built-in replica-loss as the unit tests model it:
// writes every 100ms all ok on pg-primary, reads every 20ms, the replica
// killed at 5s (span span), no failover event (the primary is fine).
func replicaLossInput(span time.Duration, fate readFate) Input {
	writes := ledger(0, 20*sec, func(time.Duration) (firedrill.Outcome, string) { return firedrill.OutcomeOK, "pg-primary" })
	in := input(append(writes, readLedger(0, 20*sec, replicaLoss(fate))...))
	in.Scenario.Workload.ReadsPerSecond = 50
	in.Scenario.Timeline.Faults[0].Target = "postgres.replica1"
	in.Events = []firedrill.Event{
		{At: 0, Kind: firedrill.EventDrillStart},
		{At: 5 * sec, Span: span, Kind: firedrill.EventFaultInjected, Injection: "f0", Target: "pg-replica1", Nodes: []string{"pg-replica1"}, Evidence: "exited (137)"},
		{At: 20 * sec, Kind: firedrill.EventDrillEnd},
	}
	in.ReadKeyAge, in.ReadKeyless = sec, 50
	return in
}

// fromAt switches reads from before to after at t.
func fromAt(t time.Duration, before, after readFate) readFate {
	return func(s time.Duration) (firedrill.Outcome, string, string) {
		if s < t {
			return before(s)
		}
		return after(s)
	}
}

func TestReadsReplicaLoss(t *testing.T) {
	// Reads sent in [5s, 5.1s) fail; the pool dials the primary, which
	// serves every read from 5.1s.
	r := Score(replicaLossInput(0, fromAt(5100*ms, readFailed, onPrimary)))
	if r.Verdict != firedrill.VerdictPass {
		t.Fatalf("verdict %s %v, want pass", r.Verdict, r.Reasons)
	}
	rs := r.Reads
	if rs == nil || rs.Sent != 1000 || rs.OK != 995 || rs.Failed != 5 || rs.Stale != 0 || rs.Indeterminate != 0 ||
		rs.Keyless != 50 || rs.KeyAgeMS != 1000 || rs.RatePerS != 50 {
		t.Fatalf("reads %+v", rs)
	}
	if l := rs.ScheduleLag; l == nil || l.MaxMS != 0.3 || l.P50MS != 0.1 {
		t.Errorf("reads' schedule lag %+v, want p50 0.1ms, max 0.3ms", l)
	}
	fr := r.Faults[0].Reads
	// The first ok read sent at or after E is the one of 5.1s, answered at
	// 5.105s; every read of [5.1s, 7.1s] is ok.
	if fr == nil || fr.Recovery != firedrill.RecoveryRecovered || !eqPtr(fr.RTOMS, fptr(105)) ||
		!eqPtr(fr.StoppedMS, fptr(5000)) || !eqPtr(fr.BackMS, fptr(5105)) {
		t.Fatalf("f0 reads %+v (rto %s, stopped %s, back %s)", fr, show(fr.RTOMS), show(fr.StoppedMS), show(fr.BackMS))
	}
	// The writes never noticed.
	if f := r.Faults[0]; !eqPtr(f.RTOMS, fptr(10)) {
		t.Errorf("write RTO %s, want 10ms (the first write after the kill)", show(f.RTOMS))
	}
	// Who served: the replica before, the primary after, from 5.1s.
	if len(rs.Phases) != 2 {
		t.Fatalf("phases %+v", rs.Phases)
	}
	before, after := rs.Phases[0], rs.Phases[1]
	if before.Injection != "" || before.FromMS != 0 || before.ToMS != 5000 || before.Unanswered != 0 || len(before.Servers) != 1 ||
		before.Servers[0] != (firedrill.ReadServer{Node: "pg-replica1", Role: firedrill.ServedByReplica, OK: 250, FirstMS: 0, LastMS: 4980}) {
		t.Errorf("phase before f0: %+v", before)
	}
	if after.Injection != "f0" || after.FromMS != 5000 || after.ToMS != 20000 || after.Unanswered != 5 || len(after.Servers) != 1 ||
		after.Servers[0] != (firedrill.ReadServer{Node: "pg-primary", Role: firedrill.ServedByPrimary, OK: 745, FirstMS: 5100, LastMS: 19980}) {
		t.Errorf("phase of f0: %+v", after)
	}
}

// The recovery read must be sent at or after E: reads answered by the
// dying replica between T and E prove nothing; stopped_ms is still the
// first unanswered read after T.
func TestReadsRecoverAfterE(t *testing.T) {
	fate := fromAt(5300*ms, onReplica, fromAt(8*sec, readFailed, onPrimary))
	r := Score(replicaLossInput(300*ms, fate))
	fr := r.Faults[0].Reads
	if fr == nil || fr.Recovery != firedrill.RecoveryRecovered || !eqPtr(fr.RTOMS, fptr(3005)) || !eqPtr(fr.StoppedMS, fptr(5300)) {
		t.Fatalf("f0 reads %+v (rto %s, stopped %s)", fr, show(fr.RTOMS), show(fr.StoppedMS))
	}
	// The replica's answers after T are in f0's phase.
	p := r.Reads.Phases[1]
	if len(p.Servers) != 2 || p.Servers[0].Node != "pg-replica1" || p.Servers[0].OK != 15 || p.Servers[1].Node != "pg-primary" || p.Servers[1].FirstMS != 8000 {
		t.Errorf("phase of f0: %+v", p)
	}
}

// A stale read is not a success: it breaks the stability window like a
// failed one, and it is counted apart, never as failed (nor lost).
func TestReadsStaleBreaksTheWindow(t *testing.T) {
	stale := func(time.Duration) (firedrill.Outcome, string, string) {
		return firedrill.OutcomeStale, "pg-replica2", firedrill.ServedByReplica
	}
	staleOnPrimary := func(time.Duration) (firedrill.Outcome, string, string) {
		return firedrill.OutcomeStale, "pg-primary", firedrill.ServedByPrimary
	}
	// Served by a lagging replica from 5s, a stale read on the primary at
	// 6.5s (inside the window of 6s), ok on the primary from 6s otherwise.
	fate := fromAt(6*sec, stale, func(s time.Duration) (firedrill.Outcome, string, string) {
		if s == 6500*ms {
			return staleOnPrimary(s)
		}
		return onPrimary(s)
	})
	r := Score(replicaLossInput(0, fate))
	rs := r.Reads
	if rs.Stale != 51 || rs.StaleOnPrimary != 1 || rs.Failed != 0 || rs.Indeterminate != 0 || rs.OK != 949 {
		t.Fatalf("reads %+v", rs)
	}
	fr := r.Faults[0].Reads
	// 6.52s is the first ok read whose window holds.
	if fr.Recovery != firedrill.RecoveryRecovered || !eqPtr(fr.RTOMS, fptr(1525)) || !eqPtr(fr.StoppedMS, fptr(5000)) {
		t.Errorf("f0 reads %+v (rto %s, stopped %s)", fr, show(fr.RTOMS), show(fr.StoppedMS))
	}
	if r.Writes.Lost == nil || *r.Writes.Lost != 0 || r.Verdict != firedrill.VerdictPass {
		t.Errorf("lost %s, verdict %s: a stale read is no lost write", show(r.Writes.Lost), r.Verdict)
	}
	p := r.Reads.Phases[1]
	if len(p.Servers) != 2 || p.Servers[0] != (firedrill.ReadServer{Node: "pg-replica2", Role: firedrill.ServedByReplica, Stale: 50, FirstMS: 5000, LastMS: 5980}) ||
		p.Servers[1].Node != "pg-primary" || p.Servers[1].OK != 699 || p.Servers[1].Stale != 1 {
		t.Errorf("phase of f0: %+v", p)
	}
}

// Reads that were still failing at the end of observation fail the
// drill, whatever the writes did; a read recovery the run was too short
// to confirm is reported and leaves the verdict alone.
func TestReadsNeverAndUnconfirmed(t *testing.T) {
	r := Score(replicaLossInput(0, func(s time.Duration) (firedrill.Outcome, string, string) {
		if s%(100*ms) == 0 {
			return onPrimary(s) // flapping: never 2s in a row
		}
		return firedrill.OutcomeIndeterminate, "", ""
	}))
	fr := r.Faults[0].Reads
	if fr.Recovery != firedrill.RecoveryNever || fr.RTOMS != nil || !eqPtr(fr.StoppedMS, fptr(5020)) {
		t.Errorf("f0 reads %+v, want never, stopped at 5.02s", fr)
	}
	if r.Verdict != firedrill.VerdictFail || !strings.Contains(strings.Join(r.Reasons, "\n"), "reads never recovered after f0 (kill postgres.replica1)") {
		t.Errorf("verdict %s %v, want fail naming the reads", r.Verdict, r.Reasons)
	}
	if o := objective(t, r, ObjectiveRTO); o.Status != firedrill.StatusMet {
		t.Errorf("rto objective %s: the writes' objective is the writes'", o.Status)
	}

	// Ok from 18.5s: its window [18.5s, 20.5s] closes after the end.
	r = Score(replicaLossInput(0, fromAt(18500*ms, readFailed, onPrimary)))
	fr = r.Faults[0].Reads
	if fr.Recovery != firedrill.RecoveryUnconfirmed || !eqPtr(fr.PendingMS, fptr(18500)) || r.Verdict != firedrill.VerdictPass {
		t.Errorf("f0 reads %+v, verdict %s %v; want unconfirmed from 18.5s, pass", fr, r.Verdict, r.Reasons)
	}
	// Ok from 18s: the window closes at 20s exactly, the end included.
	r = Score(replicaLossInput(0, fromAt(18*sec, readFailed, onPrimary)))
	if fr = r.Faults[0].Reads; fr.Recovery != firedrill.RecoveryRecovered || !eqPtr(fr.RTOMS, fptr(13005)) {
		t.Errorf("f0 reads %+v (rto %s), want recovered, 13.005s", fr, show(fr.RTOMS))
	}
}

// A read outage shared by two injections goes to the one the failover
// events are charged to; the other is overlapped.
func TestReadsOverlap(t *testing.T) {
	in := replicaLossInput(0, fromAt(9*sec, readFailed, onPrimary))
	in.Scenario.Timeline.Faults = append(in.Scenario.Timeline.Faults, in.Scenario.Timeline.Faults[0])
	in.Scenario.Timeline.Faults[1].At.Duration = 6 * sec
	in.Scenario.Timeline.Faults[1].Target = "postgres.primary"
	in.Events = append(in.Events,
		firedrill.Event{At: 6 * sec, Kind: firedrill.EventFaultInjected, Injection: "f1", Target: "pg-primary", Nodes: []string{"pg-primary"}},
		firedrill.Event{At: 7500 * ms, Kind: firedrill.EventDetect, Target: "pg-primary"},
		firedrill.Event{At: 8 * sec, Kind: firedrill.EventPromote, Target: "pg-replica2"})
	r := Score(in)
	f0, f1 := r.Faults[0].Reads, r.Faults[1].Reads
	if f0 == nil || f0.Recovery != firedrill.RecoveryOverlapped || !strings.Contains(f0.Overlap, "f1's read outage") {
		t.Errorf("f0 reads %+v, want overlapped by f1", f0)
	}
	if f1 == nil || f1.Recovery != firedrill.RecoveryRecovered || !eqPtr(f1.RTOMS, fptr(3005)) || !eqPtr(f1.StoppedMS, fptr(6000)) ||
		!strings.Contains(f1.Overlap, "f0 injected during this read outage") {
		t.Errorf("f1 reads %+v (rto %s, stopped %s), want the outage, 3.005s from 6s", f1, show(f1.RTOMS), show(f1.StoppedMS))
	}
	if len(r.Reads.Phases) != 3 || r.Reads.Phases[1].Injection != "f0" || r.Reads.Phases[1].ToMS != 6000 || r.Reads.Phases[2].Injection != "f1" {
		t.Errorf("phases %+v", r.Reads.Phases)
	}
}

// Without reads in the scenario or the ledger there is nothing about reads
// in the result (and result.json has no "reads" key); asked for but none
// sent, the reads are counted as none and each injection has no data.
func TestReadsAbsent(t *testing.T) {
	r := Score(input(ledger(0, 20*sec, failover(8*sec))))
	if r.Reads != nil || r.Faults[0].Reads != nil {
		t.Errorf("reads %+v, fault reads %+v, want none", r.Reads, r.Faults[0].Reads)
	}
	b, err := json.Marshal(r)
	if err != nil || bytes.Contains(b, []byte(`"reads"`)) {
		t.Errorf("result.json with no reads has a reads key (%v)", err)
	}

	in := input(ledger(0, 20*sec, failover(8*sec)))
	in.Scenario.Workload.ReadsPerSecond = 50
	r = Score(in)
	if r.Reads == nil || r.Reads.Sent != 0 || r.Reads.ScheduleLag != nil || r.Faults[0].Reads == nil ||
		r.Faults[0].Reads.Recovery != firedrill.RecoveryNoData || r.Verdict != firedrill.VerdictPass {
		t.Errorf("reads asked for, none sent: %+v, %+v, verdict %s", r.Reads, r.Faults[0].Reads, r.Verdict)
	}
}

// The reads in result.json: the counts, lag and the servers before the
// faults, each fault's read outage and who served its reads (the "reads"
// golden case pins the summary).
func TestReadsInResult(t *testing.T) {
	r := Score(replicaLossInput(0, fromAt(5100*ms, readFailed, onPrimary)))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"reads":{"sent":1000,"ok":995,"stale":0,"failed":5,"indeterminate":0,"stale_on_primary":0,"keyless":50`,
		`"reads":{"recovery":"recovered","rto_ms":105,"stopped_ms":5000,"back_ms":5105}`,
		`{"injection":"f0","from_ms":5000,"to_ms":20000,"servers":[{"node":"pg-primary","role":"primary","ok":745,"stale":0,"first_ms":5100,"last_ms":19980}],"unanswered":5}`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("result.json lacks %s", want)
		}
	}
}
