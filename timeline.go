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
	// EventAbort: an abort condition tripped and the drill stopped early;
	// Detail names the condition, its value and its threshold.
	EventAbort EventKind = "drill.abort"
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
	t.mu.Unlock()
	return e
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
