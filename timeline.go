package firedrill

import (
	"sort"
	"sync"
	"time"
)

// EventKind names what happened. Kinds are namespaced: fault.*, failover.*,
// drill.*, so reports can group them.
type EventKind string

// Event kinds recorded during a drill.
const (
	EventDrillStart    EventKind = "drill.start"    // workload started; t=0 of the measurement
	EventDrillEnd      EventKind = "drill.end"      // timeline finished, workload stopped
	EventFaultInjected EventKind = "fault.injected" // a fault took effect
	EventFaultFailed   EventKind = "fault.failed"   // a fault could not be injected
	EventFaultReverted EventKind = "fault.reverted" // a fault was undone
	EventDetect        EventKind = "failover.detect"
	EventFence         EventKind = "failover.fence"
	EventPromote       EventKind = "failover.promote"
	EventFailoverError EventKind = "failover.error" // the manager tried and failed; Detail says why
	EventAbort         EventKind = "drill.abort"
)

// Event is one thing that happened during a drill, stamped with the offset
// from the run's start on the harness's monotonic clock.
type Event struct {
	At     time.Duration `json:"-"`
	AtMS   float64       `json:"at_ms"`
	Kind   EventKind     `json:"kind"`
	Target string        `json:"target,omitempty"`
	Detail string        `json:"detail,omitempty"`
	// Fault is the index of the scenario fault this event belongs to, or -1.
	Fault int `json:"fault"`
}

// Timeline is the clock of a drill and the ordered record of its events. It
// is safe for concurrent use: the fault scheduler, the failover manager and
// the probe all stamp events on the same Timeline.
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

// Record stamps an event now and returns it.
func (t *Timeline) Record(kind EventKind, fault int, target, detail string) Event {
	return t.RecordAt(t.Now(), kind, fault, target, detail)
}

// RecordAt stores an event at a given offset: used when the instant was
// measured earlier than it is recorded (e.g. the first failed health check).
func (t *Timeline) RecordAt(at time.Duration, kind EventKind, fault int, target, detail string) Event {
	e := Event{At: at, AtMS: Millis(at), Kind: kind, Target: target, Detail: detail, Fault: fault}
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
