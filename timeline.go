package firedrill

import (
	"sort"
	"sync"
	"time"
)

// EventKind names what happened. Kinds are namespaced: fault.*, failover.*,
// drill.*, so reports can group them.
type EventKind string

// Event kinds recorded during a drill (docs/measurement.md, "Events").
const (
	EventDrillStart EventKind = "drill.start" // workload started; t=0 of the measurement
	// EventDrillEnd is stamped when the probe stops sending: the end of the
	// measured part. Writes still in flight then finish afterwards, but no
	// window can be observed past this instant.
	EventDrillEnd EventKind = "drill.end"
	// EventFaultInjected: a fault took effect. At is the instant the call
	// applying it began (after target resolution), At+Span the instant it
	// returned: the effect is certain from then on. Nodes are what it hit,
	// Evidence what shows it took effect.
	EventFaultInjected EventKind = "fault.injected"
	// EventFaultResolved: the targets of an injection were resolved; At is
	// when resolution began, Span how long it took.
	EventFaultResolved EventKind = "fault.resolved"
	EventFaultFailed   EventKind = "fault.failed" // a fault could not be injected; Detail says why
	// EventFaultSkipped: a scheduled injection was deliberately not made:
	// a monkey fault over monkey.max_at_once, or with nothing to hit at its
	// time, or any injection due after the drill was aborted. Detail says
	// why. It is not a failure: nothing was attempted.
	EventFaultSkipped EventKind = "fault.skipped"
	// EventFaultReverted: a fault was undone, at the end of its `for`, at
	// the end of the drill or on interrupt; Evidence shows the revert held.
	EventFaultReverted     EventKind = "fault.reverted"
	EventFaultRevertFailed EventKind = "fault.revert_failed"
	// EventManagerStart: a failover manager started watching; Detail gives
	// its health-check phase (docs/measurement.md, "Detection phase").
	EventManagerStart  EventKind = "failover.start"
	EventDetect        EventKind = "failover.detect"
	EventFence         EventKind = "failover.fence"
	EventPromote       EventKind = "failover.promote" // At: pg_promote called; At+Span: it returned
	EventFailoverError EventKind = "failover.error"   // the manager tried and failed; Detail says why
	// EventFailoverBlind: the manager had no health verdict from its
	// vantage point from At to At+Span (its watcher had died and was not
	// back yet), so it could not fail over then. Detail says why. Not
	// charged by the scorer: it says why the manager did not act.
	EventFailoverBlind EventKind = "failover.blind"
	// EventFailoverWithheld: the primary failed its checks from the
	// vantage point, but no standby was reachable from there either (the
	// app cut off or frozen): promoting one the clients cannot reach
	// helps nobody, so the manager did not fail over. Once per outage.
	EventFailoverWithheld EventKind = "failover.withheld"
	// EventStackWatch: the harness began watching an HA stack that fails
	// over by itself (Patroni, pg_auto_failover): Detail names the stack,
	// its settings, the leader and how the harness reads the stack's own
	// state. The stack's detections, promotions and demotions it sees are
	// recorded as failover.detect, failover.promote and failover.demote
	// (docs/measurement.md, "The HA stacks' events").
	EventStackWatch EventKind = "failover.watch"
	// EventDemote: an HA stack demoted a primary (it lost the leader's
	// lock, or its monitor told it to): At is when the harness saw it,
	// Detail the stack's words.
	EventDemote EventKind = "failover.demote"
	// EventAbort: an abort condition tripped and the drill stopped early;
	// Detail names the condition, its value and its threshold.
	EventAbort EventKind = "drill.abort"

	// The DR engine's backups (docs/architecture.md, "The DR engine").
	// EventBackupTaken: a backup is complete in the storage; At is when its
	// job started, Span how long it took, Detail its kind and id, Evidence
	// its size, checksum and snapshot.
	EventBackupTaken EventKind = "backup.taken"
	// EventBackupFailed: a scheduled backup did not complete; Detail says
	// why (the storage down, the database unreachable...).
	EventBackupFailed EventKind = "backup.failed"
	// EventBackupRejected: a backup failed verification (its checksum or
	// size) and was not restored; Detail names it and says why.
	EventBackupRejected EventKind = "backup.rejected"
	// EventBackupPruned: retention deleted older backups; Detail lists them.
	EventBackupPruned EventKind = "backup.pruned"

	// Restores, one event per phase, each with its Span: the download of
	// the backup (with its verification), the restore itself (pg_restore,
	// or the extraction of a base backup), the replay of archived WAL up to
	// the recovery target, and the first write acknowledged afterwards.
	// EventRestoreDone closes a restore that succeeded (Evidence: the
	// backup restored, the recovery point, amcheck's verdict);
	// EventRestoreFailed one that did not.
	EventRestoreDownload   EventKind = "restore.download"
	EventRestoreRestore    EventKind = "restore.restore"
	EventRestoreReplay     EventKind = "restore.replay"
	EventRestoreFirstWrite EventKind = "restore.first_write"
	EventRestoreDone       EventKind = "restore.done"
	EventRestoreFailed     EventKind = "restore.failed"

	// Recovery plans. EventRecoveryClassified: the engine classified a
	// failure (Detail: its type and what it observed) and starts that
	// type's plan. EventRecoveryStep: one step ran; Span is its duration,
	// Detail its name and outcome. EventRecoveryStepFailed: a step failed
	// and the plan stopped there. EventRecoveryDone: every step of the
	// plan succeeded.
	EventRecoveryClassified EventKind = "recovery.classified"
	EventRecoveryStep       EventKind = "recovery.step"
	EventRecoveryStepFailed EventKind = "recovery.step_failed"
	EventRecoveryDone       EventKind = "recovery.done"
	// EventRedundancyRestored: every standby streams from the current
	// primary again, as many as at the start: full redundancy is back.
	EventRedundancyRestored EventKind = "redundancy.restored"

	// Notifications: a webhook delivered (Span: how long, retries
	// included) or given up on (Detail says why). Target is the receiver's
	// scheme and host, never its secret path.
	EventNotifySent   EventKind = "notify.sent"
	EventNotifyFailed EventKind = "notify.failed"
)

// Event is one thing that happened during a drill, stamped with the offset
// from the run's start on the harness's monotonic clock.
type Event struct {
	At   time.Duration `json:"-"`
	AtMS float64       `json:"at_ms"`
	// Span is how long the action the event records took: it began at At
	// and was certainly in effect by At+Span. Zero for an observation.
	Span   time.Duration `json:"-"`
	SpanMS float64       `json:"span_ms,omitempty"`
	Kind   EventKind     `json:"kind"`
	// Injection is the id of the injection the event belongs to (see
	// Injection.ID), empty when it belongs to none.
	Injection string `json:"injection,omitempty"`
	// Target is the node the event concerns; Nodes lists every node when
	// an injection hit several.
	Target   string   `json:"target,omitempty"`
	Nodes    []string `json:"nodes,omitempty"`
	Detail   string   `json:"detail,omitempty"`
	Evidence string   `json:"evidence,omitempty"`
}

// Timeline is the clock of a drill and the ordered record of its events. It
// is safe for concurrent use: the schedule, the failover manager and the
// probe all stamp events on the same Timeline.
type Timeline struct {
	start time.Time // carries a monotonic reading

	mu     sync.Mutex
	events []Event
	subs   []*subscription
}

// NewTimeline starts a Timeline whose zero is now.
func NewTimeline() *Timeline { return NewTimelineAt(time.Now()) }

// NewTimelineAt starts a Timeline whose zero is start. start must come from
// time.Now so that it carries a monotonic reading.
func NewTimelineAt(start time.Time) *Timeline { return &Timeline{start: start} }

// Start is the wall-clock instant of offset zero, for labels only.
func (t *Timeline) Start() time.Time { return t.start }

// Now is the current offset from the start, on the monotonic clock.
func (t *Timeline) Now() time.Duration { return time.Since(t.start) }

// Record stamps an event of no injection now and returns it.
func (t *Timeline) Record(kind EventKind, target, detail string) Event {
	return t.Add(Event{At: t.Now(), Kind: kind, Target: target, Detail: detail})
}

// Add stores e as given (At is an offset measured by the caller, possibly
// earlier than now) and returns it with its millisecond fields filled.
func (t *Timeline) Add(e Event) Event {
	e.AtMS = Millis(e.At)
	e.SpanMS = Millis(e.Span)
	e.Nodes = append([]string(nil), e.Nodes...)
	t.mu.Lock()
	t.events = append(t.events, e)
	subs := append([]*subscription(nil), t.subs...)
	t.mu.Unlock()
	for _, s := range subs {
		s.push(e)
	}
	return e
}

// Subscribe streams every event added from now on, in the order added,
// until cancel is called: for parts that react to what others record (the
// notifier). Adding an event never waits for a subscriber: each has a
// queue of its own, so a slow webhook cannot slow the failover manager.
func (t *Timeline) Subscribe() (events <-chan Event, cancel func()) {
	s := &subscription{out: make(chan Event), wake: make(chan struct{}, 1), done: make(chan struct{})}
	t.mu.Lock()
	t.subs = append(t.subs, s)
	t.mu.Unlock()
	go s.pump()
	var once sync.Once
	return s.out, func() {
		once.Do(func() {
			t.mu.Lock()
			for i, x := range t.subs {
				if x == s {
					t.subs = append(t.subs[:i], t.subs[i+1:]...)
					break
				}
			}
			t.mu.Unlock()
			close(s.done)
		})
	}
}

// subscription is one Subscribe's queue.
type subscription struct {
	mu    sync.Mutex
	queue []Event
	out   chan Event
	wake  chan struct{}
	done  chan struct{}
}

func (s *subscription) push(e Event) {
	s.mu.Lock()
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pump hands queued events to the reader; it closes out once cancelled.
func (s *subscription) pump() {
	defer close(s.out)
	for {
		s.mu.Lock()
		var next *Event
		if len(s.queue) > 0 {
			next = &s.queue[0]
		}
		s.mu.Unlock()
		if next == nil {
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		select {
		case s.out <- *next:
			s.mu.Lock()
			s.queue = s.queue[1:]
			s.mu.Unlock()
		case <-s.done:
			return
		}
	}
}

// Events returns a copy of the events ordered by time.
func (t *Timeline) Events() []Event {
	t.mu.Lock()
	out := append([]Event(nil), t.events...)
	t.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// Millis converts a duration to fractional milliseconds for JSON output.
func Millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
