package nfqueue

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Queue is what a Delayer needs of a bound queue; Conn is the kernel's.
type Queue interface {
	// Receive blocks for the next packets: ErrOverrun when the kernel
	// dropped some for want of buffer room, ErrClosed once interrupted.
	Receive() ([]Packet, error)
	// Accept gives one packet back to the kernel.
	Accept(id uint32) error
	// AcceptUpTo gives back every queued packet whose id is not after id.
	AcceptUpTo(id uint32) error
	// Stats is the queue's line in the kernel's table.
	Stats() (Stats, error)
	// Interrupt ends a blocked Receive with ErrClosed.
	Interrupt() error
}

// Errors of Queue.Receive.
var (
	ErrOverrun = errors.New("nfqueue: the receive buffer overflowed; the kernel dropped packets")
	ErrClosed  = errors.New("nfqueue: closed")
)

// flushAhead is how far past the last id seen the release's batch
// verdict reaches: it also accepts the packets the kernel queued that
// the loop has not read yet (ids are compared modulo 2^32, so "not after
// last + 2^30" covers them and nothing older is ever left behind).
const flushAhead = 1 << 30

// Delayer holds every packet of a queue for Delay ± Jitter and then
// accepts it (docs/architecture.md, "Latency without netem").
type Delayer struct {
	Delay time.Duration
	// Jitter spreads each packet's hold uniformly over [Delay − Jitter,
	// Delay + Jitter], drawn from Rand, netem's default distribution. As
	// with netem, a packet may then overtake an earlier one; without
	// jitter they leave in the order they came.
	Jitter time.Duration
	// Rand is the seeded source of the jitter; required when Jitter > 0.
	Rand *rand.Rand
}

// Counts is what a Delayer did, at its release.
type Counts struct {
	// Delayed packets were accepted after their hold.
	Delayed uint64
	// Flushed packets were waiting at the release and accepted at once.
	Flushed uint64
	// Dropped packets never reached the delayer: the kernel dropped them
	// because the queue was full (DefaultMaxLen) or the socket's buffer
	// was. DroppedKnown is false when the kernel's table could not be
	// read.
	Dropped      uint64
	DroppedKnown bool
	// MaxWaiting is the most packets the delayer held at once.
	MaxWaiting int
	// HeldMin, HeldMax and HeldSum are the holds of the delayed packets,
	// from their receipt to their verdict.
	HeldMin, HeldMax, HeldSum time.Duration
}

// HeldMean is the mean hold of the delayed packets.
func (c Counts) HeldMean() time.Duration {
	if c.Delayed == 0 {
		return 0
	}
	return c.HeldSum / time.Duration(c.Delayed)
}

// hold draws one packet's hold.
func (d *Delayer) hold() time.Duration {
	h := d.Delay
	if d.Jitter > 0 {
		h += time.Duration(d.Rand.Int64N(2*int64(d.Jitter)+1)) - d.Jitter
	}
	return max(h, 0)
}

// batch is what the receiving goroutine hands the loop.
type batch struct {
	pkts []Packet
	at   time.Time
	err  error
}

// Run delays q's packets until ctx ends, then accepts every packet still
// waiting at once and returns what it did. An error of the queue ends it
// the same way (everything waiting is accepted) and is returned with the
// counts.
func (d *Delayer) Run(ctx context.Context, q Queue) (Counts, error) {
	if d.Jitter > 0 && d.Rand == nil {
		return Counts{}, errors.New("nfqueue: a jitter needs a seeded source")
	}
	recv := make(chan batch)
	stop := make(chan struct{})
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		for {
			pkts, err := q.Receive()
			b := batch{pkts: pkts, at: time.Now(), err: err}
			select {
			case recv <- b:
			case <-stop:
				return
			}
			if errors.Is(err, ErrClosed) {
				return
			}
		}
	}()

	var c Counts
	s := &schedule{}
	var lastID uint32
	seen := false
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case b := <-recv:
			switch {
			case errors.Is(b.err, ErrOverrun):
				// Counted by the kernel as user_dropped; carry on.
			case b.err != nil:
				runErr = b.err
				break loop
			}
			for _, p := range b.pkts {
				s.add(p.ID, b.at, b.at.Add(d.hold()))
				lastID, seen = p.ID, true
			}
			c.MaxWaiting = max(c.MaxWaiting, s.Len())
		case <-timer.C:
		}
		if err := d.release(q, s, time.Now(), &c); err != nil {
			runErr = err
			break loop
		}
		timer.Stop()
		if next, ok := s.next(); ok {
			timer.Reset(time.Until(next))
		}
	}
	timer.Stop()

	// The release: read the kernel's counters while the queue is still
	// bound, then accept everything at once.
	st, serr := q.Stats()
	if serr == nil {
		c.Dropped, c.DroppedKnown = st.Dropped(), true
		c.Flushed = uint64(max(int(st.Waiting), s.Len()))
	} else {
		c.Flushed = uint64(s.Len())
	}
	var ferr error
	if seen || c.Flushed > 0 {
		ferr = q.AcceptUpTo(lastID + flushAhead)
	}
	close(stop)
	ierr := q.Interrupt()
	<-recvDone
	if runErr != nil {
		return c, errors.Join(runErr, ferr, ierr)
	}
	if ferr != nil || ierr != nil {
		return c, fmt.Errorf("release the delayed packets: %w", errors.Join(ferr, ierr))
	}
	return c, nil
}

// release accepts every packet whose hold is over at now. Without jitter
// the packets due are exactly the oldest ones, so one batch verdict
// accepts them; with it each is accepted by id.
func (d *Delayer) release(q Queue, s *schedule, now time.Time, c *Counts) error {
	due := s.due(now)
	if len(due) == 0 {
		return nil
	}
	if d.Jitter == 0 {
		if err := q.AcceptUpTo(due[len(due)-1].id); err != nil {
			return err
		}
	} else {
		for _, p := range due {
			if err := q.Accept(p.id); err != nil {
				return err
			}
		}
	}
	for _, p := range due {
		h := now.Sub(p.arrived)
		if c.Delayed == 0 || h < c.HeldMin {
			c.HeldMin = h
		}
		c.HeldMax = max(c.HeldMax, h)
		c.HeldSum += h
		c.Delayed++
	}
	return nil
}

// pending is one packet held until release.
type pending struct {
	id      uint32
	arrived time.Time
	release time.Time
	seq     uint64 // arrival order, breaking ties between equal releases
}

// schedule is the held packets, earliest release first.
type schedule struct {
	items []pending
	seq   uint64
}

func (s *schedule) add(id uint32, arrived, release time.Time) {
	s.seq++
	heap.Push(s, pending{id: id, arrived: arrived, release: release, seq: s.seq})
}

// due removes and returns the packets whose release is not after now, in
// release order (arrival order among equal releases).
func (s *schedule) due(now time.Time) []pending {
	var out []pending
	for len(s.items) > 0 && !s.items[0].release.After(now) {
		out = append(out, heap.Pop(s).(pending))
	}
	return out
}

// next is the earliest release still to come.
func (s *schedule) next() (time.Time, bool) {
	if len(s.items) == 0 {
		return time.Time{}, false
	}
	return s.items[0].release, true
}

// heap.Interface.
func (s *schedule) Len() int { return len(s.items) }
func (s *schedule) Less(i, j int) bool {
	a, b := s.items[i], s.items[j]
	if !a.release.Equal(b.release) {
		return a.release.Before(b.release)
	}
	return a.seq < b.seq
}
func (s *schedule) Swap(i, j int) { s.items[i], s.items[j] = s.items[j], s.items[i] }
func (s *schedule) Push(x any)    { s.items = append(s.items, x.(pending)) }
func (s *schedule) Pop() any {
	old := s.items
	x := old[len(old)-1]
	s.items = old[:len(old)-1]
	return x
}
