package html

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/internal/human"
	"github.com/firedrill/firedrill/reports/internal/words"
)

// The tables under each drill's timeline: every fact the terminal summary
// gives (reports/terminal.go), laid out as tables. A figure that was not
// measured says so; it is never written as 0.

// maxListedIDs is how many lost (or failed-but-present) ids a table lists;
// the counts stay exact and result.json has them all.
const maxListedIDs = 50

const notMeasured = "not measured"

// rtoCell says how an outage ended, by its recovery state
// (docs/measurement.md, "RTO"): a measured RTO, never, unconfirmed,
// overlapped or no data, each in its own words.
func rtoCell(op string, rec firedrill.Recovery, rto, pending *float64, target float64, hasTarget bool) cell {
	switch rec {
	case firedrill.RecoveryRecovered:
		if rto == nil {
			return cell{notMeasured, "unsure"}
		}
		c := cell{Text: human.Millis(*rto), Class: "pass"}
		if hasTarget && *rto > target {
			c.Class = "fail"
		}
		return c
	case firedrill.RecoveryNever:
		return cell{"never recovered", "fail"}
	case firedrill.RecoveryUnconfirmed:
		if pending != nil {
			return cell{"unconfirmed: ok from " + human.Millis(*pending) + ", the run ended first", "unsure"}
		}
		return cell{"unconfirmed", "unsure"}
	case firedrill.RecoveryOverlapped:
		return cell{"no RTO of its own (overlapped)", "unsure"}
	case firedrill.RecoveryNoData:
		return cell{"no data: no " + op + " was sent after the injection", "unsure"}
	case firedrill.RecoveryNotInjected:
		return cell{"not injected", "unsure"}
	case firedrill.RecoverySkipped:
		return cell{"skipped", ""}
	}
	return cell{human.OrDash(string(rec)), ""}
}

func faultsSection(r firedrill.Result) section {
	target, hasTarget := rtoTarget(r)
	t := table{Head: []string{"id", "action", "target → nodes", "at", "evidence", "phases (from T)", "RTO", "reads RTO", "lost writes", "revert", "notes"}}
	for _, f := range r.Faults {
		nodes := f.Target
		if len(f.Nodes) > 0 {
			nodes += " → " + strings.Join(f.Nodes, ", ")
		}
		at := "scheduled " + human.Millis(f.ScheduledMS)
		if f.Injected {
			at = human.Millis(f.AtMS)
			if f.SpanMS > 0 {
				at += " (took " + human.Millis(f.SpanMS) + ")"
			}
			if f.ResolveMS != nil {
				at += ", resolved in " + human.Millis(*f.ResolveMS)
			}
		}
		phases := words.FaultPhases(f)
		reads := cell{Text: "-"}
		if f.Reads != nil {
			reads = rtoCell("read", f.Reads.Recovery, f.Reads.RTOMS, f.Reads.PendingMS, 0, false)
			if f.Reads.StoppedMS != nil {
				reads.Text += "; stopped at " + human.Millis(*f.Reads.StoppedMS)
			}
			if f.Reads.BackMS != nil {
				reads.Text += "; back at " + human.Millis(*f.Reads.BackMS)
			}
		}
		lost := cell{Text: notMeasured, Class: "unsure"}
		if f.Lost != nil {
			lost = cell{Text: strconv.Itoa(*f.Lost)}
			if f.RPOMS != nil {
				lost.Text += ", RPO " + human.Millis(*f.RPOMS)
			} else {
				lost.Text += ", RPO " + notMeasured
			}
		}
		if !f.Injected {
			lost = cell{Text: "-"}
		}
		revert := cell{Text: "-"}
		switch {
		case f.RevertError != "":
			revert = cell{"revert failed: " + f.RevertError, "fail"}
		case f.RevertedMS != nil:
			revert = cell{Text: "at " + human.Millis(*f.RevertedMS) + revertEvidence(r, f)}
		case f.Injected:
			revert = cell{Text: "never reverted"}
		}
		var notes []string
		for _, n := range []string{f.Overlap, f.Error} {
			if n != "" {
				notes = append(notes, n)
			}
		}
		if f.Reads != nil && f.Reads.Overlap != "" {
			notes = append(notes, "reads: "+f.Reads.Overlap)
		}
		for _, e := range r.Events {
			if e.Kind == firedrill.EventFailoverError && e.Injection == f.ID {
				notes = append(notes, "failover error at "+human.Millis(e.AtMS-f.AtMS)+": "+human.OrDash(e.Detail))
			}
		}
		t.Rows = append(t.Rows, []cell{{Text: f.ID}, {Text: f.Action}, {Text: nodes}, {Text: at}, {Text: human.OrDash(f.Evidence)},
			{Text: human.OrDash(strings.Join(phases, " · "))}, rtoCell("write", f.Recovery, f.RTOMS, f.PendingMS, target, hasTarget),
			reads, lost, revert, {Text: strings.Join(notes, "; ")}})
	}
	s := section{Title: "Faults", Tables: []table{t}}
	var res []string
	if r.WriteRate > 0 {
		res = append(res, "a write every "+human.Duration(time.Duration(float64(time.Second)/r.WriteRate)))
	}
	res = append(res, "stability window "+human.Millis(r.StabilityMS))
	s.Facts = append(s.Facts, fact{Label: "RTO resolution", Value: strings.Join(res, ", ")})
	if hasTarget {
		s.Facts = append(s.Facts, fact{Label: "RTO target", Value: human.Millis(target)})
	}
	if len(r.Faults) == 0 {
		s.Notes = append(s.Notes, fact{Value: "no fault was scheduled"})
	}
	return s
}

// idList writes at most maxListedIDs of ids, saying how many there are.
func idList(n int, ids []string) string {
	if len(ids) > maxListedIDs {
		return fmt.Sprintf("first %d of %d: %s …", maxListedIDs, n, strings.Join(ids[:maxListedIDs], " "))
	}
	if n > len(ids) {
		return fmt.Sprintf("first %d of %d: %s", len(ids), n, strings.Join(ids, " "))
	}
	return strings.Join(ids, " ")
}

// countOr writes a count, or not measured for a nil one.
func countOr(n *int) fact {
	if n == nil {
		return fact{Value: notMeasured, Class: "unsure"}
	}
	return fact{Value: strconv.Itoa(*n)}
}

func labelled(label string, f fact) fact { f.Label = label; return f }

func schedLag(l *firedrill.ScheduleLag) string {
	return "p50 " + human.Millis(l.P50MS) + " · p99 " + human.Millis(l.P99MS) + " · max " + human.Millis(l.MaxMS)
}

// countAtRate writes how many operations were sent, at the workload's
// rate when it has one: "1200 at 20/s".
func countAtRate(n int, perSecond float64) string {
	if perSecond <= 0 {
		return strconv.Itoa(n)
	}
	return strconv.Itoa(n) + " at " + strconv.FormatFloat(perSecond, 'f', -1, 64) + "/s"
}

func writesSection(r firedrill.Result) section {
	ws := r.Writes
	s := section{Title: "Writes", Facts: []fact{
		{Label: "attempted", Value: countAtRate(ws.Attempted, r.WriteRate)},
		{Label: "acked", Value: strconv.Itoa(ws.Acked)},
		{Label: "failed", Value: strconv.Itoa(ws.Failed)},
		{Label: "indeterminate", Value: strconv.Itoa(ws.Indeterminate)},
		labelled("lost", countOr(ws.Lost)),
	}}
	if ws.Lost != nil {
		if *ws.Lost > 0 {
			s.Facts[len(s.Facts)-1].Class = "fail"
		}
		s.Facts = append(s.Facts, fact{Label: "verified", Value: strconv.Itoa(ws.Verified)})
	}
	fbp := labelled("failed but present", countOr(ws.FailedButPresent))
	if ws.FailedButPresent != nil && *ws.FailedButPresent > 0 {
		fbp.Class = "unsure"
	}
	s.Facts = append(s.Facts, fbp)
	s.Facts = append(s.Facts, fact{Label: "RPO", Value: notMeasured, Class: "unsure"})
	if r.RPOMS != nil {
		s.Facts[len(s.Facts)-1] = fact{Label: "RPO", Value: human.Millis(*r.RPOMS)}
	}
	if r.ReadFrom != "" {
		s.Facts = append(s.Facts, fact{Label: "read back from", Value: r.ReadFrom})
	}
	if l := r.ScheduleLag; l != nil {
		s.Facts = append(s.Facts, fact{Label: "probe schedule lag", Value: schedLag(l)})
	}
	if r.HealthCheckPhaseMS != nil {
		s.Facts = append(s.Facts, fact{Label: "manager health-check phase", Value: human.Millis(*r.HealthCheckPhaseMS)})
	}
	if ws.Lost != nil && *ws.Lost > 0 && len(ws.LostIDs) > 0 {
		s.Notes = append(s.Notes, fact{Label: fmt.Sprintf("lost ids (%d)", *ws.Lost), Value: idList(*ws.Lost, ws.LostIDs), Class: "fail"})
	}
	if n := ws.FailedButPresent; n != nil && *n > 0 && len(ws.FailedButPresentIDs) > 0 {
		s.Notes = append(s.Notes, fact{Label: fmt.Sprintf("failed but present (%d)", *n), Value: idList(*n, ws.FailedButPresentIDs), Class: "unsure"})
	}
	if r.SplitBrain {
		s.Notes = append(s.Notes, fact{Label: "split brain", Value: "two nodes acknowledged writes at the same time (see the split_brain objective)", Class: "fail"})
	}
	return s
}

func readsSection(r firedrill.Result) *section {
	rs := r.Reads
	if rs == nil {
		return nil
	}
	s := &section{Title: "Reads", Facts: []fact{
		{Label: "sent", Value: countAtRate(rs.Sent, rs.RatePerS)}, {Label: "ok", Value: strconv.Itoa(rs.OK)}, {Label: "stale", Value: strconv.Itoa(rs.Stale)},
		{Label: "failed", Value: strconv.Itoa(rs.Failed)}, {Label: "indeterminate", Value: strconv.Itoa(rs.Indeterminate)},
		{Label: "stale on a primary", Value: strconv.Itoa(rs.StaleOnPrimary)}, {Label: "keyless", Value: strconv.Itoa(rs.Keyless)},
		{Label: "keys acked before", Value: human.Millis(rs.KeyAgeMS)},
	}}
	if l := rs.ScheduleLag; l != nil {
		s.Facts = append(s.Facts, fact{Label: "schedule lag", Value: schedLag(l)})
	}
	t := table{Caption: "who served the reads", Head: []string{"from", "stretch", "node", "role", "ok", "stale", "first–last", "unanswered"}}
	for _, p := range rs.Phases {
		from := "before the faults"
		if p.Injection != "" {
			from = "after " + p.Injection
		}
		stretch := human.Millis(p.FromMS) + "–" + human.Millis(p.ToMS)
		if len(p.Servers) == 0 {
			t.Rows = append(t.Rows, cells(from, stretch, "no read answered", "", "", "", "", strconv.Itoa(p.Unanswered)))
		}
		for i, sv := range p.Servers {
			unanswered := ""
			if i == 0 {
				unanswered = strconv.Itoa(p.Unanswered)
			}
			t.Rows = append(t.Rows, cells(from, stretch, human.OrDash(sv.Node), human.OrDash(sv.Role), strconv.Itoa(sv.OK), strconv.Itoa(sv.Stale),
				human.Millis(sv.FirstMS)+"–"+human.Millis(sv.LastMS), unanswered))
		}
	}
	s.Tables = append(s.Tables, t)
	return s
}

func uploadsSection(r firedrill.Result) *section {
	u := r.Uploads
	if u == nil || u.Sent == 0 {
		return nil
	}
	s := &section{Title: "Uploads", Facts: []fact{
		{Label: "sent", Value: countAtRate(u.Sent, u.RatePerS)}, {Label: "acked", Value: strconv.Itoa(u.OK)}, {Label: "failed", Value: strconv.Itoa(u.Failed)},
		{Label: "indeterminate", Value: strconv.Itoa(u.Indeterminate)}, labelled("lost", countOr(u.Lost)),
	}}
	if u.Lost != nil {
		s.Facts = append(s.Facts, fact{Label: "with other content", Value: strconv.Itoa(u.WrongContent)},
			fact{Label: "verified", Value: strconv.Itoa(u.Verified)}, fact{Label: "listed", Value: strconv.Itoa(u.Listed)})
		if *u.Lost > 0 && len(u.LostIDs) > 0 {
			s.Notes = append(s.Notes, fact{Label: fmt.Sprintf("lost ids (%d)", *u.Lost), Value: idList(*u.Lost, u.LostIDs), Class: "fail"})
		}
	}
	if u.ReadBackError != "" {
		s.Notes = append(s.Notes, fact{Label: "read-back", Value: u.ReadBackError, Class: "unsure"})
	}
	if l := u.ScheduleLag; l != nil {
		s.Facts = append(s.Facts, fact{Label: "schedule lag", Value: schedLag(l)})
	}
	return s
}

// managerSection lists each time the failover manager held back
// (docs/measurement.md, "Events"): withheld failovers and blind periods.
func managerSection(r firedrill.Result) *section {
	t := table{Head: []string{"at", "what", "node", "detail"}}
	for _, e := range r.Events {
		switch e.Kind {
		case firedrill.EventFailoverWithheld:
			t.Rows = append(t.Rows, cells(human.Millis(e.AtMS), "withheld a failover", human.OrDash(e.Target), human.OrDash(e.Detail)))
		case firedrill.EventFailoverBlind:
			t.Rows = append(t.Rows, cells(human.Millis(e.AtMS)+"–"+human.Millis(e.AtMS+e.SpanMS), "blind", human.OrDash(e.Target), human.OrDash(e.Detail)))
		}
	}
	if len(t.Rows) == 0 {
		return nil
	}
	return &section{Title: "Failover manager held back", Tables: []table{t}}
}

// lagRow is one standby's lag figures as a table row.
func lagRow(during string, st firedrill.ReplicaLagStats) []cell {
	if st.Streaming == 0 {
		return []cell{{Text: during}, {Text: st.Node}, {Text: "never streaming (" + strconv.Itoa(st.NotStreaming) + " readings)", Class: "unsure"},
			{Text: notMeasured}, {Text: notMeasured}, {Text: notMeasured}, {Text: strconv.Itoa(st.NotStreaming)}}
	}
	flush, replay := notMeasured, notMeasured
	if st.MaxFlushLagMS != nil && st.MeanFlushLagMS != nil {
		flush = human.Millis(*st.MaxFlushLagMS) + " (mean " + human.Millis(*st.MeanFlushLagMS) + ")"
	}
	if st.MaxReplayLagMS != nil {
		replay = human.Millis(*st.MaxReplayLagMS)
	}
	return cells(during, st.Node, fmt.Sprintf("%d readings", st.Streaming),
		human.Bytes(st.MaxUnflushedBytes)+" (mean "+human.Bytes(int64(st.MeanUnflushedBytes+0.5))+")", flush, replay,
		fmt.Sprintf("%d of %d", st.NotStreaming, st.Streaming+st.NotStreaming))
}

// exposureFact states the RPO exposure's figures (docs/measurement.md,
// "Replication lag and RPO exposure").
func exposureFact(label string, e *firedrill.RPOExposure) fact {
	if e.Replica == "" {
		return fact{Label: label, Value: "no standby was streaming at any reading: losing the primary would have lost every write since the standbys stopped", Class: "fail"}
	}
	v := fmt.Sprintf("worst at %s: a failover to %s would have lost %s of WAL", human.Millis(e.AtMS), e.Replica, human.Bytes(e.Bytes))
	if e.LagMS != nil {
		v += ", the writes of the last " + human.Millis(*e.LagMS)
	} else if e.Bytes > 0 {
		v += " (Postgres reported no flush lag then)"
	}
	if e.NoStandby > 0 {
		v += fmt.Sprintf("; no standby streaming at %d readings", e.NoStandby)
	}
	return fact{Label: label, Value: v}
}

func replicationSection(r firedrill.Result) *section {
	rep := r.Replication
	if rep == nil {
		return nil
	}
	s := &section{Title: "Replication", Facts: []fact{
		{Label: "read every", Value: human.Millis(rep.IntervalMS)},
		{Label: "readings", Value: strconv.Itoa(rep.Readings)},
		{Label: "failed readings", Value: strconv.Itoa(rep.Failed)},
	}}
	if rep.LastError != "" {
		s.Notes = append(s.Notes, fact{Label: "last failed reading", Value: rep.LastError, Class: "unsure"})
	}
	t := table{Head: []string{"during", "standby", "streaming", "unflushed WAL max", "flush lag max", "replay lag max", "not streaming"}}
	for _, st := range rep.Replicas {
		t.Rows = append(t.Rows, lagRow("whole drill", st))
	}
	for _, f := range rep.Faults {
		during := fmt.Sprintf("%s (%s–%s)", f.ID, human.Millis(f.FromMS), human.Millis(f.ToMS))
		if f.Readings == 0 {
			t.Rows = append(t.Rows, cells(during, "no reading", "", "", "", "", ""))
		}
		for _, st := range f.Replicas {
			t.Rows = append(t.Rows, lagRow(during, st))
		}
		if f.Exposure != nil {
			s.Notes = append(s.Notes, exposureFact("RPO exposure during "+f.ID, f.Exposure))
		}
	}
	s.Tables = append(s.Tables, t)
	if rep.Exposure != nil {
		s.Notes = append(s.Notes, exposureFact("RPO exposure", rep.Exposure))
	} else {
		s.Notes = append(s.Notes, fact{Label: "RPO exposure", Value: "no reading found a streaming standby: " + notMeasured, Class: "unsure"})
	}
	return s
}

func drSection(r firedrill.Result) *section {
	d := r.DR
	if d == nil {
		return nil
	}
	s := &section{Title: "Backups and restores", Facts: []fact{
		{Label: "backups", Value: strconv.Itoa(len(d.Backups))},
		{Label: "failed", Value: strconv.Itoa(d.BackupsFailed)},
	}}
	if d.BackupsFailed > 0 {
		s.Facts[1].Class = "unsure"
	}
	bt := table{Caption: "backups", Head: []string{"kind", "id", "at", "took", "size", "snapshot", "outcome"}}
	for _, b := range d.Backups {
		outcome, snap, size := cell{Text: "taken"}, "-", "-"
		if b.Error != "" {
			outcome = cell{"failed: " + b.Error, "fail"}
		}
		if b.SnapshotMS != nil {
			snap = human.Millis(*b.SnapshotMS)
			if b.SnapshotLSN != "" {
				snap += " (" + b.SnapshotLSN + ")"
			}
		}
		if b.SizeBytes > 0 {
			size = human.Bytes(b.SizeBytes)
		}
		bt.Rows = append(bt.Rows, append(cells(b.Kind, human.OrDash(b.ID), human.Millis(b.AtMS), human.Millis(b.SpanMS), size, snap), outcome))
	}
	for _, e := range d.Exposure {
		s.Notes = append(s.Notes, fact{Label: e.Kind + " exposure", Value: fmt.Sprintf("the newest %s backup was at worst %s old (at %s): a restore then would have lost that much",
			e.Kind, human.Millis(e.MaxAgeMS), human.Millis(e.AtMS))})
	}
	if a := d.Archive; a != nil {
		lag := fact{Label: "WAL archive lag", Value: notMeasured, Class: "unsure"}
		if a.MaxExposureMS != nil && a.MaxAtMS != nil && a.MeanExposureMS != nil {
			lag = fact{Label: "WAL archive lag", Value: "max " + human.Millis(*a.MaxExposureMS) + " at " + human.Millis(*a.MaxAtMS) + " · mean " + human.Millis(*a.MeanExposureMS)}
		}
		s.Facts = append(s.Facts, lag,
			fact{Label: "WAL readings", Value: fmt.Sprintf("%d (%d failed, %d before anything was archived)", a.Readings, a.FailedReadings, a.Unknown)},
			fact{Label: "WAL files archived", Value: strconv.FormatInt(a.Archived, 10)},
			fact{Label: "failed archive attempts", Value: strconv.FormatInt(a.ArchiveFailures, 10)})
		if a.LastError != "" {
			s.Notes = append(s.Notes, fact{Label: "WAL reading", Value: a.LastError, Class: "unsure"})
		}
	}
	rt := table{Caption: "restores", Head: []string{"restore", "at", "took", "phases", "recovery point", "amcheck", "verification", "outcome"}}
	for _, rs := range d.Restores {
		what := rs.Kind + " into " + rs.Node
		if rs.BackupID != "" {
			what += " from " + rs.BackupID
		}
		if rs.Target != "" && rs.Target != "latest" {
			what += " to " + rs.Target
		}
		for _, rej := range rs.Rejected {
			what += "; rejected (failed verification, not restored): " + rej
		}
		var phases []string
		for _, p := range words.RestorePhaseOrder {
			if ph, ok := rs.Phases[p.Key]; ok {
				phases = append(phases, p.Label+" "+human.Millis(ph.SpanMS))
			}
		}
		point := "-"
		if rs.RecoveryPointMS != nil {
			point = human.Millis(*rs.RecoveryPointMS) + " into the drill"
		}
		amcheck := cell{Text: human.OrDash(rs.Amcheck)}
		if rs.Amcheck != "" && !rs.AmcheckOK {
			amcheck.Class = "fail"
		}
		verification := cell{Text: "-"}
		if v := rs.Verification; v != nil {
			verification = cell{Text: "verified: " + v.Detail, Class: "pass"}
			if !v.Verified {
				verification = cell{Text: "NOT verified: " + v.Detail, Class: "fail"}
			}
		}
		outcome := cell{Text: "done", Class: "pass"}
		if rs.Error != "" {
			outcome = cell{"failed: " + rs.Error, "fail"}
		}
		rt.Rows = append(rt.Rows, []cell{{Text: what}, {Text: human.Millis(rs.AtMS)}, {Text: human.Millis(rs.SpanMS)},
			{Text: human.OrDash(strings.Join(phases, " · "))}, {Text: point}, amcheck, verification, outcome})
	}
	pt := table{Caption: "recovery plans", Head: []string{"plan", "step", "outcome", "at", "took", "detail"}}
	for _, p := range d.Plans {
		state := cell{Text: "done", Class: "pass"}
		if !p.Done {
			state = cell{"stopped", "fail"}
		}
		head := fmt.Sprintf("%s failure classified at %s (seen from %s): %s", p.Type, human.Millis(p.AtMS), human.Millis(p.SinceMS), p.Why)
		if p.Injection != "" {
			head = p.Injection + ": " + head
		}
		pt.Rows = append(pt.Rows, []cell{{Text: head}, {Text: ""}, state, {Text: human.Millis(p.AtMS)}, {Text: ""}, {Text: ""}})
		for i, st := range p.Steps {
			outcome := cell{Text: st.Outcome}
			if st.Outcome == "failed" {
				outcome.Class = "fail"
			}
			detail := st.Detail
			if st.Evidence != "" {
				detail = strings.TrimSpace(detail + " (evidence: " + st.Evidence + ")")
			}
			pt.Rows = append(pt.Rows, []cell{{Text: ""}, {Text: strconv.Itoa(i+1) + ". " + st.Name}, outcome,
				{Text: human.Millis(st.AtMS)}, {Text: human.Millis(st.SpanMS)}, {Text: detail}})
		}
	}
	s.Tables = append(s.Tables, bt, rt, pt)
	return s
}

func eventsSection(r firedrill.Result) section {
	t := table{Head: []string{"at", "span", "kind", "injection", "node", "detail", "evidence"}}
	events := slices.Clone(r.Events)
	slices.SortStableFunc(events, func(a, b firedrill.Event) int { return cmp.Compare(a.AtMS, b.AtMS) })
	for _, e := range events {
		span := ""
		if e.SpanMS > 0 {
			span = human.Millis(e.SpanMS)
		}
		node := e.Target
		if len(e.Nodes) > 0 {
			node = strings.Join(e.Nodes, ", ")
		}
		t.Rows = append(t.Rows, cells(human.Millis(e.AtMS), span, string(e.Kind), e.Injection, node, e.Detail, e.Evidence))
	}
	return section{Title: "Events", Tables: []table{t}}
}
