package firedrill

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// Abort conditions, evaluated live from the workload's ledgers while the
// drill runs (docs/architecture.md, "Abort conditions").

// OpStream is a live, append-only log of finished operations, read by
// position: OpsSince(n) returns what was recorded after the first n. The
// abort watcher reads every stream it is given and sorts each operation by
// its Kind, so the write probe's ledger and a read workload's (or one
// ledger holding both) feed it alike.
type OpStream interface {
	OpsSince(n int) []Op
}

var _ OpStream = (*Ledger)(nil)

// OpsSince returns a copy of the operations recorded after the first n, in
// the order they finished.
func (l *Ledger) OpsSince(n int) []Op {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n >= len(l.ops) {
		return nil
	}
	return append([]Op(nil), l.ops[max(n, 0):]...)
}

// The operation kinds the metrics read: write_* metrics count writes
// (Kind "write", or "" in ledgers written before kinds), read_* metrics
// count reads (Kind "read").
const (
	opKindWrite = "write"
	opKindRead  = "read"
)

// AbortResult is the abort condition that stopped a drill: which one,
// what it measured, and when.
type AbortResult struct {
	// Index is the condition's position in the scenario's abort list.
	Index  int    `json:"index"`
	Metric string `json:"metric"`
	// Condition is the condition as written: "below 0.5 for 2s",
	// "above 100".
	Condition string  `json:"condition"`
	Threshold float64 `json:"threshold"`
	// Value is the metric when the condition tripped: a share from 0 to 1
	// for a rate, a count for a count.
	Value float64 `json:"value"`
	// At is when the watcher saw the condition trip, on the drill's clock.
	At   time.Duration `json:"-"`
	AtMS float64       `json:"at_ms"`
	// Since is when the condition began to hold without a break: for a
	// rate, the end of the first window that crossed the threshold; for a
	// count, At.
	Since   time.Duration `json:"-"`
	SinceMS float64       `json:"since_ms"`
	// WindowFromMS and WindowToMS bound the send times of the operations
	// the last window of a rate held (from excluded, to included); Ops is
	// how many there were and OK how many succeeded. For a count, Ops is
	// the count and the window is absent.
	WindowFromMS *float64 `json:"window_from_ms,omitempty"`
	WindowToMS   *float64 `json:"window_to_ms,omitempty"`
	Ops          int      `json:"ops"`
	OK           int      `json:"ok"`
	// Detail says it in a sentence; it is also the drill.abort event's.
	Detail string `json:"detail"`
}

// AbortWatch watches a drill for a reason to stop it. The Runner runs it
// for the measured part of the drill.
type AbortWatch interface {
	// Watch returns the condition that tripped, or nil once ctx ends
	// without one tripping.
	Watch(ctx context.Context) *AbortResult
}

// AbortWatcher evaluates a scenario's abort conditions from the
// workload's live ledgers, every CheckEvery, on the drill's Timeline.
type AbortWatcher struct {
	conds   []scenarios.AbortCondition
	tl      *Timeline
	streams []OpStream
	lag     time.Duration
	every   time.Duration
}

var _ AbortWatch = (*AbortWatcher)(nil)

// AbortOption configures NewAbortWatcher.
type AbortOption func(*AbortWatcher)

// WithOps adds streams of finished operations to watch (the probe's
// ledger, a read workload's).
func WithOps(streams ...OpStream) AbortOption {
	return func(w *AbortWatcher) {
		for _, s := range streams {
			if s != nil && !containsStream(w.streams, s) {
				w.streams = append(w.streams, s)
			}
		}
	}
}

func containsStream(list []OpStream, s OpStream) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// outcomeSlack is how long after an operation's timeout its outcome may
// still take to be recorded (the probe's bookkeeping).
const outcomeSlack = 250 * time.Millisecond

// WithOutcomeWithin says every operation has its outcome within d of
// being sent (the workload's timeout, which the probe enforces). A rate is
// then evaluated over the operations sent in a one-second window that
// ended d plus a little ago, so every operation in it is decided: a write
// still in flight is neither a success nor a failure yet, and counting it
// as either would make the rate say what did not happen.
func WithOutcomeWithin(d time.Duration) AbortOption {
	return func(w *AbortWatcher) { w.lag = d + outcomeSlack }
}

// WithCheckEvery sets how often the conditions are evaluated; default
// 100ms.
func WithCheckEvery(d time.Duration) AbortOption {
	return func(w *AbortWatcher) {
		if d > 0 {
			w.every = d
		}
	}
}

// NewAbortWatcher watches conds (validated by the scenario loader) on tl.
func NewAbortWatcher(conds []scenarios.AbortCondition, tl *Timeline, opts ...AbortOption) *AbortWatcher {
	w := &AbortWatcher{conds: conds, tl: tl, lag: scenarios.DefaultTimeout + outcomeSlack, every: 100 * time.Millisecond}
	for _, o := range opts {
		o(w)
	}
	return w
}

// Watch evaluates the conditions every period until one trips or ctx
// ends.
func (w *AbortWatcher) Watch(ctx context.Context) *AbortResult {
	ev := newAbortEval(w.conds, w.lag)
	cursors := make([]int, len(w.streams))
	tick := time.NewTicker(w.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		for i, s := range w.streams {
			ops := s.OpsSince(cursors[i])
			cursors[i] += len(ops)
			for _, op := range ops {
				ev.observe(op)
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		if a := ev.check(w.tl.Now()); a != nil {
			return a
		}
	}
}

// rateWindow is the width of a rate's window: the language's "last
// second".
const rateWindow = time.Second

// abortEval is the evaluation of the conditions, apart from any clock:
// operations are observed as they finish and the conditions checked at an
// instant, so it can be tested on synthetic counters.
type abortEval struct {
	conds  []condState
	lag    time.Duration
	writes opCounts
	reads  opCounts
}

type condState struct {
	index int
	c     scenarios.AbortCondition
	m     metricKind
	// holding is when the condition began to hold without a break; nil
	// when it does not hold.
	holding *time.Duration
}

// metricKind is what an abort metric measures.
type metricKind struct {
	rate  bool // a share over the last second; otherwise a count since the start
	reads bool // reads; otherwise writes
	noun  string
}

func kindOf(metric string) (metricKind, bool) {
	switch metric {
	case scenarios.MetricWriteSuccessRate:
		return metricKind{rate: true, noun: "writes"}, true
	case scenarios.MetricReadSuccessRate:
		return metricKind{rate: true, reads: true, noun: "reads"}, true
	case scenarios.MetricFailedWrites:
		return metricKind{noun: "writes"}, true
	case scenarios.MetricFailedReads:
		return metricKind{reads: true, noun: "reads"}, true
	}
	return metricKind{}, false
}

// opCounts is what the metrics of one kind of operation need: the recent
// operations by send time (for rates) and the failures since the start.
type opCounts struct {
	recent []sentOutcome
	failed int // failed or indeterminate
}

type sentOutcome struct {
	sent time.Duration
	ok   bool
}

func newAbortEval(conds []scenarios.AbortCondition, lag time.Duration) *abortEval {
	e := &abortEval{lag: lag}
	for i, c := range conds {
		if m, ok := kindOf(c.Metric); ok {
			e.conds = append(e.conds, condState{index: i, c: c, m: m})
		}
	}
	return e
}

func (e *abortEval) observe(op Op) {
	var oc *opCounts
	switch op.Kind {
	case opKindWrite, "":
		oc = &e.writes
	case opKindRead:
		oc = &e.reads
	default:
		return
	}
	// A success is an ok answer. A stale read (a replica behind) is not a
	// success, but neither failed nor timed out: failed_reads leaves it out,
	// as the language defines it.
	ok := op.Outcome == OutcomeOK
	if op.Outcome == OutcomeFailed || op.Outcome == OutcomeIndeterminate {
		oc.failed++
	}
	oc.recent = append(oc.recent, sentOutcome{sent: op.Sent, ok: ok})
}

// check evaluates every condition at instant now, in the scenario's order,
// and returns the first that trips. A rate is the share of ok operations
// among those sent in (now−lag−1s, now−lag]; before a whole window has
// passed, or when no operation was sent in it, it has no value, which
// breaks a hold (only evidence aborts). A count is the number of failed
// and indeterminate operations recorded by now. A condition trips once it
// has held for its `for`, measured on window ends for a rate and on now
// for a count; with for 0, at the first crossing.
func (e *abortEval) check(now time.Duration) *AbortResult {
	to := now - e.lag
	from := to - rateWindow
	for i := range e.conds {
		cs := &e.conds[i]
		oc := &e.writes
		if cs.m.reads {
			oc = &e.reads
		}
		var value float64
		var n, ok int
		at := now
		if cs.m.rate {
			at = to
			if from < 0 {
				cs.holding = nil
				continue
			}
			for _, o := range oc.recent {
				if o.sent > from && o.sent <= to {
					n++
					if o.ok {
						ok++
					}
				}
			}
			if n == 0 {
				cs.holding = nil
				continue
			}
			value = float64(ok) / float64(n)
		} else {
			value, n = float64(oc.failed), oc.failed
		}
		threshold, below := threshold(cs.c)
		if below && !(value < threshold) || !below && !(value > threshold) {
			cs.holding = nil
			continue
		}
		if cs.holding == nil {
			cs.holding = &at
		}
		if at-*cs.holding < cs.c.For.Duration {
			continue
		}
		a := &AbortResult{Index: cs.index, Metric: cs.c.Metric, Condition: conditionText(cs.c), Threshold: threshold,
			Value: value, At: now, AtMS: Millis(now), Since: *cs.holding, SinceMS: Millis(*cs.holding), Ops: n, OK: ok}
		if cs.m.rate {
			f, t := Millis(from), Millis(to)
			a.WindowFromMS, a.WindowToMS = &f, &t
		}
		a.Detail = abortDetail(a, cs.m, from, to)
		return a
	}
	// Windows only move forward: what was sent at or before this window's
	// start is out of every later one.
	for _, oc := range []*opCounts{&e.writes, &e.reads} {
		kept := oc.recent[:0]
		for _, o := range oc.recent {
			if o.sent > from {
				kept = append(kept, o)
			}
		}
		oc.recent = kept
	}
	return nil
}

// threshold is the condition's limit and whether the metric must stay
// above it (below) or below it (above).
func threshold(c scenarios.AbortCondition) (float64, bool) {
	if c.Below != nil {
		return *c.Below, true
	}
	if c.Above != nil {
		return *c.Above, false
	}
	return 0, false
}

// conditionText writes a condition as the scenario does: "below 0.5 for
// 2s", "above 100".
func conditionText(c scenarios.AbortCondition) string {
	th, below := threshold(c)
	s := "above " + formatNumber(th)
	if below {
		s = "below " + formatNumber(th)
	}
	if c.For.Duration > 0 {
		s += " for " + c.For.Duration.String()
	}
	return s
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// abortDetail says what tripped in a sentence, for the event, the
// progress line and the verdict's reason.
func abortDetail(a *AbortResult, m metricKind, from, to time.Duration) string {
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	if m.rate {
		held := ""
		if a.Since < to {
			held = fmt.Sprintf(", holding since the window ending at %s", ms(a.Since))
		}
		return fmt.Sprintf("abort[%d] %s %s: %s (%d of %d %s sent in (%s, %s] succeeded%s)",
			a.Index, a.Metric, a.Condition, strconv.FormatFloat(a.Value, 'g', 3, 64), a.OK, a.Ops, m.noun, ms(from), ms(to), held)
	}
	return fmt.Sprintf("abort[%d] %s %s: %d %s failed or indeterminate since the start",
		a.Index, a.Metric, a.Condition, a.Ops, m.noun)
}
