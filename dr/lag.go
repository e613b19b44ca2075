package dr

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/firedrill/firedrill"
)

// LagInterval is how often the sampler reads replication lag: often
// enough that the worst moment of a fault of a few seconds is among the
// readings, rarely enough that the readings cost the primary nothing
// (docs/measurement.md, "Replication lag and RPO exposure").
const LagInterval = 250 * time.Millisecond

// LagReader reads the standbys' replication lag from the current primary
// (postgres.LagReader).
type LagReader interface {
	ReplicationLag(ctx context.Context) (firedrill.LagSample, error)
	Close() error
}

// LagSampler is a background part of the drill that reads replication
// lag every interval and keeps every reading, stamped on the drill's
// clock, for the report to score.
type LagSampler struct {
	reader   LagReader
	tl       *firedrill.Timeline
	interval time.Duration
	log      *slog.Logger

	mu        sync.Mutex
	samples   []firedrill.LagSample
	failed    int
	lastErr   error
	observers []func(firedrill.LagSample)
}

// Observe has f called with every reading as it is made (Redundancy), in
// the sampler's goroutine; call it before Run.
func (s *LagSampler) Observe(f func(firedrill.LagSample)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.observers = append(s.observers, f)
}

var _ firedrill.Part = (*LagSampler)(nil)

// NewLagSampler returns a sampler reading from r every interval
// (LagInterval when 0).
func NewLagSampler(r LagReader, tl *firedrill.Timeline, interval time.Duration, log *slog.Logger) *LagSampler {
	if interval <= 0 {
		interval = LagInterval
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LagSampler{reader: r, tl: tl, interval: interval, log: log}
}

// Name is the part's name.
func (s *LagSampler) Name() string { return "replication lag sampler" }

// Interval is the sampler's period.
func (s *LagSampler) Interval() time.Duration { return s.interval }

// Run reads until ctx ends, one reading at a time: a reading slower than
// the interval (a primary behind a latency) delays the next, never piles
// up. A reading that fails (no primary reachable) is counted, not fatal.
func (s *LagSampler) Run(ctx context.Context) error {
	defer s.reader.Close()
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.read(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *LagSampler) read(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second+s.interval)
	defer cancel()
	sample, err := s.reader.ReplicationLag(rctx)
	at := s.tl.Now()
	if ctx.Err() != nil {
		return // the drill is over: not a failed reading
	}
	s.mu.Lock()
	if err != nil {
		s.failed++
		if s.lastErr == nil || s.lastErr.Error() != err.Error() {
			s.log.Debug("replication lag not read", "err", err)
		}
		s.lastErr = err
		s.mu.Unlock()
		return
	}
	sample.At = at
	s.samples = append(s.samples, sample)
	observers := slices.Clone(s.observers)
	s.mu.Unlock()
	for _, f := range observers {
		f(sample)
	}
}

// Readings returns the readings made so far, in time order, how many
// failed, and why the last failure failed.
func (s *LagSampler) Readings() (samples []firedrill.LagSample, failed int, lastErr error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]firedrill.LagSample(nil), s.samples...), s.failed, s.lastErr
}
