package spec

import (
	"fmt"

	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// Warning is something a valid scenario may do but probably should not:
// the drill runs, and part of what it reports is known in advance to be
// inconclusive. validate prints warnings without changing its exit code.
type Warning struct {
	// File, Line and Col place the field (Line and Col are 0 for a
	// scenario built in code); Path names it.
	File      string
	Line, Col int
	Path      string
	// Msg says what will go wrong, Hint (optional) how to avoid it.
	Msg  string
	Hint string
}

// String formats the warning as "file:line:col: warning: path: msg (hint:
// ...)", leaving out the parts that are unknown.
func (w Warning) String() string {
	what := &yamlpos.Error{Path: w.Path, Msg: w.Msg, Hint: w.Hint}
	return (&yamlpos.Error{File: w.File, Line: w.Line, Col: w.Col, Msg: "warning: " + what.Error()}).Error()
}

// Warnings lists, in file order, what the scenario does that will make
// part of its result inconclusive. Call it on a valid scenario with its
// defaults applied (as the loader returns it).
//
// A fault whose at + workload.stability_window reaches timeline.duration
// cannot have its recovery confirmed: the window can only be observed
// while writes are being sent, and they stop at the end of the timeline
// (docs/measurement.md, "Observation"). Its RTO will be inconclusive
// however quickly the system recovers, so the scenario says so up front.
// Reaching the end exactly counts too: even an instant recovery is
// acknowledged after the injection, and its window then closes after the
// writes stop.
func (s *Scenario) Warnings() []Warning {
	var out []Warning
	end, window := s.Timeline.Duration.Duration, s.Workload.StabilityWindow.Duration
	for i, f := range s.Timeline.Faults {
		at := f.At.Duration
		if at < 0 || at >= end || end-at > window {
			continue // a bad at is an error of its own; or the window fits
		}
		path := fmt.Sprintf("timeline.faults[%d].at", i)
		w := Warning{File: s.File, Path: path,
			Msg: fmt.Sprintf("the fault at %s leaves %s before the end of the timeline (%s), not more than workload.stability_window (%s): its recovery cannot be confirmed in time, so its RTO will be inconclusive",
				f.At, end-at, s.Timeline.Duration, s.Workload.StabilityWindow),
			Hint: fmt.Sprintf("make timeline.duration longer than %s, inject the fault earlier, or shorten workload.stability_window", at+window)}
		if p := s.src.At(path); p.Line > 0 {
			w.Line, w.Col = p.Line, p.Col
		}
		out = append(out, w)
	}
	return out
}
