package probe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill"
)

// readerFunc adapts a function to Reader.
type readerFunc func(ctx context.Context, key string) (ReadAnswer, firedrill.Outcome, error)

func (f readerFunc) Read(ctx context.Context, key string) (ReadAnswer, firedrill.Outcome, error) {
	return f(ctx, key)
}

var replicaAnswer = ReadAnswer{Node: "pg-replica1", Role: firedrill.ServedByReplica}

// okReader finds every key on a replica at once.
var okReader = readerFunc(func(ctx context.Context, key string) (ReadAnswer, firedrill.Outcome, error) {
	return replicaAnswer, firedrill.OutcomeOK, nil
})

// ackedAt returns an Acks holding one write per instant given.
func ackedAt(at ...time.Duration) *Acks {
	a := &Acks{}
	for i, d := range at {
		a.add(fmt.Sprintf("w-%d", i), d)
	}
	return a
}

// runReads runs a read stream for d of virtual time and returns its reads
// sorted by sequence. It must be called inside a synctest bubble.
func runReads(t *testing.T, cfg ReadConfig, r Reader, acks *Acks, d time.Duration, configure func(*ReadStream)) (*ReadStream, []firedrill.Op) {
	t.Helper()
	ledger := &firedrill.Ledger{}
	s := NewReadStream(cfg, r, acks, firedrill.NewTimeline(), ledger)
	if configure != nil {
		configure(s)
	}
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	ops := ledger.Ops()
	slices.SortFunc(ops, func(a, b firedrill.Op) int { return int(a.Seq - b.Seq) })
	sent, ok, stale, failed, ind := s.Stats()
	if sent != len(ops) || ok+stale+failed+ind != sent {
		t.Fatalf("after Run: Stats = %d sent, %d+%d+%d+%d finished; ledger has %d reads", sent, ok, stale, failed, ind, len(ops))
	}
	return s, ops
}

// TestReadSchedule: read i is due and sent at i/rate, with Kind read, an id
// of its own and the key of the write acknowledged before it.
func TestReadSchedule(t *testing.T) {
	for _, rate := range []float64{50, 3, 1000} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := readerFunc(func(ctx context.Context, key string) (ReadAnswer, firedrill.Outcome, error) {
					return replicaAnswer, firedrill.OutcomeOK, sleepCtx(ctx, 7*time.Millisecond)
				})
				// A write acknowledged long before the reads start: every
				// read has a key.
				_, ops := runReads(t, ReadConfig{Rate: rate, Timeout: time.Second, RunID: "r"}, r, ackedAt(-time.Hour), 2*time.Second, nil)
				if want := int(2 * rate); len(ops) != want {
					t.Fatalf("%d reads, want %d", len(ops), want)
				}
				for i, op := range ops {
					due := dueAfter(rate, int64(i))
					if op.Seq != int64(i) || op.Due != due || op.Sent != due || op.Done-op.Sent != 7*time.Millisecond {
						t.Fatalf("read %d: seq %d due %s sent %s took %s, want due and sent at %s, 7ms", i, op.Seq, op.Due, op.Sent, op.Done-op.Sent, due)
					}
					if op.Kind != ReadOpKind || op.ID != ReadOpID("r", int64(i)) || op.Key != "w-0" ||
						op.Outcome != firedrill.OutcomeOK || op.Node != "pg-replica1" || op.Role != firedrill.ServedByReplica {
						t.Fatalf("read %d: %+v", i, op)
					}
				}
			})
		})
	}
}

// TestReadsOpenLoopDuringOutage: reads that hang for 3s during an outage
// do not slow the schedule: as many reads are sent as without it, and the
// ones without an answer in time are indeterminate.
func TestReadsOpenLoopDuringOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		r := readerFunc(func(ctx context.Context, key string) (ReadAnswer, firedrill.Outcome, error) {
			if at := time.Since(start); at >= 2*time.Second && at < 4*time.Second {
				err := sleepCtx(ctx, 3*time.Second)
				return ReadAnswer{}, firedrill.OutcomeFailed, err
			}
			return replicaAnswer, firedrill.OutcomeOK, nil
		})
		_, ops := runReads(t, ReadConfig{Rate: 50, Timeout: time.Second, RunID: "r"}, r, ackedAt(-time.Hour), 6*time.Second, nil)
		if len(ops) != 300 {
			t.Fatalf("%d reads in 6s at 50/s, want 300", len(ops))
		}
		var outage int
		for _, op := range ops {
			if op.Sent >= 2*time.Second && op.Sent < 4*time.Second {
				outage++
				if op.Outcome != firedrill.OutcomeIndeterminate || op.Done-op.Sent != time.Second || op.Node != "" {
					t.Errorf("read %d in the outage: %s after %s node %q, want indeterminate after the 1s timeout", op.Seq, op.Outcome, op.Done-op.Sent, op.Node)
				}
			} else if op.Outcome != firedrill.OutcomeOK {
				t.Errorf("read %d: %s", op.Seq, op.Outcome)
			}
		}
		if outage != 100 {
			t.Errorf("%d reads sent during the 2s outage, want 100", outage)
		}
	})
}

// TestReadKeys: with a write stream beside it, every read asks for the
// newest write acknowledged at least KeyAge before it was sent; reads due
// before any write is that old send nothing and are counted as keyless.
func TestReadKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tl := firedrill.NewTimeline()
		ledger := &firedrill.Ledger{}
		acks := &Acks{}
		w := writerFunc(func(ctx context.Context, id string) (string, firedrill.Outcome, error) {
			var seq int
			fmt.Sscanf(id[strings.LastIndex(id, "-")+1:], "%d", &seq)
			if seq%4 == 3 {
				return "", firedrill.OutcomeFailed, errors.New("refused") // never a key
			}
			return "pg-primary", firedrill.OutcomeOK, sleepCtx(ctx, 5*time.Millisecond)
		})
		writes := New(Config{Rate: 20, Timeout: time.Second, RunID: "k", Acks: acks}, w, tl, ledger)
		reads := NewReadStream(ReadConfig{Rate: 10, Timeout: time.Second, RunID: "k", KeyAge: 500 * time.Millisecond}, okReader, acks, tl, ledger)
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		if err := Together(writes, reads).Run(ctx); err != nil {
			t.Fatal(err)
		}
		acked := map[string]firedrill.Op{}
		var readOps []firedrill.Op
		for _, op := range ledger.Ops() {
			switch op.Kind {
			case OpKind:
				if op.Outcome == firedrill.OutcomeOK {
					acked[op.ID] = op
				}
			case ReadOpKind:
				readOps = append(readOps, op)
			}
		}
		// The first write is acknowledged at 5ms: reads sent before 505ms
		// (0, 100, ..., 500ms) have nothing to read.
		if n := reads.Keyless(); n != 6 {
			t.Errorf("Keyless = %d, want 6", n)
		}
		if len(readOps) != 30-6 {
			t.Fatalf("%d reads recorded, want 24", len(readOps))
		}
		for _, r := range readOps {
			key, ok := acked[r.Key]
			if !ok {
				t.Fatalf("read %s asked for %q, not an acknowledged write", r.ID, r.Key)
			}
			cutoff := r.Sent - 500*time.Millisecond
			if key.Done > cutoff {
				t.Errorf("read %s at %s asked for %s acknowledged at %s, less than 500ms before", r.ID, r.Sent, key.ID, key.Done)
			}
			for _, other := range acked {
				if other.Done <= cutoff && other.Done > key.Done {
					t.Errorf("read %s at %s asked for %s (acked %s), but %s was acked later, at %s, still 500ms before", r.ID, r.Sent, key.ID, key.Done, other.ID, other.Done)
				}
			}
		}
	})
}

// TestReadOutcomes: outcomes are recorded as the reader returns them; the
// node and role only for an ok or a stale read; a read without an answer
// by its timeout, or with an unknown outcome, is indeterminate.
func TestReadOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = 300 * time.Millisecond
		var seq atomic.Int64
		r := readerFunc(func(ctx context.Context, key string) (ReadAnswer, firedrill.Outcome, error) {
			switch seq.Add(1) - 1 {
			case 0:
				return replicaAnswer, firedrill.OutcomeOK, nil
			case 1:
				return replicaAnswer, firedrill.OutcomeStale, errors.New("not found on pg-replica1")
			case 2:
				return replicaAnswer, firedrill.OutcomeFailed, errors.New("refused")
			case 3:
				return replicaAnswer, firedrill.OutcomeIndeterminate, errors.New("reset")
			case 4: // ignores its context, answers too late
				time.Sleep(2 * timeout)
				return replicaAnswer, firedrill.OutcomeOK, nil
			default:
				return replicaAnswer, "maybe", nil
			}
		})
		// One read at a time (1/s), so the reader sees them in order.
		_, ops := runReads(t, ReadConfig{Rate: 1, Timeout: timeout, RunID: "o"}, r, ackedAt(-time.Hour), 6*time.Second, nil)
		want := []struct {
			outcome firedrill.Outcome
			node    string
			errText string
		}{
			{firedrill.OutcomeOK, "pg-replica1", ""},
			{firedrill.OutcomeStale, "pg-replica1", "not found"},
			{firedrill.OutcomeFailed, "", "refused"},
			{firedrill.OutcomeIndeterminate, "", "reset"},
			{firedrill.OutcomeIndeterminate, "", "no answer within"},
			{firedrill.OutcomeIndeterminate, "", "unknown outcome"},
		}
		if len(ops) != len(want) {
			t.Fatalf("%d reads, want %d", len(ops), len(want))
		}
		for i, op := range ops {
			w := want[i]
			role := ""
			if w.node != "" {
				role = firedrill.ServedByReplica
			}
			if op.Outcome != w.outcome || op.Node != w.node || op.Role != role || !strings.Contains(op.Error, w.errText) {
				t.Errorf("read %d: %s node %q role %q error %q; want %s node %q error ~%q", i, op.Outcome, op.Node, op.Role, op.Error, w.outcome, w.node, w.errText)
			}
		}
	})
}

// TestReadsLateSchedulerAndEnd: a late scheduler sends the reads it missed
// at once; nothing is sent once the stream's context is done, and the
// reads due before the end that were not sent are counted as unsent.
func TestReadsLateSchedulerAndEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stalls := func(s *ReadStream) {
			s.stall = func(seq int64) {
				if seq == 50 || seq == 245 { // due at 1s and 4.9s
					time.Sleep(500 * time.Millisecond)
				}
			}
		}
		s, ops := runReads(t, ReadConfig{Rate: 50, Timeout: time.Second, RunID: "l"}, okReader, ackedAt(-time.Hour), 5*time.Second, stalls)
		if len(ops) != 245 {
			t.Fatalf("%d reads, want 245 (0..244)", len(ops))
		}
		for i, op := range ops {
			due := time.Duration(i) * 20 * time.Millisecond
			want := due
			if i >= 50 && i <= 75 {
				want = 1500 * time.Millisecond
			}
			if op.Due != due || op.Sent != want {
				t.Fatalf("read %d: due %s sent %s, want due %s sent %s", i, op.Due, op.Sent, due, want)
			}
		}
		if n := s.Unsent(); n != 5 {
			t.Errorf("Unsent = %d, want 5 (reads 245..249 were due before the end)", n)
		}
	})
}

func TestReadStreamStatsLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		r := readerFunc(func(ctx context.Context, key string) (ReadAnswer, firedrill.Outcome, error) {
			select {
			case <-release:
				return replicaAnswer, firedrill.OutcomeStale, nil
			case <-ctx.Done():
				return ReadAnswer{}, firedrill.OutcomeIndeterminate, ctx.Err()
			}
		})
		s := NewReadStream(ReadConfig{Rate: 10, Timeout: 10 * time.Second, RunID: "s"}, r, ackedAt(-time.Hour), firedrill.NewTimeline(), &firedrill.Ledger{})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(450 * time.Millisecond)
		synctest.Wait()
		if sent, ok, stale, f, i := s.Stats(); sent != 5 || ok+stale+f+i != 0 {
			t.Errorf("Stats = %d sent, %d/%d/%d/%d finished; want 5 sent, none finished", sent, ok, stale, f, i)
		}
		close(release)
		synctest.Wait()
		if sent, _, stale, _, _ := s.Stats(); sent != 5 || stale != 5 {
			t.Errorf("Stats = %d sent, %d stale; want 5, 5", sent, stale)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestReadStreamInvalid(t *testing.T) {
	for _, tc := range []struct {
		cfg  ReadConfig
		acks *Acks
	}{
		{ReadConfig{Rate: 0, Timeout: time.Second, RunID: "r"}, &Acks{}},
		{ReadConfig{Rate: 1, Timeout: 0, RunID: "r"}, &Acks{}},
		{ReadConfig{Rate: 1, Timeout: time.Second, RunID: "r", KeyAge: -time.Second}, &Acks{}},
		{ReadConfig{Rate: 1, Timeout: time.Second, RunID: "a b"}, &Acks{}},
		{ReadConfig{Rate: 1, Timeout: time.Second, RunID: "r"}, nil},
	} {
		ledger := &firedrill.Ledger{}
		if err := NewReadStream(tc.cfg, okReader, tc.acks, firedrill.NewTimeline(), ledger).Run(t.Context()); err == nil || ledger.Len() != 0 {
			t.Errorf("Run(%+v, acks %v) = %v with %d reads, want an error and none", tc.cfg, tc.acks != nil, err, ledger.Len())
		}
	}
	if got := NewReadStream(ReadConfig{}, okReader, nil, nil, nil).KeyAge(); got != DefaultKeyAge {
		t.Errorf("default KeyAge %s, want %s", got, DefaultKeyAge)
	}
	if got := ReadOpID("run", 12); got != "run-read-00000012" || got == OpID("run", 12) {
		t.Errorf("ReadOpID = %q", got)
	}
}

// TestAcks: newestBy gives a write acknowledged by the cutoff, never one
// acknowledged after it: the newest in the order they were added (which
// is the order of their acknowledgements up to goroutine races), also when
// the cutoff moves back a little, and across compactions.
func TestAcks(t *testing.T) {
	a := &Acks{}
	if _, ok := a.newestBy(time.Hour); ok {
		t.Error("a key from an empty log")
	}
	// Out of order by one: w-2 (done 20) is added before w-1 (done 10).
	a.add("w-0", 0)
	a.add("w-2", 20)
	a.add("w-1", 10)
	a.add("w-3", 30)
	for _, tc := range []struct {
		cutoff time.Duration
		want   string
		ok     bool
	}{
		{-1, "", false},
		{0, "w-0", true},
		{15, "w-0", true}, // w-1 (10) sits behind w-2 (20): an older key, never a younger one
		{25, "w-1", true},
		{20, "w-1", true}, // back a little: the entry at the cursor still qualifies
		{100, "w-3", true},
		{29, "w-1", true}, // back past w-3: scanned back to the first that qualifies
	} {
		id, ok := a.newestBy(tc.cutoff)
		if id != tc.want || ok != tc.ok {
			t.Errorf("newestBy(%d) = %q %v, want %q %v", tc.cutoff, id, ok, tc.want, tc.ok)
		}
	}

	// Compaction keeps the log short and the answers right.
	b := &Acks{}
	for i := range 100000 {
		b.add(fmt.Sprintf("w-%d", i), time.Duration(i))
		if i%10 == 0 {
			cutoff := time.Duration(i - 500)
			id, ok := b.newestBy(cutoff)
			if want := fmt.Sprintf("w-%d", i-500); i >= 500 && (id != want || !ok) {
				t.Fatalf("at %d: newestBy(%d) = %q %v, want %s", i, cutoff, id, ok, want)
			}
		}
	}
	if n := len(b.entries); n > 2*ackCompaction+1000 {
		t.Errorf("%d entries kept after 100000 acks read 500 behind, want the log compacted", n)
	}
	if id, ok := b.newestBy(time.Duration(99999 - 500 - ackKeep/2)); !ok || id != fmt.Sprintf("w-%d", 99999-500-ackKeep/2) {
		t.Errorf("a cutoff back by less than the kept entries: %q %v", id, ok)
	}
}

// TestTogether: the workloads run side by side on the same context, Run
// waits for all and joins their errors; a panic in one stops the others
// and is raised again on Run's goroutine.
func TestTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var stopped atomic.Int64
		waiter := workloadFunc(func(ctx context.Context) error {
			<-ctx.Done()
			stopped.Add(1)
			return nil
		})
		failing := workloadFunc(func(ctx context.Context) error {
			<-ctx.Done()
			return errors.New("boom")
		})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		err := Together(waiter, failing, waiter).Run(ctx)
		if err == nil || err.Error() != "boom" || stopped.Load() != 2 || time.Since(start) != time.Second {
			t.Errorf("Run = %v after %s, %d stopped; want boom after 1s, 2 stopped", err, time.Since(start), stopped.Load())
		}

		panicking := workloadFunc(func(ctx context.Context) error { panic("read stream") })
		defer func() {
			if p := recover(); p != "read stream" || stopped.Load() != 3 {
				t.Errorf("recovered %v with %d stopped, want the panic after the other stopped", p, stopped.Load())
			}
		}()
		Together(waiter, panicking).Run(t.Context())
		t.Error("Run returned after a panic")
	})
}

type workloadFunc func(ctx context.Context) error

func (f workloadFunc) Run(ctx context.Context) error { return f(ctx) }
