package dr

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/firedrill/firedrill"
)

// ArchiveInterval is how often the archive sampler reads the primary's
// WAL archiving: the exposure it measures moves by archive_timeout (1s at
// the least), so twice a second sees every step.
const ArchiveInterval = 500 * time.Millisecond

// ArchiveReader reads the WAL archiving of the current primary (the
// drill adapts postgres.Cluster's ArchiveStatus to it).
type ArchiveReader interface {
	ArchiveSample(ctx context.Context) (firedrill.ArchiveSample, error)
}

// ArchiveSampler is a background part of the drill that reads, every
// ArchiveInterval, how far the WAL archive lags behind the primary: the
// RPO exposure of point-in-time recovery (docs/measurement.md, "WAL
// archive lag").
type ArchiveSampler struct {
	r   ArchiveReader
	tl  *firedrill.Timeline
	log *slog.Logger

	mu       sync.Mutex
	readings []firedrill.ArchiveSample
	failed   int
	lastErr  error
}

var _ firedrill.Part = (*ArchiveSampler)(nil)

// NewArchiveSampler builds the sampler.
func NewArchiveSampler(r ArchiveReader, tl *firedrill.Timeline, log *slog.Logger) *ArchiveSampler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ArchiveSampler{r: r, tl: tl, log: log}
}

// Name names the part.
func (s *ArchiveSampler) Name() string { return "WAL archive sampler" }

// Run reads until ctx ends; a reading that fails (no primary) is counted.
func (s *ArchiveSampler) Run(ctx context.Context) error {
	t := time.NewTicker(ArchiveInterval)
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

func (s *ArchiveSampler) read(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	at := s.tl.Now()
	st, err := s.r.ArchiveSample(rctx)
	st.At = at
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			s.failed++
			s.lastErr = err
		}
		return
	}
	s.readings = append(s.readings, st)
}

// Readings returns every reading, the number that failed and the last
// failure.
func (s *ArchiveSampler) Readings() ([]firedrill.ArchiveSample, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]firedrill.ArchiveSample(nil), s.readings...), s.failed, s.lastErr
}
