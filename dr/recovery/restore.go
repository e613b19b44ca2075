package recovery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr"
	"github.com/firedrill/firedrill/dr/jobs"
	"github.com/firedrill/firedrill/dr/store"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// Restore is one restore a plan made, as the scorer needs it
// (docs/measurement.md, "Backups and restores").
type Restore struct {
	Kind string // logical, physical, files
	Node string
	// Manifest is the backup restored (nil when the restore failed before
	// one was chosen); Rejected the newer ones that failed verification.
	Manifest *store.Manifest
	Rejected []string
	// Target is a physical restore's recovery target, as the job took it.
	Target string
	// At and Span cover the whole restore, from the step's start to the
	// database (or the files) being back.
	At, Span time.Duration
	Phases   []Phase
	// RecoveryPoint is the instant, on the drill's clock, up to which the
	// restored data is complete: a logical backup's snapshot, the last
	// transaction a point-in-time restore replayed, a files backup's
	// start. Every write acknowledged before it must be there.
	RecoveryPoint    time.Duration
	HasRecoveryPoint bool
	// Amcheck is what amcheck found in the restored database.
	Amcheck *jobs.Amcheck
	// FirstWrite is when the first write after the restore was
	// acknowledged (HasFirstWrite false when none was in time).
	FirstWrite    time.Duration
	HasFirstWrite bool
	Err           string
}

// Phase is one phase of a restore on the drill's clock.
type Phase struct {
	Name     string // download, restore, replay, first_write
	At, Span time.Duration
	Bytes    int64
}

// PhaseProvision is the part of a restore before the restore job's first
// phase: the fresh node started (for a logical restore, its empty
// database initialised).
const PhaseProvision = "provision"

func firstPhase(ps []Phase) (time.Duration, bool) {
	if len(ps) == 0 {
		return 0, false
	}
	first := ps[0].At
	for _, p := range ps[1:] {
		first = min(first, p.At)
	}
	return first, true
}

func init() {
	Register(scenarios.StepRestoreLatestBackup, func(d Deps, e *Engine) Step {
		return stepFunc(func(ctx context.Context, f Failure) (Outcome, error) {
			kind := store.KindLogical
			if scenarios.HasBackup(d.Scenario, scenarios.BackupPhysical) {
				kind = store.KindPhysical // base backup plus every archived segment: the newer point
			}
			return (&restorer{d: d, e: e}).database(ctx, f, kind, jobs.TargetLatest)
		})
	})
	Register(scenarios.StepRestorePointInTime, func(d Deps, e *Engine) Step {
		return stepFunc(func(ctx context.Context, f Failure) (Outcome, error) {
			target, err := physicalTarget(d, f)
			if err != nil {
				return Outcome{}, err
			}
			return (&restorer{d: d, e: e}).database(ctx, f, store.KindPhysical, target)
		})
	})
	Register(scenarios.StepRestoreFiles, func(d Deps, e *Engine) Step {
		return stepFunc(func(ctx context.Context, f Failure) (Outcome, error) { return (&restorer{d: d, e: e}).files(ctx, f) })
	})
}

// physicalTarget turns dr.recovery.target into the job's --target.
func physicalTarget(d Deps, f Failure) (string, error) {
	t, err := scenarios.ParseRecoveryTarget(d.Scenario.DR.Recovery.Target)
	if err != nil {
		return "", err
	}
	wall := func(at time.Duration) string {
		return jobs.TargetTime + ":" + d.Timeline.Start().Add(at).UTC().Format(time.RFC3339Nano)
	}
	switch {
	case t.BeforeFault:
		if !f.HasInjection {
			return "", errors.New("the target is before-fault, and no fault was in effect when the failure began")
		}
		return wall(f.InjectedAt), nil
	case t.AtSet:
		return wall(t.At), nil
	case t.LSN != "":
		return "lsn:" + t.LSN, nil
	case t.Name != "":
		return jobs.TargetName + ":" + t.Name, nil
	}
	return jobs.TargetLatest, nil
}

// restorer is one restore: it stamps each phase as the job reports it.
type restorer struct {
	d Deps
	e *Engine

	mu  sync.Mutex
	rec Restore
	// promoted is when the server's log says it left recovery and took
	// writes (zero until it does, or when its stamp cannot be read).
	promoted time.Time
	// back is when the restored database took clients, on the drill's
	// clock, when that is not the end of the restore (a point-in-time
	// restore's promotion, before its amcheck): the first write counts
	// from it.
	back time.Duration
}

// The server's log line when it accepts writes: after a point-in-time
// restore's promotion. In recovery, it accepted "read-only connections".
const promotedLine = "LOG:  database system is ready to accept connections"

// isPromotion says whether a line of a restored node's log is its
// promotion.
func isPromotion(line string) bool { return strings.HasSuffix(strings.TrimSpace(line), promotedLine) }

// promotionTime reads the instant a promotion line carries: the official
// image logs with Postgres's default log_line_prefix, '%m [%p] ', a
// timestamp to the millisecond in the server's log_timezone, UTC in the
// image. Any other zone is not trusted (an abbreviation Go cannot place
// would be read as UTC): the caller falls back to its own observation.
func promotionTime(line string) (time.Time, bool) {
	const layout = "2006-01-02 15:04:05.000 MST"
	line = strings.TrimSpace(line)
	if !isPromotion(line) || len(line) < len(layout) {
		return time.Time{}, false
	}
	stamp := line[:len(layout)]
	if !strings.HasSuffix(stamp, " UTC") {
		return time.Time{}, false
	}
	t, err := time.Parse(layout, stamp)
	return t, err == nil
}

// onLine takes a line of the restored node's log.
func (r *restorer) onLine(line string) {
	if rep, ok := jobs.Parse(line); ok {
		r.onReport(rep)
		return
	}
	if t, ok := promotionTime(line); ok {
		r.mu.Lock()
		r.promoted = t
		r.mu.Unlock()
	}
}

// lastPhaseEnd is when the restore job's last phase ended.
func (r *restorer) lastPhaseEnd() (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var end time.Duration
	for _, p := range r.rec.Phases {
		end = max(end, p.At+p.Span)
	}
	return end, len(r.rec.Phases) > 0
}

func (r *restorer) onReport(rep jobs.Report) {
	tl := r.d.Timeline
	r.mu.Lock()
	defer r.mu.Unlock()
	switch rep.Type {
	case jobs.TypeRejected:
		r.rec.Rejected = append(r.rec.Rejected, rep.BackupID+": "+rep.Detail)
		tl.Record(firedrill.EventBackupRejected, r.rec.Node, fmt.Sprintf("%s backup %s failed verification and was not restored: %s", r.rec.Kind, rep.BackupID, rep.Detail))
	case jobs.TypePhase:
		kind, name := phaseEvent(rep.Phase)
		if kind == "" || rep.Start.IsZero() {
			return
		}
		end := rep.End
		if end.IsZero() {
			end = time.Now()
		}
		at := dr.OffsetOf(rep.Start, tl.Start())
		ph := Phase{Name: name, At: at, Span: end.Sub(rep.Start), Bytes: rep.Bytes}
		r.rec.Phases = append(r.rec.Phases, ph)
		detail := name + " of " + r.rec.Kind + " backup " + rep.BackupID
		if rep.Detail != "" {
			detail += ": " + rep.Detail
		}
		tl.Add(firedrill.Event{At: ph.At, Span: ph.Span, Kind: kind, Target: r.rec.Node, Detail: detail})
	case jobs.TypeResult:
		if rep.Manifest != nil {
			m := *rep.Manifest
			r.rec.Manifest = &m
		}
		if rep.Amcheck != nil {
			am := *rep.Amcheck
			r.rec.Amcheck = &am
		}
	}
}

// phaseEvent maps a job's phase to the restore phase it is.
func phaseEvent(phase string) (firedrill.EventKind, string) {
	switch phase {
	case jobs.PhaseDownload:
		return firedrill.EventRestoreDownload, "download"
	case jobs.PhaseRestore, jobs.PhaseExtract:
		return firedrill.EventRestoreRestore, "restore"
	}
	return "", ""
}

// database restores the database of the lost primary into a fresh
// container under its name, from the newest valid backup of kind.
func (r *restorer) database(ctx context.Context, f Failure, kind, target string) (Outcome, error) {
	d := r.d
	if p, err := d.Cluster.Primary(ctx); err == nil && !(f.Corrupt && p == f.Primary) {
		return Outcome{Skipped: true, Target: p, Detail: p + " is a writable primary: restoring a backup over it would lose the writes it has"}, nil
	}
	node := f.Primary
	if node == "" {
		node = topology.NodePrimary
	}
	tl := d.Timeline
	r.rec = Restore{Kind: kind, Node: node, At: tl.Now(), Target: target}
	repl := Replacement{OnLine: r.onLine}
	if kind == store.KindLogical {
		repl.InitDB = []string{"restore", "logical", "--dsn-socket"}
	} else {
		repl.BeforeStart = []string{"restore", "physical", "--pgdata", topology.PostgresData, "--target", target}
		// The log dates the promotion; a poll would only bound it.
		repl.Until = isPromotion
	}
	err := d.Rebuild.ReplacePostgres(ctx, node, repl)
	if err == nil && kind == store.KindPhysical {
		err = r.replay(ctx, node)
	}
	if err == nil {
		r.verify(ctx, node)
	}
	return r.finish(ctx, node, err)
}

// replay waits for a point-in-time restore's server to reach its target
// and promote itself, and records the replay phase: from the end of the
// restore job (the server started on the restored directory) to the
// promotion the server logged, or, when the log gave no instant, to when
// the server was seen out of recovery.
func (r *restorer) replay(ctx context.Context, node string) error {
	tl := r.d.Timeline
	at := tl.Now()
	if end, ok := r.lastPhaseEnd(); ok && end < at {
		at = end
	}
	for {
		inRecovery, err := r.d.Cluster.InRecovery(ctx, node)
		if err == nil && !inRecovery {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s to replay the archived WAL and promote: %w", node, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	end := tl.Now()
	r.mu.Lock()
	if !r.promoted.IsZero() {
		if p := dr.OffsetOf(r.promoted, tl.Start()); p >= at && p <= end {
			end = p
		}
	}
	r.back = end
	r.mu.Unlock()
	span := end - at
	// Promoted: the recovery target has done its work, and a replica
	// re-seeded from this node would inherit it (jobs.RecoveryTargetSettings).
	for _, setting := range jobs.RecoveryTargetSettings {
		if _, err := r.d.Cluster.Run(ctx, node, "ALTER SYSTEM RESET "+setting); err != nil {
			return fmt.Errorf("clear the recovery target on %s: %w", node, err)
		}
	}
	ev := firedrill.Event{At: at, Span: span, Kind: firedrill.EventRestoreReplay, Target: node, Detail: "replay of archived WAL up to " + r.rec.Target + ", then promotion"}
	if until, err := r.d.Cluster.ReplayedUntil(ctx, node); err == nil && !until.IsZero() {
		r.mu.Lock()
		r.rec.RecoveryPoint, r.rec.HasRecoveryPoint = dr.OffsetOf(until, tl.Start()), true
		r.mu.Unlock()
		ev.Evidence = fmt.Sprintf("last transaction replayed committed at %s on the drill's clock", r.rec.RecoveryPoint.Round(time.Millisecond))
	}
	tl.Add(ev)
	r.mu.Lock()
	r.rec.Phases = append(r.rec.Phases, Phase{Name: "replay", At: at, Span: span})
	r.mu.Unlock()
	return nil
}

// verify runs amcheck on a restored database that the restore job did not
// check itself (a point-in-time restore, checked once promoted).
func (r *restorer) verify(ctx context.Context, node string) {
	r.mu.Lock()
	done := r.rec.Amcheck != nil
	r.mu.Unlock()
	if done {
		return
	}
	// A job beside the clients, through the jobs' connection string: the
	// restored node is the writable primary now.
	out := dr.RunJob(ctx, r.d.Runtime, topology.NodeApp, []string{"amcheck"}, r.d.JobEnv, nil)
	am := &jobs.Amcheck{}
	switch {
	case out.Err != nil:
		am.Error = out.Err.Error()
	case out.Result != nil && out.Result.Amcheck != nil:
		am = out.Result.Amcheck
	default:
		am.Error = "the amcheck job reported no verdict"
	}
	r.mu.Lock()
	r.rec.Amcheck = am
	r.mu.Unlock()
}

// finish closes a restore: its events, the wait for the first write, the
// record for the scorer.
func (r *restorer) finish(ctx context.Context, node string, err error) (Outcome, error) {
	tl := r.d.Timeline
	r.mu.Lock()
	rec := r.rec
	r.mu.Unlock()
	rec.Span = tl.Now() - rec.At
	if first, ok := firstPhase(rec.Phases); ok && first > rec.At {
		// What came before the job's first phase: a fresh container and
		// its empty database (docs/measurement.md, "Backups and restores").
		rec.Phases = append([]Phase{{Name: PhaseProvision, At: rec.At, Span: first - rec.At}}, rec.Phases...)
	}
	if rec.Manifest != nil && !rec.HasRecoveryPoint && rec.Kind != store.KindPhysical {
		rec.RecoveryPoint, rec.HasRecoveryPoint = dr.OffsetOf(rec.Manifest.SnapshotTime, tl.Start()), true
	}
	if err == nil && rec.Amcheck != nil && (len(rec.Amcheck.Corrupt) > 0 || rec.Amcheck.Error != "") {
		err = fmt.Errorf("amcheck on the restored database: %s", AmcheckText(rec.Amcheck))
	}
	out := Outcome{Target: node, Evidence: restoreEvidence(rec, tl.Start())}
	if err != nil {
		rec.Err = err.Error()
		tl.Add(firedrill.Event{At: rec.At, Span: rec.Span, Kind: firedrill.EventRestoreFailed, Target: node,
			Detail: fmt.Sprintf("%s restore into %s failed: %s", rec.Kind, node, rec.Err), Evidence: out.Evidence})
		r.e.addRestore(rec)
		return out, err
	}
	tl.Add(firedrill.Event{At: rec.At, Span: rec.Span, Kind: firedrill.EventRestoreDone, Target: node,
		Detail: fmt.Sprintf("%s restore into %s done", rec.Kind, node), Evidence: out.Evidence})
	i := r.e.addRestore(rec)
	if rec.Kind != store.KindFiles {
		// The first write may wait for the rest of the plan (an app to
		// rebuild): watched beside it, not in its way. It counts from
		// when the database took clients.
		done := rec.At + rec.Span
		r.mu.Lock()
		if r.back > 0 {
			done = r.back
		}
		r.mu.Unlock()
		r.e.watchers.Go(func() {
			if ack, ok := r.firstWrite(ctx, done); ok {
				tl.Add(firedrill.Event{At: done, Span: ack - done, Kind: firedrill.EventRestoreFirstWrite, Target: node,
					Detail: "first write acknowledged after the restore"})
				r.e.firstWrite(i, Phase{Name: "first_write", At: done, Span: ack - done})
			}
		})
	}
	out.Detail = fmt.Sprintf("restored %s backup %s into %s", rec.Kind, manifestID(rec.Manifest), node)
	return out, nil
}

// firstWrite waits, until ctx ends, for the first write sent after from
// and acknowledged.
func (r *restorer) firstWrite(ctx context.Context, from time.Duration) (time.Duration, bool) {
	seen := 0
	for {
		for _, op := range r.d.Ops.OpsSince(seen) {
			seen++
			if op.Kind == "write" && op.Outcome == firedrill.OutcomeOK && op.Sent >= from {
				return op.Done, true
			}
		}
		select {
		case <-ctx.Done():
			return 0, false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// files restores the newest valid files backup into the app's uploads;
// an app that is not running is lost with its disk and is rebuilt fresh
// first (docs/architecture.md, "Recovery plans").
func (r *restorer) files(ctx context.Context, f Failure) (Outcome, error) {
	d := r.d
	tl := d.Timeline
	r.rec = Restore{Kind: store.KindFiles, Node: topology.NodeApp, At: tl.Now()}
	var rebuilt bool
	if st, err := d.Runtime.State(ctx, topology.NodeApp); err != nil || !st.Running() {
		if err := d.Rebuild.ReplaceApp(ctx); err != nil {
			return r.finish(ctx, topology.NodeApp, fmt.Errorf("rebuild the app: %w", err))
		}
		rebuilt = true
	}
	out := dr.RunJob(ctx, d.Runtime, topology.NodeApp, []string{"restore", "files", "--dir", dr.UploadsDir}, d.JobEnv, r.onReport, platform.WithVolume())
	res, err := r.finish(ctx, topology.NodeApp, out.Err)
	if rebuilt {
		res.Detail = "rebuilt the app fresh, then " + res.Detail
	}
	return res, err
}

func manifestID(m *store.Manifest) string {
	if m == nil {
		return "(none)"
	}
	return m.ID
}

// AmcheckText says what amcheck found, in words.
func AmcheckText(am *jobs.Amcheck) string {
	switch {
	case am.Error != "":
		return "could not run: " + am.Error
	case len(am.Corrupt) > 0:
		return fmt.Sprintf("%d of %d indexes corrupt: %s", len(am.Corrupt), am.Indexes, strings.Join(am.Corrupt, ", "))
	}
	return fmt.Sprintf("%d indexes checked, none corrupt", am.Indexes)
}

// restoreEvidence says what was restored and what shows it worked.
func restoreEvidence(rec Restore, start time.Time) string {
	var parts []string
	if rec.Manifest != nil {
		parts = append(parts, fmt.Sprintf("%s backup %s (%s)", rec.Kind, rec.Manifest.ID, dr.ManifestEvidence(*rec.Manifest, start)))
	}
	if len(rec.Rejected) > 0 {
		parts = append(parts, fmt.Sprintf("%d newer backup(s) rejected: %s", len(rec.Rejected), strings.Join(rec.Rejected, "; ")))
	}
	if rec.HasRecoveryPoint {
		parts = append(parts, "recovery point "+rec.RecoveryPoint.Round(time.Millisecond).String())
	}
	if rec.Amcheck != nil {
		parts = append(parts, "amcheck: "+AmcheckText(rec.Amcheck))
	}
	return strings.Join(parts, "; ")
}
