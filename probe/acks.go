package probe

import (
	"sync"
	"time"
)

// Acks is the log of acknowledged writes that a read stream picks its keys
// from: the write probe adds each write when its acknowledgement arrives
// (Config.Acks), the read stream asks for the newest one acknowledged at
// or before an instant. It is safe for concurrent use.
//
// Writes finish out of order only by the instants between stamping Done
// and adding, so the log is ordered by Done up to goroutine races; a read's
// cutoff (its Sent − KeyAge) only moves forward, up to the same races, so
// a cursor finds the newest entry in amortised constant time, at 2000
// writes/s and 2000 reads/s alike.
type Acks struct {
	mu      sync.Mutex
	entries []ackEntry
	cursor  int // the newest entry handed out so far, or 0
}

type ackEntry struct {
	id   string
	done time.Duration
}

// ackKeep is how many entries behind the cursor survive a compaction: a
// cutoff that races back a little still finds the entry it would have
// found.
const (
	ackKeep       = 64
	ackCompaction = 4096
)

func (a *Acks) add(id string, done time.Duration) {
	a.mu.Lock()
	a.entries = append(a.entries, ackEntry{id: id, done: done})
	a.mu.Unlock()
}

// newestBy returns the id of a write acknowledged at or before cutoff:
// the newest one in the log's order (see Acks). ok is false when no write
// was acknowledged by then.
func (a *Acks) newestBy(cutoff time.Duration) (id string, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.cursor+1 < len(a.entries) && a.entries[a.cursor+1].done <= cutoff {
		a.cursor++
	}
	for i := a.cursor; i >= 0 && i < len(a.entries); i-- {
		if a.entries[i].done <= cutoff {
			id, ok = a.entries[i].id, true
			break
		}
	}
	if a.cursor >= ackCompaction && a.cursor >= len(a.entries)/2 {
		drop := a.cursor - ackKeep
		a.entries = append(a.entries[:0], a.entries[drop:]...)
		a.cursor -= drop
	}
	return id, ok
}
