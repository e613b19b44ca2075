package drscore

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/score"
)

// DR verifies the DR engine's restores against the ledger and adds the
// engine's part to res (docs/measurement.md, "Backups and restores"):
// every write acknowledged before a restore's recovery point must be in
// the database read back; a write sent after it and acknowledged before
// the restore began cannot be (it went to the database that was lost).
// A restore that fails its verification, or amcheck, or a plan that
// stopped at a failing step, fails the drill. dr nil: nothing to do.
func DR(res *firedrill.Result, dr *firedrill.DRResult, ops []firedrill.Op, readBack map[string]bool) {
	if dr == nil || (len(dr.Backups) == 0 && len(dr.Restores) == 0 && len(dr.Plans) == 0 && dr.Archive == nil) {
		return
	}
	res.DR = dr
	dr.Exposure = backupExposure(dr.Backups, score.FromMS(res.DurationMS))
	writes := score.WriteOps(ops)
	var missed, inconclusive []string
	for i := range dr.Restores {
		r := &dr.Restores[i]
		switch {
		case r.Error != "":
			missed = append(missed, fmt.Sprintf("the %s restore into %s failed: %s", r.Kind, r.Node, r.Error))
			continue
		case r.Amcheck != "" && !r.AmcheckOK:
			missed = append(missed, fmt.Sprintf("the %s restore into %s: amcheck %s", r.Kind, r.Node, r.Amcheck))
		}
		if r.Kind == "files" {
			continue // uploads are read back and scored as uploads
		}
		v := verifyRestore(*r, writes, readBack)
		r.Verification = v
		switch {
		case !v.Verified && readBack == nil:
			inconclusive = append(inconclusive, fmt.Sprintf("the %s restore into %s could not be verified: %s", r.Kind, r.Node, v.Detail))
		case !v.Verified:
			missed = append(missed, fmt.Sprintf("the %s restore into %s failed its verification: %s", r.Kind, r.Node, v.Detail))
		}
	}
	for _, p := range dr.Plans {
		if !p.Done {
			last := p.Steps[len(p.Steps)-1]
			missed = append(missed, fmt.Sprintf("the %s recovery plan stopped at %s: %s", p.Type, last.Name, last.Detail))
		}
	}
	if len(missed)+len(inconclusive) == 0 {
		return
	}
	res.Reasons = append(append(slices.Clone(missed), res.Reasons...), inconclusive...)
	switch {
	case len(missed) > 0:
		res.Verdict = firedrill.VerdictFail
	case res.Verdict == firedrill.VerdictPass:
		res.Verdict = firedrill.VerdictInconclusive
	}
}

// verifyRestore checks one database restore against the ledger.
func verifyRestore(r firedrill.RestoreResult, writes []firedrill.Op, readBack map[string]bool) *firedrill.RestoreVerification {
	v := &firedrill.RestoreVerification{}
	switch {
	case r.RecoveryPointMS == nil:
		v.Detail = "the restore has no recovery point"
		return v
	case readBack == nil:
		v.Detail = "the writes could not be read back"
		return v
	}
	point := score.FromMS(*r.RecoveryPointMS)
	began := score.FromMS(r.AtMS)
	for _, w := range writes {
		if w.Outcome != firedrill.OutcomeOK {
			continue
		}
		switch {
		case w.Done <= point:
			v.AckedBefore++
			if !readBack[w.ID] {
				v.MissingBefore++
				if len(v.MissingBeforeIDs) < score.MaxLostIDs {
					v.MissingBeforeIDs = append(v.MissingBeforeIDs, w.ID)
				}
			}
		case w.Sent > point && w.Done <= began:
			if readBack[w.ID] {
				v.PresentAfter++
			} else {
				v.LostAfter++
			}
		}
	}
	var problems []string
	if v.MissingBefore > 0 {
		problems = append(problems, fmt.Sprintf("%d of the %d writes acknowledged before the recovery point (%s) are missing: %s",
			v.MissingBefore, v.AckedBefore, point.Round(time.Millisecond), strings.Join(v.MissingBeforeIDs, ", ")))
	}
	if v.PresentAfter > 0 {
		problems = append(problems, fmt.Sprintf("%d writes sent after the recovery point and before the restore are present, which that backup cannot hold: the restore is not the backup it names",
			v.PresentAfter))
	}
	if len(problems) > 0 {
		v.Detail = strings.Join(problems, "; ")
		return v
	}
	v.Verified = true
	v.Detail = fmt.Sprintf("all %d writes acknowledged before the recovery point (%s) are present; the %d acknowledged after it, before the restore, are gone with the lost database",
		v.AckedBefore, point.Round(time.Millisecond), v.LostAfter)
	return v
}

// backupExposure is, per kind but physical, the oldest the newest
// complete backup got
// between the first one's completion and the end of observation: just
// before each backup completes, the previous one is as old as it gets
// (docs/measurement.md, "Backups and restores").
func backupExposure(backups []firedrill.BackupResult, end time.Duration) []firedrill.BackupExposure {
	var order []string
	byKind := map[string][]firedrill.BackupResult{}
	for _, b := range backups {
		// A physical backup is restored with the archive's WAL on top:
		// its exposure is the archive's lag (Archive), not its age.
		if b.Error != "" || b.SnapshotMS == nil || b.Kind == "physical" {
			continue
		}
		if _, ok := byKind[b.Kind]; !ok {
			order = append(order, b.Kind)
		}
		byKind[b.Kind] = append(byKind[b.Kind], b)
	}
	var out []firedrill.BackupExposure
	for _, k := range order {
		bs := byKind[k]
		slices.SortFunc(bs, func(a, b firedrill.BackupResult) int { return cmpFloat(a.AtMS+a.SpanMS, b.AtMS+b.SpanMS) })
		e := firedrill.BackupExposure{Kind: k}
		consider := func(at float64, snapshot float64) {
			if age := at - snapshot; age > e.MaxAgeMS {
				e.MaxAgeMS, e.AtMS = age, at
			}
		}
		for i := 1; i < len(bs); i++ {
			consider(bs[i].AtMS+bs[i].SpanMS, *bs[i-1].SnapshotMS)
		}
		consider(firedrill.Millis(end), *bs[len(bs)-1].SnapshotMS)
		out = append(out, e)
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Archive scores the WAL archive sampler's readings (docs/measurement.md,
// "WAL archive lag"); nil without readings or failures.
func Archive(samples []firedrill.ArchiveSample, failed int, lastErr error) *firedrill.ArchiveResult {
	if len(samples) == 0 && failed == 0 {
		return nil
	}
	a := &firedrill.ArchiveResult{Readings: len(samples), FailedReadings: failed}
	if lastErr != nil {
		a.LastError = lastErr.Error()
	}
	var sum time.Duration
	known := 0
	// The archiver's counters restart with a node (a restore, a
	// promotion): growth is summed per node, over its own readings.
	first := map[string]firedrill.ArchiveSample{}
	last := map[string]firedrill.ArchiveSample{}
	for _, s := range samples {
		if _, ok := first[s.Node]; !ok {
			first[s.Node] = s
		}
		if l, ok := last[s.Node]; ok && (s.Archived < l.Archived || s.Failed < l.Failed) {
			a.Archived += l.Archived - first[s.Node].Archived
			a.ArchiveFailures += l.Failed - first[s.Node].Failed
			first[s.Node] = s
		}
		last[s.Node] = s
		if s.Failing {
			a.FailingReadings++
		}
		if !s.Known {
			a.Unknown++
			continue
		}
		known++
		sum += s.Exposure
		if ms := firedrill.Millis(s.Exposure); a.MaxExposureMS == nil || ms > *a.MaxExposureMS {
			at := firedrill.Millis(s.At)
			a.MaxExposureMS, a.MaxAtMS = &ms, &at
		}
	}
	for n, l := range last {
		a.Archived += l.Archived - first[n].Archived
		a.ArchiveFailures += l.Failed - first[n].Failed
	}
	if known > 0 {
		mean := firedrill.Millis(sum / time.Duration(known))
		a.MeanExposureMS = &mean
	}
	return a
}
