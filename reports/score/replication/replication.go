package replication

import (
	"time"

	"github.com/firedrill/firedrill"
)

// Replication scores the replication-lag sampler's readings by the rules
// of docs/measurement.md, "Replication lag and RPO exposure": each
// standby's lag over the drill and while each reverted fault of faults was
// in effect (from its T to its revert), and the RPO exposure of each. nil
// without a reading or a failure to read: a drill without standbys.
func Replication(samples []firedrill.LagSample, failed int, lastErr error, interval time.Duration, faults []firedrill.FaultResult) *firedrill.Replication {
	if len(samples) == 0 && failed == 0 {
		return nil
	}
	r := &firedrill.Replication{
		IntervalMS: firedrill.Millis(interval),
		Readings:   len(samples) + failed,
		Failed:     failed,
		Replicas:   lagStats(samples),
		Exposure:   exposure(samples),
	}
	if lastErr != nil {
		r.LastError = lastErr.Error()
	}
	for _, f := range faults {
		if !f.Injected || f.RevertedMS == nil {
			continue
		}
		var in []firedrill.LagSample
		for _, s := range samples {
			if at := firedrill.Millis(s.At); at >= f.AtMS && at <= *f.RevertedMS {
				in = append(in, s)
			}
		}
		r.Faults = append(r.Faults, firedrill.FaultLag{ID: f.ID, FromMS: f.AtMS, ToMS: *f.RevertedMS, Readings: len(in),
			Replicas: lagStats(in), Exposure: exposure(in)})
	}
	return r
}

// lagStats are each standby's figures over samples, in the order the
// standbys first appear.
func lagStats(samples []firedrill.LagSample) []firedrill.ReplicaLagStats {
	type acc struct {
		st                    firedrill.ReplicaLagStats
		unflushed, unreplayed float64
		flushSum, replaySum   float64
		flushN, replayN       int
		flushMax, replayMax   float64
	}
	var order []string
	byNode := map[string]*acc{}
	for _, s := range samples {
		for _, rl := range s.Replicas {
			a, ok := byNode[rl.Node]
			if !ok {
				a = &acc{st: firedrill.ReplicaLagStats{Node: rl.Node}}
				byNode[rl.Node] = a
				order = append(order, rl.Node)
			}
			if !rl.Streaming {
				a.st.NotStreaming++
				continue
			}
			a.st.Streaming++
			a.st.MaxUnflushedBytes = max(a.st.MaxUnflushedBytes, rl.UnflushedBytes)
			a.st.MaxUnreplayedBytes = max(a.st.MaxUnreplayedBytes, rl.UnreplayedBytes)
			a.unflushed += float64(rl.UnflushedBytes)
			a.unreplayed += float64(rl.UnreplayedBytes)
			if rl.FlushLag != nil {
				v := firedrill.Millis(*rl.FlushLag)
				a.flushSum, a.flushN, a.flushMax = a.flushSum+v, a.flushN+1, max(a.flushMax, v)
			}
			if rl.ReplayLag != nil {
				v := firedrill.Millis(*rl.ReplayLag)
				a.replaySum, a.replayN, a.replayMax = a.replaySum+v, a.replayN+1, max(a.replayMax, v)
			}
		}
	}
	out := make([]firedrill.ReplicaLagStats, 0, len(order))
	for _, n := range order {
		a := byNode[n]
		if a.st.Streaming > 0 {
			a.st.MeanUnflushedBytes = a.unflushed / float64(a.st.Streaming)
			a.st.MeanUnreplayedBytes = a.unreplayed / float64(a.st.Streaming)
		}
		if a.flushN > 0 {
			a.st.MaxFlushLagMS, a.st.MeanFlushLagMS = ptr(a.flushMax), ptr(a.flushSum/float64(a.flushN))
		}
		if a.replayN > 0 {
			a.st.MaxReplayLagMS, a.st.MeanReplayLagMS = ptr(a.replayMax), ptr(a.replaySum/float64(a.replayN))
		}
		out = append(out, a.st)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// exposure finds the worst moment to have lost the primary among samples:
// in each reading the standby a failover would promote is the streaming
// one with the least unflushed WAL (the manager promotes the one that
// received the most); the worst reading is the one where that standby
// lacked the most (the earliest of equals). nil without readings.
func exposure(samples []firedrill.LagSample) *firedrill.RPOExposure {
	if len(samples) == 0 {
		return nil
	}
	e := &firedrill.RPOExposure{}
	found := false
	for _, s := range samples {
		var best *firedrill.ReplicaLag
		for i := range s.Replicas {
			rl := &s.Replicas[i]
			if rl.Streaming && (best == nil || rl.UnflushedBytes < best.UnflushedBytes) {
				best = rl
			}
		}
		if best == nil {
			e.NoStandby++
			continue
		}
		if !found || best.UnflushedBytes > e.Bytes {
			found = true
			e.AtMS, e.Replica, e.Bytes, e.LagMS = firedrill.Millis(s.At), best.Node, best.UnflushedBytes, nil
			if best.FlushLag != nil {
				e.LagMS = ptr(firedrill.Millis(*best.FlushLag))
			}
		}
	}
	return e
}
