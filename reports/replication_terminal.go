package reports

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/internal/human"
)

// lagParts are one standby's figures for the summary.
func lagParts(st firedrill.ReplicaLagStats) []string {
	if st.Streaming == 0 {
		return []string{"never streaming (" + strconv.Itoa(st.NotStreaming) + " readings)"}
	}
	parts := []string{"unflushed WAL max " + human.Bytes(st.MaxUnflushedBytes),
		"mean " + human.Bytes(int64(st.MeanUnflushedBytes+0.5))}
	if st.MaxFlushLagMS != nil {
		parts = append(parts, "flush lag max "+human.Millis(*st.MaxFlushLagMS), "mean "+human.Millis(*st.MeanFlushLagMS))
	}
	if st.MaxReplayLagMS != nil {
		parts = append(parts, "replay lag max "+human.Millis(*st.MaxReplayLagMS))
	}
	if st.NotStreaming > 0 {
		parts = append(parts, fmt.Sprintf("not streaming in %d of %d readings", st.NotStreaming, st.Streaming+st.NotStreaming))
	}
	return parts
}

// exposureSentence says what losing the primary at the worst moment would
// have cost, honestly: the writes of the last X ms, Y bytes of WAL; or
// that the best standby had everything at every reading (within the
// readings' resolution).
func exposureSentence(e *firedrill.RPOExposure, interval float64) string {
	var s string
	switch {
	case e.Replica == "":
		return "no standby was streaming at any of the readings: had the primary been lost, every write since the standbys stopped would have been lost"
	case e.Bytes == 0:
		s = fmt.Sprintf("at every reading (every %s) %s had flushed all the primary's WAL: had the primary been lost then, no acknowledged write would have been lost", human.Millis(interval), e.Replica)
	case e.LagMS == nil:
		s = fmt.Sprintf("had the primary been lost at the worst moment (%s into the drill, a failover to %s), the writes acknowledged in its last %s of WAL would have been lost (Postgres reported no flush lag then)",
			human.Millis(e.AtMS), e.Replica, human.Bytes(e.Bytes))
	default:
		s = fmt.Sprintf("had the primary been lost at the worst moment (%s into the drill, a failover to %s), writes acknowledged in the last %s (%s of WAL) would have been lost",
			human.Millis(e.AtMS), e.Replica, human.Millis(*e.LagMS), human.Bytes(e.Bytes))
	}
	if e.NoStandby > 0 {
		s += fmt.Sprintf("; at %d readings no standby was streaming at all", e.NoStandby)
	}
	return s
}

// replication writes the replication block of the summary: the readings,
// each standby's lag, the lag while each fault was in effect, and the RPO
// exposure.
func (t *term) replication(r *firedrill.Replication) {
	if r == nil {
		return
	}
	head := fmt.Sprintf("replication read every %s: %d readings", human.Millis(r.IntervalMS), r.Readings)
	if r.Failed > 0 {
		head += fmt.Sprintf(", %d failed", r.Failed)
	}
	t.line(head)
	for _, st := range r.Replicas {
		t.joined("  "+st.Node+" ", lagParts(st))
	}
	for _, f := range r.Faults {
		prefix := "  during " + f.ID + " "
		if f.Readings == 0 {
			t.line(prefix + "no reading")
			continue
		}
		for _, st := range f.Replicas {
			t.joined(prefix+st.Node+" ", lagParts(st))
		}
		if f.Exposure != nil {
			t.wrapped(prefix+"RPO exposure: ", strings.Repeat(" ", len(prefix)+2), exposureSentence(f.Exposure, r.IntervalMS))
		}
	}
	if r.Exposure != nil {
		t.wrapped("RPO exposure: ", "  ", exposureSentence(r.Exposure, r.IntervalMS))
	}
}
