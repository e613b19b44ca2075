package firedrill

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

func below(metric string, th float64, forD time.Duration) scenarios.AbortCondition {
	return scenarios.AbortCondition{Metric: metric, Below: &th, For: scenarios.Duration{Duration: forD}}
}

func above(metric string, th float64) scenarios.AbortCondition {
	return scenarios.AbortCondition{Metric: metric, Above: &th}
}

// ops10 is one write every 100ms sent in [from, to), ok unless fail says
// otherwise.
func ops10(kind string, from, to time.Duration, fail func(sent time.Duration) Outcome) []Op {
	var out []Op
	for s := from; s < to; s += ms(100) {
		o := Op{Kind: kind, Sent: s, Done: s + ms(10), Outcome: OutcomeOK}
		if fail != nil {
			if oc := fail(s); oc != "" {
				o.Outcome = oc
			}
		}
		out = append(out, o)
	}
	return out
}

// failFrom fails every operation sent at or after t.
func failFrom(t time.Duration) func(time.Duration) Outcome {
	return func(s time.Duration) Outcome {
		if s >= t {
			return OutcomeFailed
		}
		return ""
	}
}

// evalAt feeds ops to a fresh evaluation and checks it every 100ms from 0
// to until, returning the first trip.
func evalAt(conds []scenarios.AbortCondition, lag time.Duration, ops []Op, until time.Duration) *AbortResult {
	e := newAbortEval(conds, lag)
	fed := 0
	for now := time.Duration(0); now <= until; now += ms(100) {
		// An op is recorded when it is done.
		for fed < len(ops) && ops[fed].Done <= now {
			e.observe(ops[fed])
			fed++
		}
		if a := e.check(now); a != nil {
			return a
		}
	}
	return nil
}

// A success rate over the writes sent in the last second, that second
// ending lag ago: writes failing from 5s trip a below-0.5 condition once
// the window holding them is more than half failures, lag later.
func TestAbortRateBelow(t *testing.T) {
	ops := ops10("write", 0, 20*time.Second, failFrom(5*time.Second))
	a := evalAt([]scenarios.AbortCondition{below(scenarios.MetricWriteSuccessRate, 0.5, 0)}, ms(500), ops, 20*time.Second)
	if a == nil {
		t.Fatal("did not trip")
	}
	// The window (4.4s, 5.4s] holds 5 ok and 5 failed: 0.5, not under it;
	// (4.5s, 5.5s] holds 4 ok and 6 failed: 0.4, checked at 6s with a
	// 500ms lag.
	if a.At != ms(6000) || a.Value != 0.4 || a.Ops != 10 || a.OK != 4 || *a.WindowFromMS != 4500 || *a.WindowToMS != 5500 {
		t.Errorf("tripped %+v (window %v–%v)", a, *a.WindowFromMS, *a.WindowToMS)
	}
	if a.Index != 0 || a.Threshold != 0.5 || a.Condition != "below 0.5" {
		t.Errorf("condition %+v", a)
	}
	want := "abort[0] write_success_rate below 0.5: 0.4 (4 of 10 writes sent in (4.5s, 5.5s] succeeded)"
	if a.Detail != want {
		t.Errorf("detail %q\nwant   %q", a.Detail, want)
	}
	// Healthy writes never trip it; nor do reads, for a write metric.
	if a := evalAt([]scenarios.AbortCondition{below(scenarios.MetricWriteSuccessRate, 0.5, 0)}, ms(500),
		ops10("read", 0, 20*time.Second, failFrom(0)), 20*time.Second); a != nil {
		t.Errorf("failing reads tripped a write condition: %+v", a)
	}
}

// Writes still in flight are in no window: the window lags by the time an
// outcome takes. With writes hanging for 1s (indeterminate) from 5s, a
// window ending before their outcomes are in could only guess.
func TestAbortRateWaitsForOutcomes(t *testing.T) {
	ops := ops10("write", 0, 20*time.Second, nil)
	for i := range ops {
		if ops[i].Sent >= 5*time.Second {
			ops[i].Outcome, ops[i].Done = OutcomeIndeterminate, ops[i].Sent+time.Second
		}
	}
	lag := time.Second + outcomeSlack
	a := evalAt([]scenarios.AbortCondition{below(scenarios.MetricWriteSuccessRate, 1, 0)}, lag, ops, 20*time.Second)
	if a == nil {
		t.Fatal("did not trip")
	}
	// (4.05s, 5.05s] holds the first indeterminate write: every write in
	// it is decided by 5.05s + lag = 6.3s, which the check at 6.3s sees.
	if a.At != ms(6300) || a.Ops != 10 || a.OK != 9 {
		t.Errorf("tripped at %s with %d of %d ok", a.At, a.OK, a.Ops)
	}
}

// `for` must hold without a break: a dip shorter than it does not trip,
// a window with no write breaks the hold, and a long enough one trips
// with Since at the start of the hold.
func TestAbortRateFor(t *testing.T) {
	dip := func(s time.Duration) Outcome {
		if s >= 5*time.Second && s < 7*time.Second || s >= 10*time.Second {
			return OutcomeFailed
		}
		return ""
	}
	ops := ops10("write", 0, 20*time.Second, dip)
	c := []scenarios.AbortCondition{below(scenarios.MetricWriteSuccessRate, 0.5, 3*time.Second)}
	a := evalAt(c, 0, ops, 20*time.Second)
	if a == nil {
		t.Fatal("did not trip")
	}
	// The 2s dip holds for about 2s and breaks; from 10s the rate is under
	// 0.5 from the window ending at 10.5s, and 3s later it trips.
	if a.Since != ms(10500) || a.At != ms(13500) || a.Condition != "below 0.5 for 3s" {
		t.Errorf("since %s, at %s, %q", a.Since, a.At, a.Condition)
	}
	if !strings.Contains(a.Detail, "holding since the window ending at 10.5s") {
		t.Errorf("detail %q", a.Detail)
	}

	// A gap with no write at all breaks the hold: only evidence aborts.
	var gapped []Op
	for _, o := range ops10("write", 0, 20*time.Second, failFrom(5*time.Second)) {
		if o.Sent < 6*time.Second || o.Sent >= 7500*time.Millisecond && o.Sent < 9*time.Second || o.Sent >= 10*time.Second && o.Sent < 11*time.Second {
			gapped = append(gapped, o)
		}
	}
	if a := evalAt([]scenarios.AbortCondition{below(scenarios.MetricWriteSuccessRate, 0.5, 2500*time.Millisecond)}, 0, gapped, 20*time.Second); a != nil {
		t.Errorf("tripped across gaps with no write: %+v", a)
	}
}

// Counts are failed plus indeterminate since the start, and trip at once
// when above; a stale read is neither. Rate and count conditions are
// checked in the scenario's order.
func TestAbortCounts(t *testing.T) {
	ops := ops10("write", 0, 10*time.Second, func(s time.Duration) Outcome {
		switch {
		case s >= 5*time.Second && s < 5500*time.Millisecond:
			return OutcomeIndeterminate
		case s >= 5500*time.Millisecond:
			return OutcomeFailed
		}
		return ""
	})
	a := evalAt([]scenarios.AbortCondition{above(scenarios.MetricFailedWrites, 9)}, time.Hour, ops, 20*time.Second)
	if a == nil || a.Value != 10 || a.Ops != 10 || a.At != 6*time.Second || a.WindowFromMS != nil {
		t.Fatalf("tripped %+v", a)
	}
	if a.Detail != "abort[0] failed_writes above 9: 10 writes failed or indeterminate since the start" {
		t.Errorf("detail %q", a.Detail)
	}

	reads := ops10("read", 0, 10*time.Second, func(time.Duration) Outcome { return "stale" })
	reads = append(reads, Op{Kind: "read", Sent: 9 * time.Second, Done: 9 * time.Second, Outcome: OutcomeFailed})
	conds := []scenarios.AbortCondition{above(scenarios.MetricFailedReads, 1), below(scenarios.MetricReadSuccessRate, 0.5, 0)}
	a = evalAt(conds, 0, reads, 20*time.Second)
	if a == nil || a.Index != 1 || a.Metric != scenarios.MetricReadSuccessRate || a.Value != 0 {
		t.Fatalf("stale reads: %+v, want read_success_rate (index 1) at 0, not failed_reads", a)
	}
}

// The watcher reads every stream it is given, once each, and returns nil
// when its context ends without a trip.
func TestAbortWatcher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tl := NewTimeline()
		writes, reads := &Ledger{}, &Ledger{}
		w := NewAbortWatcher([]scenarios.AbortCondition{above(scenarios.MetricFailedWrites, 2), above(scenarios.MetricFailedReads, 0)},
			tl, WithOps(writes, reads, writes, nil), WithOutcomeWithin(0), WithCheckEvery(ms(50)))
		if len(w.streams) != 2 {
			t.Fatalf("%d streams, want 2 (duplicates and nil dropped)", len(w.streams))
		}
		go func() {
			for i := range 3 {
				time.Sleep(ms(100))
				writes.Add(Op{Kind: "write", Sent: tl.Now(), Done: tl.Now(), Outcome: OutcomeFailed, ID: string(rune('a' + i))})
			}
		}()
		a := w.Watch(context.Background())
		if a == nil || a.Metric != scenarios.MetricFailedWrites || a.Value != 3 || a.At < ms(300) || a.At > ms(350) {
			t.Fatalf("tripped %+v, want failed_writes 3 at about 300ms", a)
		}

		ctx, cancel := context.WithTimeout(context.Background(), ms(500))
		defer cancel()
		quiet := NewAbortWatcher([]scenarios.AbortCondition{above(scenarios.MetricFailedReads, 0)}, tl, WithOps(&Ledger{}))
		if a := quiet.Watch(ctx); a != nil || ctx.Err() == nil {
			t.Errorf("a quiet drill tripped %+v", a)
		}
	})
}

func TestLedgerOpsSince(t *testing.T) {
	l := &Ledger{}
	for i := range 3 {
		l.Add(Op{Seq: int64(i)})
	}
	if got := l.OpsSince(1); len(got) != 2 || got[0].Seq != 1 {
		t.Errorf("OpsSince(1) = %+v", got)
	}
	if got := l.OpsSince(3); got != nil {
		t.Errorf("OpsSince(3) = %+v", got)
	}
	if got := l.OpsSince(-1); len(got) != 3 {
		t.Errorf("OpsSince(-1) = %+v", got)
	}
}
