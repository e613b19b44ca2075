package recovery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
)

// redundancyEvery is how often the watcher counts the standbys.
const redundancyEvery = 250 * time.Millisecond

// Redundancy watches the number of standbys streaming from the current
// primary and records when it is back to the number the drill started
// with, after it fell: the time to full redundancy (docs/measurement.md,
// "Time to full redundancy"). It is a part of every drill with standbys,
// whoever restores them: a recovery plan, or an HA stack that rejoins
// the old primary as a standby. A drill without standbys has nothing to
// watch. It needs Deps' Topology, Cluster and Timeline only.
type Redundancy struct {
	d    Deps
	want int
	lost bool
}

var _ firedrill.Part = (*Redundancy)(nil)

// NewRedundancy returns the watcher of the drill's standbys.
func NewRedundancy(d Deps) *Redundancy {
	return &Redundancy{d: d, want: len(d.Topology.Standbys())}
}

// Name names the part.
func (r *Redundancy) Name() string { return "redundancy watcher" }

// Run watches until ctx ends.
func (r *Redundancy) Run(ctx context.Context) error {
	r.watch(ctx)
	return nil
}

func (r *Redundancy) watch(ctx context.Context) {
	if r.want == 0 {
		return
	}
	tick := time.NewTicker(redundancyEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		primary, streaming := r.count(ctx)
		switch {
		case len(streaming) < r.want:
			r.lost = true
		case r.lost:
			r.lost = false
			r.d.Timeline.Add(firedrill.Event{At: r.d.Timeline.Now(), Kind: firedrill.EventRedundancyRestored, Target: primary,
				Detail: fmt.Sprintf("%d standbys stream from %s again: %s", len(streaming), primary, strings.Join(streaming, ", "))})
		}
	}
}

// count returns the primary and the standbys streaming from it; none when
// there is no primary.
func (r *Redundancy) count(ctx context.Context) (string, []string) {
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	primary, err := r.d.Cluster.Primary(cctx)
	if err != nil {
		return "", nil
	}
	var out []string
	for _, n := range r.d.Topology.Postgres() {
		if n == primary {
			continue
		}
		if ok, err := r.d.Cluster.Streaming(cctx, primary, n); err == nil && ok {
			out = append(out, n)
		}
	}
	return primary, out
}
