package firedrill

import (
	"fmt"
	"testing"
	"time"
)

// A subscriber sees every event added after it subscribed, in order, even
// when it reads late; adding never waits for it.
func TestSubscribeDeliversInOrderWithoutBlocking(t *testing.T) {
	tl := NewTimeline()
	tl.Record(EventDrillStart, "", "before") // not delivered: before the subscription
	events, cancel := tl.Subscribe()
	defer cancel()
	done := make(chan struct{})
	go func() {
		for i := range 1000 {
			tl.Record(EventBackupTaken, "", fmt.Sprint(i))
		}
		close(done)
	}()
	select {
	case <-done: // nobody has read yet: Record must not have waited
	case <-time.After(10 * time.Second):
		t.Fatal("Record blocked on a subscriber that does not read")
	}
	for i := range 1000 {
		e := <-events
		if e.Detail != fmt.Sprint(i) {
			t.Fatalf("event %d: got %q", i, e.Detail)
		}
	}
	cancel()
	if _, open := <-events; open {
		t.Error("the channel stays open after cancel")
	}
}
