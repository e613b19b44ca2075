package score

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

// The rules of docs/measurement.md, "Uploads": acknowledged uploads read
// back with their content are verified, missing or other content is lost
// and counted and charged like a lost write, a read-back that failed
// leaves the uploads inconclusive.

// uploads sends an upload every 200ms in [from, to), acknowledged 20ms
// later by the app unless fate says otherwise.
func uploads(from, to time.Duration, fate func(sent time.Duration) firedrill.Outcome) []firedrill.Op {
	var ops []firedrill.Op
	for sent := from; sent < to; sent += 200 * ms {
		seq := int64(len(ops))
		op := firedrill.Op{ID: fmt.Sprintf("r-upload-%08d", seq), Seq: seq, Kind: firedrill.OpKindUpload,
			Due: sent, Sent: sent, Done: sent + 20*ms, Outcome: firedrill.OutcomeOK, Node: "app"}
		if fate != nil {
			op.Outcome = fate(sent)
		}
		if op.Outcome != firedrill.OutcomeOK {
			op.Node, op.Error = "", "refused"
		}
		ops = append(ops, op)
	}
	return ops
}

// listed is the app's listing after the drill: every acknowledged upload
// with its content's sha256, but for those drop says are gone.
func listed(ops []firedrill.Op, drop func(firedrill.Op) bool) *UploadsReadBack {
	rb := &UploadsReadBack{SHA256: map[string]string{}}
	for _, o := range ops {
		if o.Kind == firedrill.OpKindUpload && o.Outcome == firedrill.OutcomeOK && (drop == nil || !drop(o)) {
			rb.SHA256[o.ID] = firedrill.UploadSHA256(o.ID)
		}
	}
	return rb
}

// uploadsDrill is the unit tests' primary kill (writes failing in [5s,
// 8s), promote at 7s) with uploads at 5/s beside it, all read back but
// for what drop says is gone.
func uploadsDrill(drop func(firedrill.Op) bool) (Input, []firedrill.Op) {
	ups := uploads(0, 20*sec, nil)
	writes := ledger(0, 20*sec, failover(8*sec))
	in := drill(append(writes, ups...), primaryKill(),
		append([]firedrill.Event{applied("f0", 5*sec, 0, "pg-primary")}, failoverAt(6500*ms)...)...)
	in.Scenario.Workload.UploadsPerSecond = 5
	in.Uploads = listed(ups, drop)
	return in, writes
}

func TestUploadsAllReadBack(t *testing.T) {
	in, writes := uploadsDrill(nil)
	r := Score(in)
	if r.Verdict != firedrill.VerdictPass {
		t.Fatalf("verdict %s %v, want pass", r.Verdict, r.Reasons)
	}
	u := r.Uploads
	if u == nil || u.Sent != 100 || u.OK != 100 || u.Verified != 100 || u.Listed != 100 || u.Lost == nil || *u.Lost != 0 || u.RatePerS != 5 {
		t.Fatalf("uploads %+v, want 100 sent, ok, listed and verified, none lost", u)
	}
	// The uploads take no part in the writes' rules: same RTO, counts and
	// schedule lag as the writes alone.
	alone := Score(drill(writes, primaryKill(), append([]firedrill.Event{applied("f0", 5*sec, 0, "pg-primary")}, failoverAt(6500*ms)...)...))
	if *fault(t, r, "f0").RTOMS != *fault(t, alone, "f0").RTOMS || r.Writes.Attempted != alone.Writes.Attempted || *r.ScheduleLag != *alone.ScheduleLag {
		t.Errorf("the uploads changed the writes' measurement: RTO %v vs %v, %d vs %d writes",
			*fault(t, r, "f0").RTOMS, *fault(t, alone, "f0").RTOMS, r.Writes.Attempted, alone.Writes.Attempted)
	}
	lw := objective(t, r, ObjectiveLostWrites)
	if want := fmt.Sprintf("0 of %d acked", r.Writes.Acked+100); lw.Measured != want || !strings.Contains(lw.Detail, "100 acknowledged uploads read back from the app, 0 lost") {
		t.Errorf("lost_writes %q / %q, want %q and the uploads in the detail", lw.Measured, lw.Detail, want)
	}
}

// A lost upload is a lost write: lost_writes counts it (its detail says it
// is an upload), the RPO charges it by the one rule — here to the app's
// kill, the first injection at or after its ack that hit the app, not to
// the primary's promotion, which cannot lose a file.
func TestLostUploadChargedToTheInjectionThatHitTheApp(t *testing.T) {
	ups := uploads(0, 20*sec, nil)
	writes := ledger(0, 20*sec, failover(8*sec))
	ins := append(primaryKill(), injection(1, 12*sec, "kill", "app"))
	events := append([]firedrill.Event{applied("f0", 5*sec, 0, "pg-primary"), applied("f1", 12*sec, 50*ms, "app")}, failoverAt(6500*ms)...)
	in := drill(append(writes, ups...), ins, events...)
	in.Scenario.Workload.UploadsPerSecond = 5
	// Lost: the upload acknowledged at 4.62s (before the promotion at 7s)
	// and those acknowledged in [11s, 12s).
	in.Uploads = listed(ups, func(o firedrill.Op) bool {
		return o.Done == 4620*ms || o.Done >= 11*sec && o.Done < 12*sec
	})
	r := Score(in)

	if u := r.Uploads; u.Lost == nil || *u.Lost != 6 || len(u.LostIDs) != 6 || u.LostIDs[0] != "r-upload-00000023" || u.WrongContent != 0 {
		t.Fatalf("uploads %+v, want 6 lost, the first r-upload-00000023", u)
	}
	f0, f1 := fault(t, r, "f0"), fault(t, r, "f1")
	if *f0.Lost != 0 || *f0.RPOMS != 0 {
		t.Errorf("f0 (the primary's kill) charged %d lost, RPO %v: a promotion loses no upload", *f0.Lost, *f0.RPOMS)
	}
	// f1's E is 12.05s; the oldest upload charged to it was acked at 4.62s.
	if *f1.Lost != 6 || *f1.RPOMS != 7430 {
		t.Errorf("f1 (the app's kill) charged %d lost, RPO %v ms; want 6 and 7430", *f1.Lost, *f1.RPOMS)
	}
	if r.RPOMS == nil || *r.RPOMS != 7430 {
		t.Errorf("drill RPO %s, want 7430 ms", msText(r.RPOMS))
	}
	rpo := objective(t, r, ObjectiveRPO)
	if rpo.Status != firedrill.StatusMissed || !strings.HasPrefix(rpo.Detail, "upload r-upload-00000023, acknowledged at 4.62s") {
		t.Errorf("rpo %s %q, want missed, set by the upload", rpo.Status, rpo.Detail)
	}
	lw := objective(t, r, ObjectiveLostWrites)
	if lw.Status != firedrill.StatusMissed || !strings.HasPrefix(lw.Measured, "6 of ") || !strings.Contains(lw.Detail, "100 acknowledged uploads read back from the app, 6 lost") {
		t.Errorf("lost_writes %s %q %q, want missed, 6 lost, 6 of them uploads", lw.Status, lw.Measured, lw.Detail)
	}
	if r.Verdict != firedrill.VerdictFail || !hasReason(r, "(6 of them uploads)") {
		t.Errorf("verdict %s %v, want fail naming the uploads", r.Verdict, r.Reasons)
	}
}

// Listed with another sha256: the app lost what it acknowledged.
func TestUploadWithOtherContentIsLost(t *testing.T) {
	in, _ := uploadsDrill(nil)
	in.Uploads.SHA256["r-upload-00000010"] = firedrill.UploadSHA256("something else")
	r := Score(in)
	if u := r.Uploads; *u.Lost != 1 || u.WrongContent != 1 || u.LostIDs[0] != "r-upload-00000010" || u.Verified != 99 {
		t.Fatalf("uploads %+v, want r-upload-00000010 lost with other content", u)
	}
	// Acknowledged at 2.02s, charged to the kill's E at 5s.
	if f := fault(t, r, "f0"); *f.Lost != 1 || *f.RPOMS != 2980 {
		t.Errorf("f0 charged %d lost, RPO %v; want 1 and 2980 ms", *f.Lost, *f.RPOMS)
	}
	if lw := objective(t, r, ObjectiveLostWrites); lw.Status != firedrill.StatusMissed || !strings.Contains(lw.Detail, "1 lost (1 with other content)") {
		t.Errorf("lost_writes %s %q", lw.Status, lw.Detail)
	}
}

// Failed and indeterminate uploads missing at read-back are never lost.
func TestFailedAndIndeterminateUploadsNeverLost(t *testing.T) {
	in, _ := uploadsDrill(nil)
	ups := uploads(0, 20*sec, func(sent time.Duration) firedrill.Outcome {
		switch {
		case sent >= 5*sec && sent < 6*sec:
			return firedrill.OutcomeFailed
		case sent >= 6*sec && sent < 7*sec:
			return firedrill.OutcomeIndeterminate
		}
		return firedrill.OutcomeOK
	})
	in.Ops = append(WriteOps(in.Ops), ups...)
	in.Uploads = listed(ups, nil)
	r := Score(in)
	if u := r.Uploads; u.Failed != 5 || u.Indeterminate != 5 || u.OK != 90 || *u.Lost != 0 {
		t.Fatalf("uploads %+v, want 5 failed, 5 indeterminate, none lost", u)
	}
	if r.Verdict != firedrill.VerdictPass {
		t.Errorf("verdict %s %v, want pass", r.Verdict, r.Reasons)
	}
}

// A read-back of the uploads that failed: their part is inconclusive,
// never a pass, and lost_writes and rpo say they are not measured; a miss
// by the writes alone still fails the drill.
func TestUploadsReadBackFailedIsInconclusive(t *testing.T) {
	in, _ := uploadsDrill(nil)
	in.Uploads = &UploadsReadBack{Err: errors.New("GET /uploads: connection refused")}
	r := Score(in)
	if r.Verdict != firedrill.VerdictInconclusive || !hasReason(r, "uploads: the read-back of uploads failed: GET /uploads: connection refused") {
		t.Fatalf("verdict %s %v, want inconclusive with the uploads' reason", r.Verdict, r.Reasons)
	}
	if u := r.Uploads; u.Lost != nil || u.LostIDs != nil || u.ReadBackError == "" || u.OK != 100 {
		t.Errorf("uploads %+v, want lost null and the read-back error", u)
	}
	for _, name := range []string{ObjectiveRPO, ObjectiveLostWrites} {
		if o := objective(t, r, name); o.Status != firedrill.StatusNoData || !strings.Contains(o.Detail, "connection refused") {
			t.Errorf("%s %s %q, want no-data saying why", name, o.Status, o.Detail)
		}
	}

	// Not made at all: the same.
	in.Uploads = nil
	if r := Score(in); r.Verdict != firedrill.VerdictInconclusive || !hasReason(r, "uploads: the read-back of uploads was not made") {
		t.Errorf("without a read-back: verdict %s %v, want inconclusive", r.Verdict, r.Reasons)
	}

	// A write lost beside it: lost_writes is missed, a fact.
	in, writes := uploadsDrill(nil)
	in.Uploads = &UploadsReadBack{Err: errors.New("refused")}
	in.ReadBack = readBackAll(writes, func(o firedrill.Op) bool { return o.ID == "w-0040" })
	r = Score(in)
	if lw := objective(t, r, ObjectiveLostWrites); lw.Status != firedrill.StatusMissed || r.Verdict != firedrill.VerdictFail {
		t.Errorf("lost_writes %s, verdict %s; want missed and fail", lw.Status, r.Verdict)
	}
}

// Uploads sent and none acknowledged (the app's uploads off, say):
// nothing was measured, inconclusive; the writes' rules are untouched.
func TestNoUploadAcknowledgedIsInconclusive(t *testing.T) {
	in, _ := uploadsDrill(nil)
	ups := uploads(0, 20*sec, func(time.Duration) firedrill.Outcome { return firedrill.OutcomeFailed })
	in.Ops = append(WriteOps(in.Ops), ups...)
	in.Uploads = &UploadsReadBack{SHA256: map[string]string{}}
	r := Score(in)
	if r.Verdict != firedrill.VerdictInconclusive || !hasReason(r, "none of the 100 uploads sent was acknowledged") {
		t.Errorf("verdict %s %v, want inconclusive", r.Verdict, r.Reasons)
	}
	if rto := objective(t, r, ObjectiveRTO); rto.Status != firedrill.StatusMet {
		t.Errorf("rto %s: failed uploads broke the writes' recovery", rto.Status)
	}
}

// No uploads in the scenario or the ledger: no uploads part at all.
func TestNoUploads(t *testing.T) {
	in := input(ledger(0, 20*sec, failover(8*sec)))
	if r := Score(in); r.Uploads != nil || r.Verdict != firedrill.VerdictPass {
		t.Errorf("uploads %+v, verdict %s; want none, pass", r.Uploads, r.Verdict)
	}
}

func msText(ms *float64) string {
	if ms == nil {
		return "null"
	}
	return fmt.Sprintf("%v ms", *ms)
}
