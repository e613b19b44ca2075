package nfqueue

import (
	"errors"
	"strings"
	"testing"
)

// The kernel's table, as nfnetlink_queue.c prints it (%5u %6u %5u %1u %5u
// %5u %5u %8u %2d).
const table = `    0  12345     0 2 65531     0     0        0  1
 4711 4294967  1234 1     0    17     3    98765  1
`

func TestParseStats(t *testing.T) {
	s, err := parseStats(strings.NewReader(table), 4711)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Queue: 4711, Waiting: 1234, QueueDropped: 17, UserDropped: 3, IDSequence: 98765}
	if s != want {
		t.Errorf("stats %+v, want %+v", s, want)
	}
	if s.Dropped() != 20 {
		t.Errorf("dropped %d, want 17 + 3", s.Dropped())
	}
	if _, err := parseStats(strings.NewReader(table), 5); !errors.Is(err, errNoQueue) {
		t.Errorf("a queue not in the table: %v, want errNoQueue", err)
	}
	if _, err := parseStats(strings.NewReader("garbage line here\n"), 0); !errors.Is(err, errNoQueue) {
		t.Errorf("a table without numbers: %v, want errNoQueue", err)
	}
}
