package score

import (
	"fmt"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

// UploadsReadBack is the read-back of the uploads after the drill: what
// the app's GET /uploads listed (docs/measurement.md, "Uploads").
type UploadsReadBack struct {
	// SHA256 is the hex sha256 of every upload the app listed, by id. nil
	// when the read-back could not be made; Err says why.
	SHA256 map[string]string
	Err    error
}

// uploadScore is the uploads' part of a Result and what the write rules
// take from it.
type uploadScore struct {
	res *firedrill.UploadsResult // nil when no uploads ran
	// lost holds every lost upload, ordered by seq, when the read-back
	// could tell them (problem is empty): they are charged with the lost
	// writes (chargeLost).
	lost []firedrill.Op
	// problem says why the read-back cannot tell lost uploads, when some
	// upload was acknowledged: the rpo and lost_writes objectives are then
	// no-data unless the writes miss them (scoreBuilder.measured).
	problem string
	// reasons make the drill inconclusive.
	reasons []string
}

// uploadOps returns the upload operations ordered by send time (then
// seq).
func uploadOps(ops []firedrill.Op) []firedrill.Op {
	var out []firedrill.Op
	for _, o := range ops {
		if o.Kind == firedrill.OpKindUpload {
			out = append(out, o)
		}
	}
	sortBySent(out)
	return out
}

// scoreUploads counts the uploads by outcome and checks the acknowledged
// ones against the read-back (docs/measurement.md, "Uploads"): one listed
// with the sha256 of its body (firedrill.UploadSHA256) is verified, one
// missing or listed with another sha256 is lost; failed and indeterminate
// uploads are never lost. Without a read-back, Lost is null and, when an
// upload was acknowledged, the uploads part is inconclusive; so it is when
// none was acknowledged. The result is empty when no uploads ran (the
// scenario asked for none and the ledger has none).
func scoreUploads(in Input, sc *scenarios.Scenario) uploadScore {
	ups := uploadOps(in.Ops)
	if sc.Workload.UploadsPerSecond <= 0 && len(ups) == 0 {
		return uploadScore{}
	}
	res := &firedrill.UploadsResult{RatePerS: sc.Workload.UploadsPerSecond, ScheduleLag: scheduleLag(ups)}
	var acked []firedrill.Op
	for _, o := range ups {
		res.Sent++
		switch o.Outcome {
		case firedrill.OutcomeOK:
			res.OK++
			acked = append(acked, o)
		case firedrill.OutcomeFailed:
			res.Failed++
		default:
			res.Indeterminate++
		}
	}
	out := uploadScore{res: res}
	if res.OK == 0 {
		out.reasons = append(out.reasons, fmt.Sprintf("uploads: none of the %d uploads sent was acknowledged: nothing was measured", res.Sent))
	}

	back := in.Uploads
	switch {
	case back == nil:
		out.problem = "the read-back of uploads was not made"
	case back.SHA256 == nil:
		out.problem = "the read-back of uploads failed"
		if back.Err != nil {
			out.problem += ": " + back.Err.Error()
		}
	}
	if out.problem != "" {
		res.ReadBackError = out.problem
		if res.OK == 0 {
			out.problem = "" // nothing acknowledged, nothing to lose
		} else {
			out.reasons = append(out.reasons, "uploads: "+out.problem)
		}
		return out
	}

	res.Listed = len(back.SHA256)
	var lost []firedrill.Op
	for _, o := range acked {
		sum, found := back.SHA256[o.ID]
		switch {
		case found && sum == firedrill.UploadSHA256(o.ID):
			res.Verified++
		case found:
			res.WrongContent++
			lost = append(lost, o)
		default:
			lost = append(lost, o)
		}
	}
	res.Lost, res.LostIDs = idList(lost)
	out.lost = lost
	return out
}

// lostCount is how many uploads were lost (0 without a read-back).
func (u uploadScore) lostCount() int {
	if u.res == nil || u.res.Lost == nil {
		return 0
	}
	return *u.res.Lost
}

// ackedCount is how many uploads were acknowledged.
func (u uploadScore) ackedCount() int {
	if u.res == nil {
		return 0
	}
	return u.res.OK
}

// detail is the uploads' part of the lost_writes objective's detail: how
// many of the lost are uploads. Empty when no uploads ran.
func (u uploadScore) detail() string {
	switch {
	case u.res == nil:
		return ""
	case u.problem != "":
		return fmt.Sprintf("; %d acknowledged uploads not measured: %s", u.res.OK, u.problem)
	case u.res.Lost == nil:
		return ""
	}
	d := fmt.Sprintf("; %d acknowledged uploads read back from the app, %d lost", u.res.OK, *u.res.Lost)
	if u.res.WrongContent > 0 {
		d += fmt.Sprintf(" (%d with other content)", u.res.WrongContent)
	}
	return d
}

// ofThem says how many of the lost writes are uploads, for a reason:
// " (1 of them an upload)"; empty when none is.
func (u uploadScore) ofThem() string {
	switch n := u.lostCount(); n {
	case 0:
		return ""
	case 1:
		return " (1 of them an upload)"
	default:
		return fmt.Sprintf(" (%d of them uploads)", n)
	}
}

// opNoun is what a lost op is called in a detail: an upload or a write.
func opNoun(o *firedrill.Op) string {
	if o.Kind == firedrill.OpKindUpload {
		return "upload"
	}
	return "write"
}

// measured adds an objective the writes (and the uploads, when they were
// read back) did not miss, as status (met or reported): unless the
// uploads' read-back could not tell lost uploads, which leaves it
// no-data, never a pass (docs/measurement.md, "Uploads"). The reason is
// the uploads' own, given once by Score.
func (b *scoreBuilder) measured(o firedrill.ObjectiveResult, status firedrill.ObjectiveStatus) {
	o.Status = status
	if p := b.uploads.problem; p != "" {
		o.Status = firedrill.StatusNoData
		o.Detail += "; uploads not measured: " + p
	}
	b.add(o)
}
