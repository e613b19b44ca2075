package probe

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/firedrill/firedrill"
)

// Writer performs one write of id and reports what the client learned. The
// HTTP implementation talks to the sample app; tests use fakes.
//
// ctx carries the op's deadline. Write must not retry. node is the server
// that acknowledged the write and matters only when outcome is ok; err
// explains a failed or indeterminate outcome.
type Writer interface {
	Write(ctx context.Context, id string) (node string, outcome firedrill.Outcome, err error)
}

// Config configures a Probe.
type Config struct {
	Rate    float64       // writes per second, > 0
	Timeout time.Duration // per op; an op without an answer by then is indeterminate
	RunID   string        // prefix of every op id: RunID-<seq>
	// Acks, when set, receives every acknowledged write: the keys a read
	// stream reads (ReadStream).
	Acks *Acks
}

// OpKind is the Kind of the ops the probe records.
const OpKind = "write"

// seqDigits is the zero-padding of the sequence in op ids: at 1000 writes/s
// it lasts 27 hours before ids grow a digit (they stay unique).
const seqDigits = 8

// runIDPattern keeps op ids valid for the sample app (^[A-Za-z0-9._:-]{1,128}$)
// once "-" and the padded sequence are appended.
var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,100}$`)

// Probe is an open-loop write workload. Create it with New, start it with
// Run; Stats may be called concurrently.
type Probe struct {
	cfg    Config
	w      Writer
	direct bool // w is a deadlineWriter
	tl     *firedrill.Timeline
	ledger *firedrill.Ledger

	attempted, ok, failed, indeterminate atomic.Int64
	// unsent counts ops that fell due before the end of the workload but
	// were not sent because its context was done by the time the probe got
	// to them (a late scheduler at the end).
	unsent atomic.Int64

	// stall, when set (tests only), runs on the scheduler goroutine just
	// before op seq is launched, to simulate a scheduler that falls behind.
	stall func(seq int64)
}

// New returns a Probe that writes through w, stamps ops on tl and records
// them in ledger. The Config is checked by Run.
func New(cfg Config, w Writer, tl *firedrill.Timeline, ledger *firedrill.Ledger) *Probe {
	_, direct := w.(deadlineWriter)
	return &Probe{cfg: cfg, w: w, tl: tl, ledger: ledger, direct: direct}
}

func (c Config) validate() error {
	return errors.Join(streamConfigErrors(c.Rate, c.Timeout, c.RunID, "writes")...)
}

// OpID is the id of op seq in run runID: runID-<seq, zero-padded to 8
// digits>. Built by hand: it runs for every op.
func OpID(runID string, seq int64) string {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], seq, 10)
	b := make([]byte, 0, len(runID)+1+max(seqDigits, len(d)))
	b = append(b, runID...)
	b = append(b, '-')
	for range seqDigits - len(d) {
		b = append(b, '0')
	}
	return string(append(b, d...))
}

// Run schedules writes at a constant arrival rate from now until ctx is done:
// op i is due at start + i/rate whether or not earlier ops finished, each in
// its own goroutine, and records that instant as the op's Due. When the
// scheduler is late it launches every op already due at once rather than
// skipping any; each op's Sent is the instant it is handed to the Writer,
// so Sent − Due is the schedule lag (docs/measurement.md, "Schedule lag").
//
// Once ctx is done nothing more is sent, not even an op that fell due
// before: the Runner stamps drill.end when it cancels ctx, and no write may
// be sent after the end of observation (docs/measurement.md,
// "Observation"). Such ops are counted by Unsent, not recorded. Ops are
// never retried. Each op runs under its own Timeout, detached from ctx, so
// the end of the drill does not turn in-flight writes into failures; Run
// returns once they have all been recorded in the ledger. The error is
// non-nil only for an invalid Config.
func (p *Probe) Run(ctx context.Context) error {
	if err := p.cfg.validate(); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	openLoop{rate: p.cfg.Rate, tl: p.tl, unsent: &p.unsent, stall: p.stall}.run(ctx, p.do)
	return nil
}

// do performs op seq, due at offset due on the Timeline, and records it;
// it sends nothing if run is already done when the op gets its turn.
func (p *Probe) do(run, base context.Context, seq int64, due time.Duration) {
	id := OpID(p.cfg.RunID, seq)
	op := firedrill.Op{ID: id, Seq: seq, Kind: OpKind, Due: due, Sent: p.tl.Now()}
	// Checked after Sent is stamped: the Runner stamps drill.end before it
	// cancels run, so an op sent here was sent before drill.end.
	if run.Err() != nil {
		p.unsent.Add(1)
		return
	}
	p.attempted.Add(1)
	// The timeout runs from Sent: time spent waiting for a connection in
	// the Writer counts towards it (and towards the op's latency).
	ctx, cancel := context.WithTimeout(base, p.cfg.Timeout)
	defer cancel()

	r := within(ctx, p.cfg.Timeout, p.direct, func(ctx context.Context) (string, firedrill.Outcome, error) {
		return p.w.Write(ctx, id)
	})
	op.Done = p.tl.Now()
	outcome, err := normalize(r.outcome, r.err, "writer", firedrill.OutcomeOK, firedrill.OutcomeFailed, firedrill.OutcomeIndeterminate)
	op.Outcome = outcome
	if outcome == firedrill.OutcomeOK {
		op.Node = r.v
	}
	if err != nil {
		op.Error = err.Error()
	}
	p.ledger.Add(op)
	if op.Outcome == firedrill.OutcomeOK && p.cfg.Acks != nil {
		p.cfg.Acks.add(op.ID, op.Done)
	}

	switch op.Outcome {
	case firedrill.OutcomeOK:
		p.ok.Add(1)
	case firedrill.OutcomeFailed:
		p.failed.Add(1)
	default:
		p.indeterminate.Add(1)
	}
}

// deadlineWriter marks a Writer that returns by its context's deadline
// (HTTPWriter: the request carries the context): the probe calls it on the
// op's own goroutine, one goroutine and a channel per op fewer, where it
// costs harness CPU at 1000+ writes/s.
type deadlineWriter interface {
	Writer
	returnsByDeadline()
}

// Stats returns live counters: ops sent so far and, among the finished
// ones, how many ended ok, failed and indeterminate.
func (p *Probe) Stats() (attempted, ok, failed, indeterminate int) {
	return int(p.attempted.Load()), int(p.ok.Load()), int(p.failed.Load()), int(p.indeterminate.Load())
}

// Unsent is the number of ops that fell due before the workload ended but
// were not sent because it had ended by the time the probe got to them. It
// is final once Run has returned; a non-zero value means the probe fell
// behind at the very end.
func (p *Probe) Unsent() int { return int(p.unsent.Load()) }
