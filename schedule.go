package firedrill

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// Injection sources.
const (
	SourceTimeline = "timeline" // timeline.faults[i]
	SourceMonkey   = "monkey"   // drawn by the monkey from the run's seed
)

// Injection is one fault to inject at one time: a scheduled entry of the
// drill. Every event it causes carries its ID, and every measurement is
// charged to it (docs/measurement.md, "Charging"), so a monkey fault or a
// fault that hits several nodes has a slot of its own.
type Injection struct {
	// ID is unique in the drill: "f<i>" for timeline.faults[i], "m<n>" for
	// the monkey's n-th fault.
	ID     string `json:"id"`
	Source string `json:"source"`
	// Index is the position in timeline.faults, or -1.
	Index int `json:"index"`
	// At is the scheduled offset; For how long a reversible fault lasts
	// (0: until the end of the drill for a reversible fault without one,
	// or not applicable).
	At  time.Duration `json:"-"`
	For time.Duration `json:"-"`
	// AtMS and ForMS are At and For in milliseconds, for JSON.
	AtMS  float64 `json:"scheduled_ms"`
	ForMS float64 `json:"for_ms,omitempty"`
	// Fault is the fault as the scenario describes it: action, target or
	// selector, params.
	Fault scenarios.Fault `json:"-"`
	// Action and Target are copied from Fault for reports; Target is the
	// selector's text when the fault has one.
	Action string `json:"action"`
	Target string `json:"target"`
}

// Label names the injection for people: "f0 (kill postgres.primary)".
func (in Injection) Label() string {
	return fmt.Sprintf("%s (%s %s)", in.ID, in.Action, in.Target)
}

// TimelineInjection is the injection of timeline.faults[i].
func TimelineInjection(i int, f scenarios.Fault) Injection {
	return newInjection(fmt.Sprintf("f%d", i), SourceTimeline, i, f)
}

// MonkeyInjection is the monkey's n-th fault (n from 1), as the monkey
// drew it (chaos.MonkeySchedule): its id is "m<n>".
func MonkeyInjection(n int, f scenarios.Fault) Injection {
	return newInjection(fmt.Sprintf("m%d", n), SourceMonkey, -1, f)
}

func newInjection(id, source string, index int, f scenarios.Fault) Injection {
	in := Injection{ID: id, Source: source, Index: index, At: f.At.Duration,
		Fault: f, Action: f.Action, Target: f.Target}
	if f.For != nil {
		in.For = f.For.Duration
	}
	if f.Selector != nil {
		in.Target = f.Selector.String()
	}
	in.AtMS, in.ForMS = Millis(in.At), Millis(in.For)
	return in
}

// Schedule is the drill's list of injections in time order. The timeline's
// faults are on it from the start; the monkey adds its own.
type Schedule struct {
	entries []Injection
}

// NewSchedule holds the scenario's timeline faults.
func NewSchedule(scn *scenarios.Scenario) *Schedule {
	s := &Schedule{}
	for i, f := range scn.Timeline.Faults {
		s.Add(TimelineInjection(i, f))
	}
	return s
}

// Add puts an injection on the schedule, keeping it in time order (stable
// for equal times).
func (s *Schedule) Add(in Injection) {
	s.entries = append(s.entries, in)
	sort.SliceStable(s.entries, func(i, j int) bool { return s.entries[i].At < s.entries[j].At })
}

// Injections returns a copy of the schedule.
func (s *Schedule) Injections() []Injection { return append([]Injection(nil), s.entries...) }

// Applied is what injecting one fault did.
type Applied struct {
	// Nodes are the nodes the fault hit, resolved at injection time.
	Nodes []string
	// Resolved is the offset at which target resolution finished; the
	// resolution time is Resolved − the offset at which Inject was called.
	Resolved time.Duration
	// At is the instant the call applying the fault began, after
	// resolution; Span how long it took: the effect is certain by At+Span.
	At, Span time.Duration
	// Evidence is what shows that the fault took effect (a container's
	// state, a probe from inside the target).
	Evidence string
	// Revert undoes the fault; nil for an irreversible one (kill,
	// restart). It is idempotent.
	Revert func(ctx context.Context) (Reverted, error)
}

// Reverted is what undoing a fault did.
type Reverted struct {
	At, Span time.Duration
	Evidence string
}

// Injector applies the schedule's faults to the environment (the chaos
// package implements it). An Injector that also implements NodeStates lets
// the Runner see a node the monkey killed run again (monkey.max_at_once).
type Injector interface {
	// Inject resolves in's targets now and applies the fault, returning once
	// it is in effect. On error the returned Applied still carries what is
	// known (nodes, and a Revert when the fault may have taken effect part
	// way: the Runner calls it). An error wrapping ErrNothingToHit says
	// that the target matched nothing at that moment and nothing was done.
	Inject(ctx context.Context, in Injection) (Applied, error)
}

// ErrNothingToHit is wrapped by an Injector's error when an injection's
// target or selector matches no node when it is resolved. For a monkey
// fault the Runner records it as skipped (the monkey picks among what is
// there); for a timeline fault it is a failure, since the scenario asked
// for that target.
var ErrNothingToHit = errors.New("nothing to hit")

// NodeStates says whether a node runs now.
type NodeStates interface {
	Running(ctx context.Context, node string) (bool, error)
}
