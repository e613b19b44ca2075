package probe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/firedrill/firedrill"
)

// Reader performs one read of the acknowledged write key and reports what
// the client learned. The HTTP implementation talks to the sample app;
// tests use fakes.
//
// ctx carries the op's deadline. Read must not retry. The outcome is ok
// (the row was there), stale (the node that served the read answered that
// it is not), failed (a definite error came back) or indeterminate (no
// answer in time); the answer names the node that served an ok or stale
// read and its role.
type Reader interface {
	Read(ctx context.Context, key string) (ReadAnswer, firedrill.Outcome, error)
}

// ReadAnswer is who served a read: the Postgres server (its node name)
// and its role then, firedrill.ServedByPrimary or ServedByReplica.
type ReadAnswer struct {
	Node string
	Role string
}

// ReadConfig configures a ReadStream.
type ReadConfig struct {
	Rate    float64       // reads per second, > 0
	Timeout time.Duration // per read; a read without an answer by then is indeterminate
	RunID   string        // prefix of every read's id: RunID-read-<seq>
	// KeyAge is how long before a read its key must have been
	// acknowledged: a read asks for the newest write acknowledged at or
	// before Sent − KeyAge. 0 means DefaultKeyAge.
	KeyAge time.Duration
}

// ReadOpKind is the Kind of the ops a ReadStream records.
const ReadOpKind = "read"

// DefaultKeyAge is the KeyAge of a ReadStream unless its config says
// otherwise: a stale read then means the node that served it was more than
// a second behind the acknowledgement (docs/measurement.md, "Reads").
const DefaultKeyAge = time.Second

// ReadOpID is the id of read seq of run runID: runID-read-<seq, padded to
// 8 digits>, never the id of a write of the same run.
func ReadOpID(runID string, seq int64) string { return OpID(runID+"-read", seq) }

// ReadStream is an open-loop read workload, the counterpart of Probe
// (docs/measurement.md, "Reads"): reads are due at start + i/rate whether
// or not earlier ones finished, never retried, each under its own
// timeout, and recorded in the ledger with Kind "read". Each read asks
// for a key of the write stream (its Acks): the newest write acknowledged
// at least KeyAge before the read is sent. Create it with NewReadStream,
// start it with Run; Stats may be called concurrently.
type ReadStream struct {
	cfg    ReadConfig
	r      Reader
	direct bool // r returns by its context's deadline
	acks   *Acks
	tl     *firedrill.Timeline
	ledger *firedrill.Ledger

	sent, ok, stale, failed, indeterminate atomic.Int64
	// unsent counts reads due before the end of the stream but not sent
	// because it had ended; keyless those due before any write was
	// acknowledged KeyAge earlier (nothing to read yet).
	unsent, keyless atomic.Int64

	stall func(seq int64) // tests only, as Probe.stall
}

// NewReadStream returns a ReadStream that reads through r the keys acks
// holds, stamps reads on tl and records them in ledger. The config is
// checked by Run.
func NewReadStream(cfg ReadConfig, r Reader, acks *Acks, tl *firedrill.Timeline, ledger *firedrill.Ledger) *ReadStream {
	if cfg.KeyAge == 0 {
		cfg.KeyAge = DefaultKeyAge
	}
	_, direct := r.(interface{ returnsByDeadline() })
	return &ReadStream{cfg: cfg, r: r, direct: direct, acks: acks, tl: tl, ledger: ledger}
}

func (c ReadConfig) validate() error {
	errs := streamConfigErrors(c.Rate, c.Timeout, c.RunID, "reads")
	if c.KeyAge < 0 {
		errs = append(errs, fmt.Errorf("key age must not be negative, got %s", c.KeyAge))
	}
	return errors.Join(errs...)
}

// Run sends reads at a constant arrival rate from now until ctx is done,
// with the write Probe's discipline (Probe.Run): due times, a late
// scheduler catching up at once, Sent − Due as the schedule lag, nothing
// sent once ctx is done, and Run returning once every read sent has been
// recorded. The error is non-nil only for an invalid config.
func (s *ReadStream) Run(ctx context.Context) error {
	if err := s.cfg.validate(); err != nil {
		return fmt.Errorf("read stream: %w", err)
	}
	if s.acks == nil {
		return errors.New("read stream: no write stream to read the keys of")
	}
	openLoop{rate: s.cfg.Rate, tl: s.tl, unsent: &s.unsent, stall: s.stall}.run(ctx, s.do)
	return nil
}

// do performs read seq, due at offset due on the Timeline, and records it.
func (s *ReadStream) do(run, base context.Context, seq int64, due time.Duration) {
	op := firedrill.Op{ID: ReadOpID(s.cfg.RunID, seq), Seq: seq, Kind: ReadOpKind, Due: due, Sent: s.tl.Now()}
	// Checked after Sent is stamped, as Probe.do does: a read sent here
	// was sent before drill.end.
	if run.Err() != nil {
		s.unsent.Add(1)
		return
	}
	key, found := s.acks.newestBy(op.Sent - s.cfg.KeyAge)
	if !found {
		s.keyless.Add(1)
		return
	}
	op.Key = key
	s.sent.Add(1)
	ctx, cancel := context.WithTimeout(base, s.cfg.Timeout)
	defer cancel()

	a := within(ctx, s.cfg.Timeout, s.direct, func(ctx context.Context) (ReadAnswer, firedrill.Outcome, error) {
		return s.r.Read(ctx, key)
	})
	op.Done = s.tl.Now()
	outcome, err := normalize(a.outcome, a.err, "reader",
		firedrill.OutcomeOK, firedrill.OutcomeStale, firedrill.OutcomeFailed, firedrill.OutcomeIndeterminate)
	op.Outcome = outcome
	if outcome == firedrill.OutcomeOK || outcome == firedrill.OutcomeStale {
		op.Node, op.Role = a.v.Node, a.v.Role
	}
	if err != nil {
		op.Error = err.Error()
	}
	s.ledger.Add(op)

	switch op.Outcome {
	case firedrill.OutcomeOK:
		s.ok.Add(1)
	case firedrill.OutcomeStale:
		s.stale.Add(1)
	case firedrill.OutcomeFailed:
		s.failed.Add(1)
	default:
		s.indeterminate.Add(1)
	}
}

// Stats returns live counters, as Probe.Stats does for writes: reads sent
// so far and, among the finished ones, how many ended ok, stale, failed
// and indeterminate. A read is counted as sent before it is recorded, so
// sent − (ok + stale + failed + indeterminate) are in flight.
func (s *ReadStream) Stats() (sent, ok, stale, failed, indeterminate int) {
	return int(s.sent.Load()), int(s.ok.Load()), int(s.stale.Load()), int(s.failed.Load()), int(s.indeterminate.Load())
}

// Unsent is the number of reads that fell due before the stream ended but
// were not sent because it had ended by then (final once Run returned).
func (s *ReadStream) Unsent() int { return int(s.unsent.Load()) }

// Keyless is the number of reads that fell due before any write had been
// acknowledged KeyAge earlier: there was nothing to read yet, so nothing
// was sent (the first KeyAge of a drill, or longer when writes failed from
// the start).
func (s *ReadStream) Keyless() int { return int(s.keyless.Load()) }

// KeyAge is the stream's key age (DefaultKeyAge unless configured).
func (s *ReadStream) KeyAge() time.Duration { return s.cfg.KeyAge }

// Together runs workloads side by side as one: every one gets the same
// context (so all stop sending at drill.end), and Run returns once all
// have returned, with their errors joined. A panic in one stops the
// others and is raised again on Run's goroutine once they have returned,
// where the Runner recovers it like any workload's (the drill ends with
// the panic as its cause, unscored).
func Together(workloads ...firedrill.Workload) firedrill.Workload {
	return together(workloads)
}

type together []firedrill.Workload

func (t together) Run(ctx context.Context) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	errs := make([]error, len(t))
	panics := make([]any, len(t))
	var wg sync.WaitGroup
	for i, w := range t {
		wg.Go(func() {
			defer func() {
				if panics[i] = recover(); panics[i] != nil {
					stop()
				}
			}()
			errs[i] = w.Run(ctx)
		})
	}
	wg.Wait()
	for _, p := range panics {
		if p != nil {
			panic(p)
		}
	}
	return errors.Join(errs...)
}
