package drill

import (
	"fmt"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/probe"
	"github.com/firedrill/firedrill/scenarios"
)

// reads is the read workload of a drill whose scenario asks for reads
// (workload.reads_per_second > 0): a read stream beside the write probe,
// reading the keys the probe's acknowledged writes publish in acks, in
// the same ledger (docs/measurement.md, "Reads"). A nil *reads is a drill
// without reads; every method is safe on it.
type reads struct {
	acks   *probe.Acks
	stream *probe.ReadStream
}

// newReads builds the read stream through the app at appBase, or returns
// nil when the scenario asks for no reads.
func newReads(wl scenarios.Workload, runID, appBase string, redial *probe.Redial, tl *firedrill.Timeline, ledger *firedrill.Ledger) *reads {
	if wl.ReadsPerSecond <= 0 {
		return nil
	}
	acks := &probe.Acks{}
	reader := probe.NewHTTPReader(appBase, wl.Timeout.Duration, probe.WithRate(wl.ReadsPerSecond), probe.WithRedial(redial))
	return &reads{acks: acks, stream: probe.NewReadStream(
		probe.ReadConfig{Rate: wl.ReadsPerSecond, Timeout: wl.Timeout.Duration, RunID: runID}, reader, acks, tl, ledger)}
}

// writeAcks is where the write probe publishes its acknowledged writes:
// nil without reads.
func (r *reads) writeAcks() *probe.Acks {
	if r == nil {
		return nil
	}
	return r.acks
}

// beside runs the read stream beside the writes: one workload, stopped at
// drill.end as one.
func (r *reads) beside(writes firedrill.Workload) firedrill.Workload {
	if r == nil {
		return writes
	}
	return probe.Together(writes, r.stream)
}

// sent is how many reads the stream has sent, for the live progress;
// not known without reads.
func (r *reads) sent() (int, bool) {
	if r == nil {
		return 0, false
	}
	sent, _, _, _, _ := r.stream.Stats()
	return sent, true
}

// rate is the reads' part of the "drill running" line.
func (r *reads) rate(wl scenarios.Workload) string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf(", %g reads/s", wl.ReadsPerSecond)
}

// scored is what the scorer needs from the stream: its key age and the
// reads it could not send for want of a key that old.
func (r *reads) scored() (keyAge time.Duration, keyless int) {
	if r == nil {
		return 0, 0
	}
	return r.stream.KeyAge(), r.stream.Keyless()
}
