package dr

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill"
)

// fakeArchive answers with the exposure since start, except between
// failFrom and failTo, when there is no primary; a reading that the
// drill's end interrupts fails with the context's error.
type fakeArchive struct {
	start            time.Time
	failFrom, failTo time.Duration
	slow             time.Duration // every reading takes this long
}

func (f *fakeArchive) ArchiveSample(ctx context.Context) (firedrill.ArchiveSample, error) {
	select {
	case <-ctx.Done():
		return firedrill.ArchiveSample{}, ctx.Err()
	case <-time.After(f.slow):
	}
	now := time.Since(f.start)
	if now >= f.failFrom && now < f.failTo {
		return firedrill.ArchiveSample{At: -1}, fmt.Errorf("no primary at %s", now)
	}
	return firedrill.ArchiveSample{At: -1, Node: "pg-primary", Exposure: now, Known: true}, nil
}

// The sampler reads at once and every ArchiveInterval, stamps each
// reading when it began on the drill's clock, and counts the failures
// (docs/measurement.md, "WAL archive lag").
func TestArchiveSamplerKeepsReadingsAndCountsFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		tl := firedrill.NewTimelineAt(start)
		s := NewArchiveSampler(&fakeArchive{start: start, failFrom: time.Second, failTo: 2 * time.Second, slow: 10 * time.Millisecond}, tl, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second+250*time.Millisecond)
		defer cancel()
		if err := s.Run(ctx); err != nil {
			t.Fatal(err)
		}
		got, failed, lastErr := s.Readings()
		// Readings begin at 0, 0.5s ... 3s: those at 1s and 1.5s fail.
		var ats []time.Duration
		for _, r := range got {
			ats = append(ats, r.At)
			if r.Exposure != r.At+10*time.Millisecond || r.Node != "pg-primary" {
				t.Errorf("reading %+v: want the sample as read, stamped when the read began", r)
			}
		}
		ms := time.Millisecond
		if want := []time.Duration{0, 500 * ms, 2000 * ms, 2500 * ms, 3000 * ms}; fmt.Sprint(ats) != fmt.Sprint(want) {
			t.Errorf("readings at %v, want %v", ats, want)
		}
		if failed != 2 || lastErr == nil || lastErr.Error() != "no primary at 1.51s" {
			t.Errorf("failed %d (%v), want 2, the last at 1.51s", failed, lastErr)
		}
	})
}

// A reading the end of the drill cuts short is no failure of the archive.
func TestArchiveSamplerEndIsNoFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		s := NewArchiveSampler(&fakeArchive{start: start, slow: 300 * time.Millisecond}, firedrill.NewTimelineAt(start), nil)
		ctx, cancel := context.WithTimeout(context.Background(), 1100*time.Millisecond)
		defer cancel()
		_ = s.Run(ctx)
		got, failed, lastErr := s.Readings()
		// Reads at 0 (done 0.3s), 0.5s (0.8s), 1s (cut at 1.1s).
		if len(got) != 2 || failed != 0 || lastErr != nil {
			t.Errorf("%d readings, %d failed (%v): want 2 and none failed", len(got), failed, lastErr)
		}
	})
}

// A reading that hangs is bounded: it counts as failed and the sampler
// goes on.
func TestArchiveSamplerBoundsAHungReading(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		s := NewArchiveSampler(&fakeArchive{start: start, slow: time.Hour}, firedrill.NewTimelineAt(start), nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Run(ctx)
		_, failed, lastErr := s.Readings()
		if failed != 2 || !errors.Is(lastErr, context.DeadlineExceeded) {
			t.Errorf("%d failed (%v), want 2 timed-out readings (the third is cut short by the end)", failed, lastErr)
		}
	})
}
