package platform

import (
	"fmt"
	"testing"
	"testing/synctest"
)

// Lines are delivered in order, Add never waits for the receiver, and the
// channel closes after End once everything was received.
func TestLineStreamDeliversInOrderThenCloses(t *testing.T) {
	var s LineStream
	for i := range 1000 { // no receiver yet: Add must not block
		s.Add(fmt.Sprint(i))
	}
	ch := s.Chan()
	if s.Chan() != ch {
		t.Fatal("Chan must return the same channel on every call")
	}
	for i := range 1000 {
		if got := <-ch; got != fmt.Sprint(i) {
			t.Fatalf("line %d = %q", i, got)
		}
	}
	s.Add("last")
	s.End()
	s.Add("after the end")
	var rest []string
	for l := range ch {
		rest = append(rest, l)
	}
	if len(rest) != 1 || rest[0] != "last" {
		t.Fatalf("after End got %q, want [last] then the close", rest)
	}
}

// Abandon closes the channel even when nobody reads: the forwarder never
// blocks for ever on a receiver that went away.
func TestLineStreamAbandonWithoutReceiver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s LineStream
		ch := s.Chan()
		s.Add("one")
		s.Add("two")
		synctest.Wait() // the forwarder is blocked sending "one"
		s.Abandon()
		synctest.Wait()
		n := 0
		for range ch {
			n++
		}
		if n != 0 {
			t.Errorf("%d lines delivered after Abandon with no receiver waiting", n)
		}
	})
}
