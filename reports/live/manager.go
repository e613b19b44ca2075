package live

import (
	"strings"
	"time"

	"github.com/firedrill/firedrill"
)

// ManagerState is what the failover manager is doing, read off its events
// (timeline.go, failover.*; docs/architecture.md, "The failover manager").
type ManagerState string

// The manager's states.
const (
	// ManagerDisabled: the scenario (or --no-failover) switched it off.
	ManagerDisabled ManagerState = "disabled"
	// ManagerStarting: it is enabled but has not started watching yet.
	ManagerStarting ManagerState = "starting"
	// ManagerWatching: it checks the primary every interval. The checks
	// themselves leave no event until the primary is declared failed: how
	// many in a row have failed (Manager.Failing) comes from the manager
	// itself (Source.Checks), when it tells.
	ManagerWatching ManagerState = "watching"
	// ManagerFencing: the primary was declared failed (failover.detect):
	// it is being fenced.
	ManagerFencing ManagerState = "fencing"
	// ManagerPromoting: the old primary is fenced (failover.fence); a
	// standby is being promoted.
	ManagerPromoting ManagerState = "promoting"
	// ManagerWithheld: the primary failed its checks but no standby was
	// reachable from the vantage point, or a recovery plan held the
	// cluster (failover.withheld). It lasts until a write sent after it is
	// acknowledged: the primary is served again.
	ManagerWithheld ManagerState = "withheld"
	// ManagerFailed: a failover attempt failed (failover.error); the
	// manager tries again at its next failing check. Like withheld, it
	// lasts until a write sent after it is acknowledged.
	ManagerFailed ManagerState = "failover failed"
	// ManagerStoodDown: a recovery plan owns the cluster (from
	// recovery.classified to its recovery.done or recovery.step_failed):
	// the manager does not fail over meanwhile (docs/architecture.md,
	// "Recovery plans").
	ManagerStoodDown ManagerState = "stood down"
)

// Manager is the failover manager's state.
type Manager struct {
	State ManagerState
	// Since is when the state began.
	Since time.Duration
	// Primary is the node it watches (after a promotion, the new one).
	Primary string
	// Detail is the event's own words for detect, withheld and error.
	Detail string
	// Promotions counts the failovers done so far.
	Promotions int
	// Blind is the latest period it was blind (no health verdict): the
	// manager records one when it ends (failover.blind). Zero Span: none.
	BlindAt, BlindSpan time.Duration
	// Failing of FailingOf: the checks in a row the primary has failed,
	// and how many the manager acts on, while watching; BlindNow and
	// BlindSince: it is blind now. Known only from Source.Checks.
	Failing, FailingOf int
	BlindNow           bool
	BlindSince         time.Duration
	// Stack names the HA stack the harness watches (failover.watch),
	// which has no fencing step; "" for the builtin manager.
	Stack string
}

// busy says whether the manager is in the middle of a failover.
func (m Manager) busy() bool { return m.State == ManagerFencing || m.State == ManagerPromoting }

// manager derives the failover manager's state from its events.
func (t *Tracker) manager(events []firedrill.Event) Manager {
	if scn := t.src.Scenario; scn != nil && !scn.DR.Failover.IsEnabled() {
		return Manager{State: ManagerDisabled}
	}
	m := Manager{State: ManagerStarting}
	planSince, inPlan := time.Duration(0), false
	for _, e := range events {
		switch e.Kind {
		case firedrill.EventManagerStart, firedrill.EventStackWatch:
			m = Manager{State: ManagerWatching, Since: e.At, Primary: e.Target}
			if scn := t.src.Scenario; scn != nil && e.Kind == firedrill.EventStackWatch {
				m.Stack = scn.DR.Failover.Manager
			}
		case firedrill.EventDetect:
			// An HA stack does not fence: after its detection it promotes.
			m.State, m.Since, m.Detail = ManagerFencing, e.At, e.Detail
			if m.Stack != "" {
				m.State = ManagerPromoting
			}
		case firedrill.EventFence:
			m.State, m.Since = ManagerPromoting, e.At
		case firedrill.EventPromote:
			// Dated when pg_promote was called: the promotion takes effect
			// inside the call (timeline.go), and the new primary may
			// acknowledge a write before the call returns.
			m.State, m.Since, m.Primary, m.Detail = ManagerWatching, e.At, e.Target, ""
			m.Promotions++
		case firedrill.EventFailoverWithheld:
			m.State, m.Since, m.Detail = ManagerWithheld, e.At, e.Detail
		case firedrill.EventFailoverError:
			m.State, m.Since, m.Detail = ManagerFailed, e.At, e.Detail
		case firedrill.EventFailoverBlind:
			m.BlindAt, m.BlindSpan = e.At, e.Span
		case firedrill.EventRecoveryClassified:
			planSince, inPlan = e.At, true
		case firedrill.EventRecoveryDone, firedrill.EventRecoveryStepFailed:
			inPlan = false
		}
	}
	// Withheld and failed end without an event: when the clients are
	// served again, the manager's checks pass again too.
	if (m.State == ManagerWithheld || m.State == ManagerFailed) && t.acknowledgedSince(m.Since) {
		m.State, m.Detail = ManagerWatching, ""
	}
	if inPlan && m.State != ManagerDisabled {
		m.State, m.Since = ManagerStoodDown, planSince
	}
	if t.src.Checks != nil && m.State != ManagerDisabled && m.State != ManagerStarting {
		ch := t.src.Checks()
		if m.State == ManagerWatching && ch.Primary == m.Primary {
			m.Failing, m.FailingOf = ch.Failing, ch.Of
		}
		m.BlindNow, m.BlindSince = ch.Blind, ch.BlindSince
	}
	return m
}

// DR is the DR engine's recovery plan and restore, if any.
type DR struct {
	// Plan is the failure type of the plan under way ("" none), since
	// PlanSince; Steps its steps as classified, Done how many have run.
	Plan      string
	PlanSince time.Duration
	Steps     []string
	Done      int
	// Restore is the restore's latest phase finished ("download",
	// "restore", "replay", "done", "failed"), "" when none ran.
	Restore string
	// LastPlan says how the latest plan that ended ended, "" if none did.
	LastPlan string
	// Backups counts the backups taken, BackupsFailed those that failed.
	Backups, BackupsFailed int
}

// Step is the step under way: its name when the plan listed it, else its
// number.
func (d DR) Step() string {
	if d.Done < len(d.Steps) {
		return d.Steps[d.Done]
	}
	return ""
}

// restorePhases name a restore's phase events (timeline.go, restore.*).
var restorePhases = map[firedrill.EventKind]string{
	firedrill.EventRestoreDownload: "download",
	firedrill.EventRestoreRestore:  "restore",
	firedrill.EventRestoreReplay:   "replay",
	firedrill.EventRestoreDone:     "done",
	firedrill.EventRestoreFailed:   "failed",
}

// planList is where recovery.classified's detail lists the plan's steps
// (dr/recovery: "<type> failure: <why>; running its plan: a, b, c").
const planList = "; running its plan: "

// recoveryState derives the DR engine's state from its events.
func recoveryState(events []firedrill.Event) DR {
	var d DR
	for _, e := range events {
		switch e.Kind {
		case firedrill.EventRecoveryClassified:
			d.Plan, d.PlanSince, d.Steps, d.Done, d.Restore = planType(e.Detail), e.At, nil, 0, ""
			if _, list, ok := strings.Cut(e.Detail, planList); ok && list != "" {
				d.Steps = strings.Split(list, ", ")
			}
		case firedrill.EventRecoveryStep:
			d.Done++
		case firedrill.EventRecoveryStepFailed:
			d.LastPlan = d.Plan + " plan failed: " + e.Detail
			d.Plan = ""
		case firedrill.EventRecoveryDone:
			d.LastPlan = e.Detail
			d.Plan = ""
		case firedrill.EventRestoreDownload, firedrill.EventRestoreRestore, firedrill.EventRestoreReplay,
			firedrill.EventRestoreDone, firedrill.EventRestoreFailed:
			d.Restore = restorePhases[e.Kind]
		case firedrill.EventBackupTaken:
			d.Backups++
		case firedrill.EventBackupFailed:
			d.BackupsFailed++
		}
	}
	return d
}

// planType is the failure type recovery.classified names first
// ("complete failure: ..." -> "complete").
func planType(detail string) string {
	if typ, _, ok := strings.Cut(detail, " failure:"); ok {
		return typ
	}
	return "recovery"
}
