package dr

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill"
)

// fakeLag answers readings from a script: a sample or an error each.
type fakeLag struct {
	mu     sync.Mutex
	calls  int
	fail   func(call int) error
	slow   time.Duration
	closed bool
}

func (f *fakeLag) ReplicationLag(ctx context.Context) (firedrill.LagSample, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.mu.Unlock()
	if f.slow > 0 {
		select {
		case <-time.After(f.slow):
		case <-ctx.Done():
			return firedrill.LagSample{}, ctx.Err()
		}
	}
	if f.fail != nil {
		if err := f.fail(n); err != nil {
			return firedrill.LagSample{}, err
		}
	}
	return firedrill.LagSample{Primary: "pg-primary", Replicas: []firedrill.ReplicaLag{{Node: "pg-replica1", Streaming: true, UnflushedBytes: int64(n)}}}, nil
}

func (f *fakeLag) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// The sampler reads every interval from its start, stamps each reading on
// the drill clock, counts the readings that fail without stopping, and
// closes its reader when the drill ends.
func TestLagSamplerReadsEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("no primary")
		f := &fakeLag{fail: func(n int) error {
			if n == 3 || n == 4 {
				return boom
			}
			return nil
		}}
		tl := firedrill.NewTimeline()
		s := NewLagSampler(f, tl, 250*time.Millisecond, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(2*time.Second + 100*time.Millisecond) // readings at 0, 250ms, ... 2s
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		samples, failed, last := s.Readings()
		if len(samples) != 7 || failed != 2 || !errors.Is(last, boom) {
			t.Fatalf("%d readings, %d failed (%v), want 9 made: 7 kept, 2 failed", len(samples), failed, last)
		}
		for i, x := range samples {
			want := time.Duration(i) * 250 * time.Millisecond
			if i >= 2 {
				want += 500 * time.Millisecond // the two failed readings in between
			}
			if x.At != want {
				t.Errorf("reading %d at %s, want %s", i, x.At, want)
			}
		}
		if !f.closed {
			t.Error("the reader was not closed")
		}
	})
}

// A reading slower than the interval delays the next one; readings never
// overlap.
func TestLagSamplerSlowReadings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeLag{slow: 600 * time.Millisecond}
		s := NewLagSampler(f, firedrill.NewTimeline(), 250*time.Millisecond, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(2900 * time.Millisecond)
		cancel()
		<-done
		samples, failed, _ := s.Readings()
		// Readings end at 0.6s, 1.2s, 1.8s, 2.4s; the fifth is cut by the
		// end of the drill and not counted as failed.
		if len(samples) != 4 || failed != 0 {
			t.Errorf("%d readings, %d failed; want 4 and 0", len(samples), failed)
		}
		for i := 1; i < len(samples); i++ {
			if gap := samples[i].At - samples[i-1].At; gap < 600*time.Millisecond {
				t.Errorf("readings %d and %d %s apart: they overlapped", i-1, i, gap)
			}
		}
	})
}
