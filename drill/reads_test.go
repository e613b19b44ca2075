package drill

import (
	"context"
	"github.com/firedrill/firedrill/probe"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

type nopWorkload struct{}

func (nopWorkload) Run(context.Context) error { return nil }

// Without reads_per_second the drill has no read stream and its writes run
// alone; with it, the write probe publishes its acks for the reads, which
// run beside the writes and report their key age.
func TestReadsWiring(t *testing.T) {
	tl, ledger := firedrill.NewTimeline(), &firedrill.Ledger{}
	wl := scenarios.Workload{WritesPerSecond: 50, Timeout: scenarios.Duration{Duration: time.Second}}
	none := newReads(wl, "r", "http://127.0.0.1:1", &probe.Redial{}, tl, ledger)
	var w firedrill.Workload = nopWorkload{}
	if none != nil || none.writeAcks() != nil || none.beside(w) != w || sentKnown(none.sent()) || none.rate(wl) != "" {
		t.Errorf("a drill without reads has a read stream")
	}
	if age, keyless := none.scored(); age != 0 || keyless != 0 {
		t.Errorf("scored without reads: %s %d", age, keyless)
	}
	wl.ReadsPerSecond = 20
	rd := newReads(wl, "r", "http://127.0.0.1:1", &probe.Redial{}, tl, ledger)
	if rd == nil || rd.writeAcks() == nil || rd.beside(w) == w || rd.rate(wl) != ", 20 reads/s" ||
		!sentKnown(rd.sent()) {
		t.Errorf("a drill with reads: %+v %q", rd, rd.rate(wl))
	}
	if age, _ := rd.scored(); age != time.Second {
		t.Errorf("key age %s, want the stream's default 1s", age)
	}
}

// sentKnown drops the count of a stream's sent(): the tests ask whether
// the stream says it.
func sentKnown(_ int, known bool) bool { return known }
