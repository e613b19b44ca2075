package nfqueue

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeQueue is a Queue without a kernel: the test hands it packets, and
// it records every verdict with the instant it was given.
type fakeQueue struct {
	in          chan []Packet
	errs        chan error
	interrupted chan struct{}
	once        sync.Once
	stats       Stats
	statsErr    error

	mu       sync.Mutex
	handed   map[uint32]time.Time // when Receive returned the packet
	accepted map[uint32]time.Time
	order    []uint32 // accepted ids in verdict order
	batches  []uint32 // AcceptUpTo arguments
	queued   []uint32 // handed, not yet accepted (the kernel's queue)
	changed  chan struct{}
}

func newFakeQueue() *fakeQueue {
	return &fakeQueue{in: make(chan []Packet), errs: make(chan error), interrupted: make(chan struct{}),
		handed: map[uint32]time.Time{}, accepted: map[uint32]time.Time{}, changed: make(chan struct{}, 1000)}
}

var _ Queue = (*fakeQueue)(nil)

func (f *fakeQueue) Receive() ([]Packet, error) {
	select {
	case p := <-f.in:
		f.mu.Lock()
		for _, x := range p {
			f.handed[x.ID] = time.Now()
			f.queued = append(f.queued, x.ID)
		}
		f.mu.Unlock()
		return p, nil
	case err := <-f.errs:
		return nil, err
	case <-f.interrupted:
		return nil, ErrClosed
	}
}

func (f *fakeQueue) acceptLocked(id uint32) {
	f.accepted[id] = time.Now()
	f.order = append(f.order, id)
	f.queued = slices.DeleteFunc(f.queued, func(q uint32) bool { return q == id })
}

func (f *fakeQueue) Accept(id uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Contains(f.queued, id) {
		return errors.New("verdict for a packet not queued")
	}
	f.acceptLocked(id)
	f.changed <- struct{}{}
	return nil
}

func (f *fakeQueue) AcceptUpTo(id uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, id)
	for _, q := range slices.Clone(f.queued) {
		if int32(q-id) <= 0 {
			f.acceptLocked(q)
		}
	}
	f.changed <- struct{}{}
	return nil
}

func (f *fakeQueue) Stats() (Stats, error) { return f.stats, f.statsErr }

func (f *fakeQueue) Interrupt() error {
	f.once.Do(func() { close(f.interrupted) })
	return nil
}

// waitAccepted waits until n packets have been accepted.
func (f *fakeQueue) waitAccepted(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		got := len(f.order)
		f.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-f.changed:
		case <-deadline:
			t.Fatalf("%d packets accepted, want %d", got, n)
		}
	}
}

func pkts(ids ...uint32) []Packet {
	out := make([]Packet, len(ids))
	for i, id := range ids {
		out[i] = Packet{ID: id, HWProtocol: 0x0800, Hook: 3}
	}
	return out
}

type runResult struct {
	c   Counts
	err error
}

func start(d *Delayer, q Queue) (context.CancelFunc, <-chan runResult) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan runResult, 1)
	go func() {
		c, err := d.Run(ctx, q)
		done <- runResult{c, err}
	}()
	return cancel, done
}

// Without jitter every packet is held for the delay, none is accepted
// before it, they leave in the order they came, and each release is one
// batch verdict; the release after them has nothing left to flush.
func TestDelayerHoldsEachPacket(t *testing.T) {
	const delay = 30 * time.Millisecond
	q := newFakeQueue()
	cancel, done := start(&Delayer{Delay: delay}, q)
	q.in <- pkts(1, 2)
	q.in <- pkts(3)
	q.in <- pkts(4, 5)
	q.waitAccepted(t, 5)
	cancel()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if !slices.Equal(q.order, []uint32{1, 2, 3, 4, 5}) {
		t.Errorf("accepted in order %v, want 1..5", q.order)
	}
	for id, at := range q.accepted {
		if held := at.Sub(q.handed[id]); held < delay {
			t.Errorf("packet %d held %s, less than the delay %s", id, held, delay)
		}
	}
	if r.c.Delayed != 5 || r.c.Flushed != 0 {
		t.Errorf("counts %+v, want 5 delayed, 0 flushed", r.c)
	}
	if r.c.HeldMin < delay || r.c.HeldMax < r.c.HeldMin || r.c.HeldMean() < r.c.HeldMin || r.c.HeldMean() > r.c.HeldMax {
		t.Errorf("holds min %s mean %s max %s: inconsistent with a delay of %s", r.c.HeldMin, r.c.HeldMean(), r.c.HeldMax, delay)
	}
	if len(q.batches) == 0 {
		t.Error("no batch verdict: without jitter the due packets are released in one message")
	}
}

// With jitter each packet is accepted by id, never before delay − jitter.
func TestDelayerJitterAcceptsByID(t *testing.T) {
	const delay, jitter = 20 * time.Millisecond, 15 * time.Millisecond
	q := newFakeQueue()
	cancel, done := start(&Delayer{Delay: delay, Jitter: jitter, Rand: rand.New(rand.NewPCG(1, 2))}, q)
	for i := uint32(1); i <= 20; i++ {
		q.in <- pkts(i)
	}
	q.waitAccepted(t, 20)
	cancel()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for id, at := range q.accepted {
		if held := at.Sub(q.handed[id]); held < delay-jitter {
			t.Errorf("packet %d held %s, less than delay − jitter %s", id, held, delay-jitter)
		}
	}
	// Only the release's flush is a batch.
	if len(q.batches) != 1 {
		t.Errorf("batch verdicts %v, want only the release's", q.batches)
	}
	if r.c.Delayed != 20 {
		t.Errorf("delayed %d, want 20", r.c.Delayed)
	}
}

// The release accepts everything still waiting at once, in one verdict
// that also reaches the packets the loop has not read yet, and reports
// the kernel's counts.
func TestDelayerReleaseFlushesAtOnce(t *testing.T) {
	q := newFakeQueue()
	q.stats = Stats{Waiting: 4, QueueDropped: 2, UserDropped: 1}
	cancel, done := start(&Delayer{Delay: time.Hour}, q)
	q.in <- pkts(7, 8, 9)
	// The packets are in the delayer once a second batch is taken.
	q.in <- nil
	cancel()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if !slices.Equal(q.order, []uint32{7, 8, 9}) || len(q.batches) != 1 || q.batches[0] != 9+flushAhead {
		t.Errorf("accepted %v with batches %v, want 7 8 9 in one batch up to %d", q.order, q.batches, 9+flushAhead)
	}
	// The kernel says 4 wait (one the loop never read): 4 flushed.
	if r.c.Flushed != 4 || r.c.Delayed != 0 || !r.c.DroppedKnown || r.c.Dropped != 3 || r.c.MaxWaiting != 3 {
		t.Errorf("counts %+v, want 4 flushed, 0 delayed, 3 dropped, 3 held at most", r.c)
	}
}

// Without the kernel's table the drops are unknown, not zero.
func TestDelayerDropsUnknownWithoutStats(t *testing.T) {
	q := newFakeQueue()
	q.statsErr = errNoQueue
	cancel, done := start(&Delayer{Delay: time.Hour}, q)
	q.in <- pkts(1)
	q.in <- nil
	cancel()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.c.DroppedKnown || r.c.Flushed != 1 {
		t.Errorf("counts %+v, want drops unknown and 1 flushed", r.c)
	}
}

// An overrun is counted by the kernel and the loop carries on; any other
// error of the queue ends the loop, with everything waiting accepted.
func TestDelayerQueueErrors(t *testing.T) {
	q := newFakeQueue()
	_, done := start(&Delayer{Delay: time.Hour}, q)
	q.in <- pkts(1, 2)
	q.errs <- ErrOverrun
	q.in <- pkts(3)
	broken := errors.New("socket broke")
	q.errs <- broken
	r := <-done
	if !errors.Is(r.err, broken) {
		t.Fatalf("Run returned %v, want the queue's error", r.err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if !slices.Equal(q.order, []uint32{1, 2, 3}) {
		t.Errorf("accepted %v after the error, want every packet waiting (1 2 3)", q.order)
	}
}

func TestDelayerJitterNeedsASource(t *testing.T) {
	if _, err := (&Delayer{Delay: time.Second, Jitter: time.Millisecond}).Run(context.Background(), newFakeQueue()); err == nil {
		t.Fatal("a jitter without a seeded source ran")
	}
}

// Holds are uniform over [delay − jitter, delay + jitter], replayed by the
// seed.
func TestHoldDistribution(t *testing.T) {
	const delay, jitter = 100 * time.Millisecond, 10 * time.Millisecond
	draw := func(seed uint64) []time.Duration {
		d := &Delayer{Delay: delay, Jitter: jitter, Rand: rand.New(rand.NewPCG(seed, 0))}
		out := make([]time.Duration, 10000)
		for i := range out {
			out[i] = d.hold()
		}
		return out
	}
	a, b := draw(42), draw(42)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed drew different holds")
	}
	if slices.Equal(a, draw(43)) {
		t.Fatal("another seed drew the same holds")
	}
	var sum time.Duration
	low, high := 0, 0
	for _, h := range a {
		if h < delay-jitter || h > delay+jitter {
			t.Fatalf("hold %s outside %s ± %s", h, delay, jitter)
		}
		sum += h
		if h < delay-jitter/2 {
			low++
		}
		if h > delay+jitter/2 {
			high++
		}
	}
	// Uniform: a quarter of the draws in each outer half-jitter band, the
	// mean at the delay.
	if mean := sum / time.Duration(len(a)); mean < delay-jitter/20 || mean > delay+jitter/20 {
		t.Errorf("mean hold %s, want %s within %s", mean, delay, jitter/20)
	}
	for _, n := range []int{low, high} {
		if n < 2300 || n > 2700 {
			t.Errorf("%d of 10000 holds in an outer band, want about 2500 (low %d, high %d)", n, low, high)
		}
	}
	// No jitter: every hold is the delay.
	d := &Delayer{Delay: delay}
	if h := d.hold(); h != delay {
		t.Errorf("hold without jitter %s, want %s", h, delay)
	}
}

// The schedule releases by time, and by arrival among equal times.
func TestScheduleOrder(t *testing.T) {
	base := time.Unix(1000, 0)
	s := &schedule{}
	s.add(1, base, base.Add(30*time.Millisecond))
	s.add(2, base, base.Add(10*time.Millisecond))
	s.add(3, base, base.Add(10*time.Millisecond))
	s.add(4, base, base.Add(20*time.Millisecond))
	if next, _ := s.next(); !next.Equal(base.Add(10 * time.Millisecond)) {
		t.Errorf("next release %s, want base+10ms", next.Sub(base))
	}
	ids := func(ps []pending) []uint32 {
		var out []uint32
		for _, p := range ps {
			out = append(out, p.id)
		}
		return out
	}
	if got := ids(s.due(base.Add(5 * time.Millisecond))); len(got) != 0 {
		t.Errorf("due before any release: %v", got)
	}
	if got := ids(s.due(base.Add(20 * time.Millisecond))); !slices.Equal(got, []uint32{2, 3, 4}) {
		t.Errorf("due at base+20ms: %v, want 2 3 4", got)
	}
	if got := ids(s.due(base.Add(time.Second))); !slices.Equal(got, []uint32{1}) {
		t.Errorf("due at base+1s: %v, want 1", got)
	}
	if _, ok := s.next(); ok || s.Len() != 0 {
		t.Error("the schedule is not empty after every release")
	}
}
