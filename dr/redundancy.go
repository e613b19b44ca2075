package dr

import (
	"fmt"
	"strings"
	"sync"

	"github.com/firedrill/firedrill"
)

// Redundancy turns the replication lag sampler's readings into the time to
// full redundancy (docs/measurement.md, "Time to full redundancy"): when
// the standbys streaming from the current primary are as many again as the
// drill started with, after they fell, it records redundancy.restored at
// the reading's instant. It reads nothing itself: the sampler's reading of
// pg_stat_replication is the one model of which standbys stream, so every
// drill with standbys gets it at no cost, whoever brings them back (a
// recovery plan, an HA stack rejoining its old primary, a restarted
// replica). A failed reading is no observation.
type Redundancy struct {
	tl   *firedrill.Timeline
	want int

	mu   sync.Mutex
	lost bool
}

// NewRedundancy watches for want standbys (the drill's at the start).
func NewRedundancy(tl *firedrill.Timeline, want int) *Redundancy {
	return &Redundancy{tl: tl, want: want}
}

// Observe takes one reading (LagSampler.Observe).
func (r *Redundancy) Observe(s firedrill.LagSample) {
	if r.want == 0 {
		return
	}
	var streaming []string
	for _, rl := range s.Replicas {
		if rl.Streaming {
			streaming = append(streaming, rl.Node)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case len(streaming) < r.want:
		r.lost = true
	case r.lost:
		r.lost = false
		r.tl.Add(firedrill.Event{At: s.At, Kind: firedrill.EventRedundancyRestored, Target: s.Primary,
			Detail: fmt.Sprintf("%d standbys stream from %s again: %s", len(streaming), s.Primary, strings.Join(streaming, ", "))})
	}
}
