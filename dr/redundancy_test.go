package dr

import (
	"slices"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

// reading is a lag reading at at on primary with the streaming standbys.
func reading(at time.Duration, primary string, standbys map[string]bool) firedrill.LagSample {
	s := firedrill.LagSample{At: at, Primary: primary}
	names := make([]string, 0, len(standbys))
	for n := range standbys {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s.Replicas = append(s.Replicas, firedrill.ReplicaLag{Node: n, Streaming: standbys[n]})
	}
	return s
}

func restored(tl *firedrill.Timeline) []string {
	var out []string
	for _, e := range tl.Events() {
		if e.Kind == firedrill.EventRedundancyRestored {
			out = append(out, e.At.String()+" "+e.Detail)
		}
	}
	return out
}

// redundancy.restored is recorded once the standbys streaming from the
// current primary are as many as at the start again, after they fell
// (docs/measurement.md, "Time to full redundancy").
func TestRedundancyRestoredAfterItFell(t *testing.T) {
	tl := firedrill.NewTimeline()
	r := NewRedundancy(tl, 2)
	both := map[string]bool{"pg-r1": true, "pg-r2": true}
	r.Observe(reading(250*time.Millisecond, "pg-primary", both))
	r.Observe(reading(1250*time.Millisecond, "pg-primary", map[string]bool{"pg-r1": true, "pg-r2": false}))
	r.Observe(reading(2250*time.Millisecond, "pg-primary", map[string]bool{"pg-r1": true, "pg-r2": false}))
	r.Observe(reading(3250*time.Millisecond, "pg-primary", both))
	r.Observe(reading(3500*time.Millisecond, "pg-primary", both))
	if got, want := restored(tl), []string{"3.25s 2 standbys stream from pg-primary again: pg-r1, pg-r2"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// After a failover the count is of the standbys of the new primary: the
// old one rejoining as its standby brings it back.
func TestRedundancyAfterAFailover(t *testing.T) {
	tl := firedrill.NewTimeline()
	r := NewRedundancy(tl, 1)
	r.Observe(reading(250*time.Millisecond, "pg-primary", map[string]bool{"pg-r1": true}))
	r.Observe(reading(2250*time.Millisecond, "pg-r1", map[string]bool{"pg-primary": false}))
	r.Observe(reading(4250*time.Millisecond, "pg-r1", map[string]bool{"pg-primary": true}))
	if got, want := restored(tl), []string{"4.25s 1 standbys stream from pg-r1 again: pg-primary"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestRedundancyNeverFellRecordsNothing(t *testing.T) {
	tl := firedrill.NewTimeline()
	r := NewRedundancy(tl, 2)
	for i := range 10 {
		r.Observe(reading(time.Duration(i)*250*time.Millisecond, "pg-primary", map[string]bool{"pg-r1": true, "pg-r2": true}))
	}
	NewRedundancy(tl, 0).Observe(reading(time.Second, "pg-primary", nil))
	if got := restored(tl); len(got) != 0 {
		t.Errorf("events %v, want none", got)
	}
}

// The sampler hands every reading to its observers.
func TestLagSamplerObservers(t *testing.T) {
	tl := firedrill.NewTimeline()
	s := NewLagSampler(&fakeLag{}, tl, time.Millisecond, nil)
	var got []firedrill.LagSample
	s.Observe(func(l firedrill.LagSample) { got = append(got, l) })
	s.read(t.Context())
	s.read(t.Context())
	if samples, _, _ := s.Readings(); len(got) != 2 || len(samples) != 2 || got[1].At != samples[1].At {
		t.Errorf("observed %v, sampled %v", got, samples)
	}
}
