package probe

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/firedrill/firedrill"
)

// openLoop is the schedule the write and the read streams both keep
// (docs/measurement.md, "The workload and the ledger"): op seq is due at
// start + seq/rate whether or not earlier ops finished, each runs in its
// own goroutine, and a late scheduler launches every op already due at
// once rather than skipping any.
type openLoop struct {
	rate float64
	tl   *firedrill.Timeline
	// unsent counts the ops that fell due before the end of the stream but
	// were not sent because its context was done by the time the loop got
	// to them.
	unsent *atomic.Int64
	// stall, when set (tests only), runs on the scheduler goroutine just
	// before op seq is launched, to simulate a scheduler that falls behind.
	stall func(seq int64)
}

// dueAfter is the offset of op seq from the start of a stream at rate ops/s.
func dueAfter(rate float64, seq int64) time.Duration {
	return time.Duration(math.Round(float64(seq) * float64(time.Second) / rate))
}

// run launches op(run, base, seq, due) for seq = 0, 1, ... at its due time
// until ctx is done, and returns once every launched op has returned. due
// is the op's offset on the Timeline; base is ctx without its
// cancellation, for the op's own timeout, so the end of the drill does not
// turn in-flight ops into failures. The op checks run after stamping Sent
// and sends nothing when it is done: the Runner stamps drill.end before
// it cancels ctx, so nothing is sent after the end of observation
// (docs/measurement.md, "Observation").
func (l openLoop) run(ctx context.Context, op func(run, base context.Context, seq int64, due time.Duration)) {
	base := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()

	// The schedule is anchored on the Timeline: op i is due at startOff +
	// i/rate there. start is read after startOff, so an op that is sent
	// on time has Sent >= Due.
	startOff := l.tl.Now()
	start := time.Now()
	deadline, hasDeadline := ctx.Deadline()

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for seq := int64(0); ; seq++ {
		dueOff := dueAfter(l.rate, seq)
		due := start.Add(dueOff)
		if hasDeadline && !due.Before(deadline) {
			<-ctx.Done()
			return
		}
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		if l.stall != nil {
			l.stall(seq)
		}
		if ctx.Err() != nil {
			l.countUnsent(seq, start, deadline, hasDeadline)
			return
		}
		wg.Go(func() { op(ctx, base, seq, startOff+dueOff) })
	}
}

// countUnsent counts, when the stream ends, the ops from seq on that were
// due before its end (its deadline, or now when it was cancelled) and will
// never be sent.
func (l openLoop) countUnsent(seq int64, start, deadline time.Time, hasDeadline bool) {
	end := time.Now()
	if hasDeadline && deadline.Before(end) {
		end = deadline
	}
	for ; start.Add(dueAfter(l.rate, seq)).Before(end); seq++ {
		l.unsent.Add(1)
	}
}

// answer is what one op learned: its value (the node that acknowledged a
// write, the node that served a read), its outcome and the error that
// explains it.
type answer[T any] struct {
	v       T
	outcome firedrill.Outcome
	err     error
}

// within performs one op with f under ctx, the op's timeout. An answer
// that comes after the timeout is no answer: indeterminate. direct says f
// returns by ctx's deadline (the HTTP clients: the request carries ctx),
// so it runs on the op's own goroutine, one goroutine and a channel per op
// fewer, where it costs harness CPU at 1000+ ops/s; any other f runs in its
// own goroutine, so that one which ignores its context still cannot hold
// the op past its timeout.
func within[T any](ctx context.Context, timeout time.Duration, direct bool, f func(context.Context) (T, firedrill.Outcome, error)) answer[T] {
	late := func() answer[T] {
		return answer[T]{outcome: firedrill.OutcomeIndeterminate, err: fmt.Errorf("no answer within %s", timeout)}
	}
	if direct {
		var a answer[T]
		a.v, a.outcome, a.err = f(ctx)
		if ctx.Err() != nil && a.outcome != firedrill.OutcomeFailed && a.outcome != firedrill.OutcomeIndeterminate {
			return late()
		}
		return a
	}
	resc := make(chan answer[T], 1)
	go func() {
		var a answer[T]
		a.v, a.outcome, a.err = f(ctx)
		resc <- a
	}()
	select {
	case a := <-resc:
		return a
	case <-ctx.Done():
		return late()
	}
}

// normalize checks the Outcome a Writer or a Reader (who) returned:
// anything but the known outcomes is recorded as indeterminate (a write
// may have happened; what a read would have returned is unknown).
func normalize(outcome firedrill.Outcome, err error, who string, known ...firedrill.Outcome) (firedrill.Outcome, error) {
	if slices.Contains(known, outcome) {
		return outcome, err
	}
	uerr := fmt.Errorf("%s returned unknown outcome %q", who, outcome)
	if err != nil {
		uerr = fmt.Errorf("%w: %w", uerr, err)
	}
	return firedrill.OutcomeIndeterminate, uerr
}

// streamConfigErrors checks what every stream's config has: a positive
// rate of ops ("writes", "reads") per second, a positive timeout, and a
// run id that keeps op ids valid for the sample app.
func streamConfigErrors(rate float64, timeout time.Duration, runID, ops string) []error {
	var errs []error
	if !(rate > 0) || math.IsInf(rate, 0) {
		errs = append(errs, fmt.Errorf("rate must be a positive number of %s per second, got %v", ops, rate))
	}
	if timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout must be positive, got %s", timeout))
	}
	if !runIDPattern.MatchString(runID) {
		errs = append(errs, fmt.Errorf("run id %q must match %s", runID, runIDPattern))
	}
	return errs
}
