package probe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill"
)

// writerFunc adapts a function to Writer.
type writerFunc func(ctx context.Context, id string) (string, firedrill.Outcome, error)

func (f writerFunc) Write(ctx context.Context, id string) (string, firedrill.Outcome, error) {
	return f(ctx, id)
}

// run runs a probe for d of virtual time and returns the ledger's ops sorted
// by sequence. It must be called inside a synctest bubble.
func run(t *testing.T, cfg Config, w Writer, d time.Duration, configure func(*Probe)) (*Probe, []firedrill.Op) {
	t.Helper()
	tl := firedrill.NewTimeline()
	ledger := &firedrill.Ledger{}
	p := New(cfg, w, tl, ledger)
	if configure != nil {
		configure(p)
	}
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	ops := ledger.Ops()
	slices.SortFunc(ops, func(a, b firedrill.Op) int { return int(a.Seq - b.Seq) })
	att, ok, failed, ind := p.Stats()
	if att != len(ops) || ok+failed+ind != att {
		t.Fatalf("after Run: Stats = %d attempted, %d+%d+%d finished; ledger has %d ops", att, ok, failed, ind, len(ops))
	}
	return p, ops
}

// okWriter acknowledges every write at once.
var okWriter = writerFunc(func(ctx context.Context, id string) (string, firedrill.Outcome, error) {
	return "n", firedrill.OutcomeOK, nil
})

// stallAt makes the scheduler lose d just before it launches op seq.
func stallAt(seq int64, d time.Duration) func(*Probe) {
	return func(p *Probe) {
		p.stall = func(s int64) {
			if s == seq {
				time.Sleep(d)
			}
		}
	}
}

// sleepCtx sleeps d of virtual time or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestOpenLoopDuringOutage: an outage in which every write blocks for 3s
// does not reduce the number of writes sent.
func TestOpenLoopDuringOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		w := writerFunc(func(ctx context.Context, id string) (string, firedrill.Outcome, error) {
			if at := time.Since(start); at >= 3*time.Second && at < 5*time.Second {
				if err := sleepCtx(ctx, 3*time.Second); err != nil {
					return "", firedrill.OutcomeIndeterminate, err
				}
				return "", firedrill.OutcomeFailed, errors.New("outage")
			}
			return "pg-primary", firedrill.OutcomeOK, nil
		})
		_, ops := run(t, Config{Rate: 50, Timeout: 5 * time.Second, RunID: "r1"}, w, 10*time.Second, nil)

		if n := len(ops); n != 500 {
			t.Fatalf("scheduled %d ops in 10s at 50/s, want 500", n)
		}
		// Run waited for the ops of the outage and the last ones to finish.
		if el := time.Since(start); el < 10*time.Second || el > 10*time.Second+time.Millisecond {
			t.Errorf("Run returned after %s of virtual time, want 10s (last op finishes at once)", el)
		}
		var inOutage, failed int
		for _, op := range ops {
			if op.Sent >= 3*time.Second && op.Sent < 5*time.Second {
				inOutage++
				if op.Outcome != firedrill.OutcomeFailed || op.Done-op.Sent != 3*time.Second {
					t.Errorf("op %s in the outage: %s after %s, want failed after 3s", op.ID, op.Outcome, op.Done-op.Sent)
				}
			} else if op.Outcome != firedrill.OutcomeOK || op.Node != "pg-primary" {
				t.Errorf("op %s: outcome %s node %q, want ok on pg-primary", op.ID, op.Outcome, op.Node)
			}
			if op.Outcome == firedrill.OutcomeFailed {
				failed++
			}
		}
		if inOutage != 100 {
			t.Errorf("%d ops sent during the 2s outage, want 100", inOutage)
		}
	})
}

// TestSendTimes: op i is sent at i/rate, also for a rate that does not
// divide a second.
func TestSendTimes(t *testing.T) {
	for _, rate := range []float64{50, 3, 1000} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := writerFunc(func(ctx context.Context, id string) (string, firedrill.Outcome, error) {
					return "n", firedrill.OutcomeOK, sleepCtx(ctx, 7*time.Millisecond)
				})
				_, ops := run(t, Config{Rate: rate, Timeout: time.Second, RunID: "r"}, w, 2*time.Second, nil)
				if want := int(2 * rate); len(ops) != want {
					t.Fatalf("%d ops, want %d", len(ops), want)
				}
				for i, op := range ops {
					due := time.Duration(math.Round(float64(i) * float64(time.Second) / rate))
					if op.Seq != int64(i) || op.Due != due || op.Sent != due {
						t.Fatalf("op %d: seq %d due at %s sent at %s, want seq %d due and sent at %s", i, op.Seq, op.Due, op.Sent, i, due)
					}
					if op.Done-op.Sent != 7*time.Millisecond {
						t.Fatalf("op %d took %s, want 7ms", i, op.Done-op.Sent)
					}
				}
			})
		})
	}
}

// TestOutcomes: outcomes are recorded as the writer returns them; an op
// without an answer by its timeout is indeterminate, even when the writer
// ignores its context; an unknown outcome is indeterminate.
func TestOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = 500 * time.Millisecond
		w := writerFunc(func(ctx context.Context, id string) (string, firedrill.Outcome, error) {
			var seq int
			fmt.Sscanf(id[strings.LastIndex(id, "-")+1:], "%d", &seq)
			switch seq % 6 {
			case 0:
				return "pg-a", firedrill.OutcomeOK, nil
			case 1:
				return "pg-a", firedrill.OutcomeFailed, errors.New("rejected")
			case 2:
				return "", firedrill.OutcomeIndeterminate, errors.New("reset")
			case 3: // honours ctx
				err := sleepCtx(ctx, time.Hour)
				return "", firedrill.OutcomeIndeterminate, err
			case 4: // ignores ctx and answers ok too late
				time.Sleep(2 * timeout)
				return "pg-a", firedrill.OutcomeOK, nil
			default:
				return "", "maybe", nil
			}
		})
		_, ops := run(t, Config{Rate: 10, Timeout: timeout, RunID: "r"}, w, 3*time.Second, nil)
		time.Sleep(2 * timeout) // let the writers that ignored their context return
		if len(ops) != 30 {
			t.Fatalf("%d ops, want 30", len(ops))
		}
		for _, op := range ops {
			type want struct {
				outcome firedrill.Outcome
				node    string
				errText string
				took    time.Duration
			}
			var wnt want
			switch op.Seq % 6 {
			case 0:
				wnt = want{firedrill.OutcomeOK, "pg-a", "", 0}
			case 1:
				wnt = want{firedrill.OutcomeFailed, "", "rejected", 0}
			case 2:
				wnt = want{firedrill.OutcomeIndeterminate, "", "reset", 0}
			case 3, 4:
				wnt = want{firedrill.OutcomeIndeterminate, "", "", timeout}
			default:
				wnt = want{firedrill.OutcomeIndeterminate, "", "unknown outcome", 0}
			}
			if op.Outcome != wnt.outcome || op.Node != wnt.node || op.Done-op.Sent != wnt.took ||
				!strings.Contains(op.Error, wnt.errText) || (op.Outcome != firedrill.OutcomeOK && op.Error == "") {
				t.Errorf("op %d: %s node %q error %q after %s; want %s node %q error ~%q after %s",
					op.Seq, op.Outcome, op.Node, op.Error, op.Done-op.Sent, wnt.outcome, wnt.node, wnt.errText, wnt.took)
			}
			if op.Kind != OpKind {
				t.Errorf("op %d: kind %q", op.Seq, op.Kind)
			}
		}
	})
}

// TestUniqueIDs: every op has its own id, RunID-<padded seq>, and no sequence
// number is skipped.
func TestUniqueIDs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		seen := make(chan string, 10000)
		w := writerFunc(func(ctx context.Context, id string) (string, firedrill.Outcome, error) {
			seen <- id
			return "n", firedrill.OutcomeOK, nil
		})
		_, ops := run(t, Config{Rate: 200, Timeout: time.Second, RunID: "fd-20260101T000000-ab12"}, w, 5*time.Second, nil)
		close(seen)
		ids := map[string]bool{}
		for id := range seen {
			if ids[id] {
				t.Fatalf("id %s written twice", id)
			}
			ids[id] = true
		}
		for i, op := range ops {
			want := fmt.Sprintf("fd-20260101T000000-ab12-%08d", i)
			if op.ID != want || op.Seq != int64(i) || !ids[op.ID] {
				t.Fatalf("op %d: id %s seq %d, want %s", i, op.ID, op.Seq, want)
			}
		}
		if len(ids) != len(ops) {
			t.Fatalf("writer saw %d ids, ledger has %d ops", len(ids), len(ops))
		}
	})
}

// TestLateSchedulerCatchesUp: when the scheduler falls behind, it sends the
// ops it missed at once instead of skipping them.
func TestLateSchedulerCatchesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Op 100 is due at 2s; the scheduler loses 1s there.
		_, ops := run(t, Config{Rate: 50, Timeout: time.Second, RunID: "r"}, okWriter, 10*time.Second, stallAt(100, time.Second))
		if n := len(ops); n != 500 {
			t.Fatalf("%d ops, want 500: missed ops were skipped", n)
		}
		for i, op := range ops {
			due := time.Duration(i) * 20 * time.Millisecond
			want := due
			if i >= 100 && i <= 150 { // due during the stall, sent when it ends
				want = 3 * time.Second
			}
			if op.Seq != int64(i) || op.Due != due || op.Sent != want {
				t.Fatalf("op %d: seq %d due at %s sent at %s, want due at %s, sent at %s", i, op.Seq, op.Due, op.Sent, due, want)
			}
		}
	})
}

// TestNothingSentAfterTheEnd: once the workload's context is done the probe
// sends nothing, not even the ops that fell due before the end while the
// scheduler was late (the Runner stamps drill.end at that instant); they are
// counted as unsent.
func TestNothingSentAfterTheEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		end := 10 * time.Second
		var lateCalls atomic.Int64
		var tl *firedrill.Timeline
		w := writerFunc(func(ctx context.Context, id string) (string, firedrill.Outcome, error) {
			if tl.Now() >= end {
				lateCalls.Add(1)
			}
			return "n", firedrill.OutcomeOK, nil
		})
		stall := func(p *Probe) {
			tl = p.tl
			stallAt(490, time.Second)(p) // due at 9.8s; the scheduler wakes at 10.8s
		}
		p, ops := run(t, Config{Rate: 50, Timeout: time.Second, RunID: "r"}, w, end, stall)
		if n := len(ops); n != 490 {
			t.Fatalf("%d ops, want 490 (0..489): ops not sent by the end must not be sent after it", n)
		}
		if n := lateCalls.Load(); n != 0 {
			t.Errorf("the writer was called %d times after the end", n)
		}
		for _, op := range ops {
			if op.Sent >= end {
				t.Errorf("op %d sent at %s, after the end at %s", op.Seq, op.Sent, end)
			}
		}
		if n := p.Unsent(); n != 10 {
			t.Errorf("Unsent = %d, want 10 (ops 490..499 were due before the end)", n)
		}
	})
}

// TestDueOnTheTimeline: Due is an offset on the drill's Timeline, which
// may have started before the probe; Sent equals it when the probe keeps up.
func TestDueOnTheTimeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tl := firedrill.NewTimeline()
		time.Sleep(1500 * time.Millisecond) // the environment's set-up, say
		ledger := &firedrill.Ledger{}
		w := writerFunc(func(ctx context.Context, id string) (string, firedrill.Outcome, error) {
			return "n", firedrill.OutcomeOK, sleepCtx(ctx, 30*time.Millisecond)
		})
		p := New(Config{Rate: 40, Timeout: time.Second, RunID: "r"}, w, tl, ledger)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := p.Run(ctx); err != nil {
			t.Fatal(err)
		}
		ops := ledger.Ops()
		slices.SortFunc(ops, func(a, b firedrill.Op) int { return int(a.Seq - b.Seq) })
		if len(ops) != 40 {
			t.Fatalf("%d ops, want 40", len(ops))
		}
		for i, op := range ops {
			want := 1500*time.Millisecond + time.Duration(i)*25*time.Millisecond
			if op.Due != want || op.Sent != want || op.Done != want+30*time.Millisecond {
				t.Errorf("op %d: due %s sent %s done %s, want due and sent at %s, done 30ms later", i, op.Due, op.Sent, op.Done, want)
			}
		}
	})
}

// TestStopOnCancel: a probe whose context has no deadline stops when it is
// cancelled.
func TestStopOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ledger := &firedrill.Ledger{}
		p := New(Config{Rate: 10, Timeout: time.Second, RunID: "r"}, okWriter, firedrill.NewTimeline(), ledger)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(1050*time.Millisecond, cancel)
		start := time.Now()
		if err := p.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if n := ledger.Len(); n != 11 {
			t.Errorf("%d ops before the cancel at 1.05s, want 11", n)
		}
		if el := time.Since(start); el != 1050*time.Millisecond {
			t.Errorf("Run returned after %s, want 1.05s", el)
		}
	})
}

// TestCancelDoesNotFailInFlight: the end of the drill lets in-flight ops
// finish on their own timeout; Run returns after they are recorded.
func TestCancelDoesNotFailInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		w := writerFunc(func(ctx context.Context, id string) (string, firedrill.Outcome, error) {
			if err := sleepCtx(ctx, 2*time.Second); err != nil {
				return "", firedrill.OutcomeFailed, err // would show a wrongly cancelled op
			}
			return "n", firedrill.OutcomeOK, nil
		})
		p, ops := run(t, Config{Rate: 10, Timeout: 5 * time.Second, RunID: "r"}, w, 950*time.Millisecond, nil)
		if el := time.Since(start); el != 2*time.Second+900*time.Millisecond {
			t.Errorf("Run returned after %s, want 2.9s (the last op, sent at 0.9s, takes 2s)", el)
		}
		if len(ops) != 10 {
			t.Fatalf("%d ops, want 10", len(ops))
		}
		for _, op := range ops {
			if op.Outcome != firedrill.OutcomeOK {
				t.Errorf("op %s: %s (%s), want ok: cancelling the probe must not cancel in-flight ops", op.ID, op.Outcome, op.Error)
			}
		}
		if _, ok, _, _ := p.Stats(); ok != len(ops) {
			t.Errorf("Stats ok = %d, want %d", ok, len(ops))
		}
	})
}

func TestStatsLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		w := writerFunc(func(ctx context.Context, id string) (string, firedrill.Outcome, error) {
			select {
			case <-release:
				return "n", firedrill.OutcomeOK, nil
			case <-ctx.Done():
				return "", firedrill.OutcomeIndeterminate, ctx.Err()
			}
		})
		p := New(Config{Rate: 10, Timeout: 10 * time.Second, RunID: "r"}, w, firedrill.NewTimeline(), &firedrill.Ledger{})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- p.Run(ctx) }()
		time.Sleep(450 * time.Millisecond) // ops 0..4 sent, all blocked
		synctest.Wait()
		if a, ok, f, i := p.Stats(); a != 5 || ok+f+i != 0 {
			t.Errorf("Stats = %d attempted, %d/%d/%d finished; want 5 attempted, none finished", a, ok, f, i)
		}
		close(release)
		synctest.Wait()
		if a, ok, _, _ := p.Stats(); a != 5 || ok != 5 {
			t.Errorf("Stats = %d attempted, %d ok; want 5, 5", a, ok)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestInvalidConfig(t *testing.T) {
	w := writerFunc(func(ctx context.Context, id string) (string, firedrill.Outcome, error) {
		return "", firedrill.OutcomeOK, nil
	})
	for _, cfg := range []Config{
		{Rate: 0, Timeout: time.Second, RunID: "r"},
		{Rate: -1, Timeout: time.Second, RunID: "r"},
		{Rate: math.NaN(), Timeout: time.Second, RunID: "r"},
		{Rate: math.Inf(1), Timeout: time.Second, RunID: "r"},
		{Rate: 1, Timeout: 0, RunID: "r"},
		{Rate: 1, Timeout: time.Second, RunID: ""},
		{Rate: 1, Timeout: time.Second, RunID: "has space"},
		{Rate: 1, Timeout: time.Second, RunID: strings.Repeat("x", 101)},
	} {
		ledger := &firedrill.Ledger{}
		if err := New(cfg, w, firedrill.NewTimeline(), ledger).Run(t.Context()); err == nil {
			t.Errorf("Run(%+v) = nil, want an error", cfg)
		}
		if ledger.Len() != 0 {
			t.Errorf("Run(%+v) recorded ops", cfg)
		}
	}
}

// deadlineFake is a Writer that, like HTTPWriter, promises to return by its
// context's deadline: the probe calls it on the op's goroutine.
type deadlineFake struct{ writerFunc }

func (deadlineFake) returnsByDeadline() {}

// TestDeadlineWriter: a writer called on the op's goroutine is recorded as
// it answers; an ok that comes only at the deadline is no answer in time
// (indeterminate), while a definite failure stays failed (the write did not
// happen, whenever the writer learned it).
func TestDeadlineWriter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = 200 * time.Millisecond
		w := deadlineFake{func(ctx context.Context, id string) (string, firedrill.Outcome, error) {
			var seq int
			fmt.Sscanf(id[strings.LastIndex(id, "-")+1:], "%d", &seq)
			switch seq % 3 {
			case 0:
				time.Sleep(10 * time.Millisecond)
				return "pg-a", firedrill.OutcomeOK, nil
			case 1: // an answer that arrives with the deadline
				<-ctx.Done()
				return "pg-a", firedrill.OutcomeOK, nil
			default: // still waiting for a connection at the deadline
				<-ctx.Done()
				return "", firedrill.OutcomeFailed, ctx.Err()
			}
		}}
		_, ops := run(t, Config{Rate: 10, Timeout: timeout, RunID: "d"}, w, time.Second, nil)
		if len(ops) != 10 {
			t.Fatalf("%d ops, want 10", len(ops))
		}
		for _, op := range ops {
			want, took := firedrill.OutcomeOK, 10*time.Millisecond
			switch op.Seq % 3 {
			case 1:
				want, took = firedrill.OutcomeIndeterminate, timeout
			case 2:
				want, took = firedrill.OutcomeFailed, timeout
			}
			if op.Outcome != want || op.Done-op.Sent != took {
				t.Errorf("op %d: %s after %s (%s), want %s after %s", op.Seq, op.Outcome, op.Done-op.Sent, op.Error, want, took)
			}
		}
	})
}

func TestOpID(t *testing.T) {
	for seq, want := range map[int64]string{0: "r-00000000", 7: "r-00000007", 12345678: "r-12345678", 123456789: "r-123456789"} {
		if got := OpID("r", seq); got != want {
			t.Errorf("OpID(r, %d) = %q, want %q", seq, got, want)
		}
	}
}
