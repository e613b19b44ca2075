package platform

import "sync"

// LineStream hands the lines a sidecar prints to one receiver as they
// come, without ever blocking the reader of the sidecar's output: lines
// wait in memory until they are received. It is what a runtime's Held
// uses for Lines. The zero value is ready to use.
type LineStream struct {
	mu      sync.Mutex
	pending []string
	ended   bool
	wake    chan struct{} // signalled (cap 1) when a line is added or the stream ends
	gone    chan struct{} // closed by Abandon
	once    sync.Once
	ch      chan string
	abandon sync.Once
}

func (s *LineStream) init() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
		s.gone = make(chan struct{})
	}
}

// Add queues line for the receiver; after End it does nothing.
func (s *LineStream) Add(line string) {
	s.init()
	s.mu.Lock()
	if !s.ended {
		s.pending = append(s.pending, line)
	}
	s.mu.Unlock()
	s.signal()
}

// End marks the end of the output: the channel closes once every queued
// line has been received.
func (s *LineStream) End() {
	s.init()
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	s.signal()
}

// Abandon stops delivering: the receiver may be gone (the sidecar was
// released and removed). Queued lines go to a receiver waiting at that
// instant, the others are dropped, and the channel closes.
func (s *LineStream) Abandon() {
	s.init()
	s.abandon.Do(func() { close(s.gone) })
}

func (s *LineStream) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Chan is the receiving side, the same channel on every call: every line
// added, in order, then closed after End (or at once after Abandon).
func (s *LineStream) Chan() <-chan string {
	s.init()
	s.once.Do(func() {
		s.ch = make(chan string)
		go s.forward()
	})
	return s.ch
}

func (s *LineStream) forward() {
	defer close(s.ch)
	for {
		s.mu.Lock()
		batch, ended := s.pending, s.ended
		s.pending = nil
		s.mu.Unlock()
		for i, l := range batch {
			select {
			case s.ch <- l:
			case <-s.gone:
				s.offer(batch[i:])
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		if ended {
			return
		}
		select {
		case <-s.wake:
		case <-s.gone:
			s.mu.Lock()
			rest := s.pending
			s.pending = nil
			s.mu.Unlock()
			s.offer(rest)
			return
		}
	}
}

// offer hands lines to a receiver that is waiting right now and drops
// the rest: after Abandon nobody may be reading, and the forwarder must
// not block for ever.
func (s *LineStream) offer(lines []string) {
	for _, l := range lines {
		select {
		case s.ch <- l:
		default:
			return
		}
	}
}
