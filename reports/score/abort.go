package score

import (
	"fmt"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/internal/human"
)

// abort adds the verdict's reason for a drill stopped by an abort
// condition (docs/measurement.md, "Inconclusive or fail"): a fail, named
// first, when a fault had taken effect by then; inconclusive when none
// had, since nothing the drill did can be blamed for the breach. injected
// is ordered by T.
func (b *scoreBuilder) abort(events []firedrill.Event, injected []*faultScore) {
	var ev *firedrill.Event
	for k := range events {
		if events[k].Kind == firedrill.EventAbort {
			ev = &events[k]
			break
		}
	}
	if ev == nil {
		return
	}
	what := ev.Detail
	if a := b.in.Abort; a != nil && a.Detail != "" {
		what = a.Detail
	}
	reason := "the drill was aborted at " + human.Duration(ev.At)
	if what != "" {
		reason += ": " + what
	}
	if len(injected) == 0 || injected[0].at > ev.At {
		b.inconclusive = append(b.inconclusive,
			reason+"; no fault had taken effect by then, so the breach cannot be charged to one")
		return
	}
	b.missed = append([]string{fmt.Sprintf("%s (a safety threshold of the scenario; %s had taken effect)",
		reason, injected[0].label)}, b.missed...)
}
