package replication

import (
	"errors"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

const ms = time.Millisecond

func lagMS(v float64) *time.Duration {
	d := time.Duration(v * float64(time.Millisecond))
	return &d
}

func streaming(node string, unflushed int64, flushMS float64) firedrill.ReplicaLag {
	return firedrill.ReplicaLag{Node: node, Streaming: true, UnflushedBytes: unflushed, UnreplayedBytes: 2 * unflushed,
		FlushLag: lagMS(flushMS), ReplayLag: lagMS(flushMS + 1)}
}

func reading(at time.Duration, replicas ...firedrill.ReplicaLag) firedrill.LagSample {
	return firedrill.LagSample{At: at, Primary: "pg-primary", Replicas: replicas}
}

// Each standby's maxima and means are over the readings in which it
// streamed; the exposure is the reading in which the best standby (the
// least unflushed) lacked the most; a fault's figures are its readings
// from T to its revert.
func TestReplicationScoring(t *testing.T) {
	samples := []firedrill.LagSample{
		reading(0, streaming("pg-r1", 100, 1), streaming("pg-r2", 50, 1)),
		reading(250*ms, streaming("pg-r1", 4000, 100), streaming("pg-r2", 9000, 120)),       // best r1: 4000
		reading(500*ms, streaming("pg-r1", 8000, 102), firedrill.ReplicaLag{Node: "pg-r2"}), // best r1: 8000
		reading(750*ms, streaming("pg-r1", 9500, 101), streaming("pg-r2", 6000, 90)),        // best r2: 6000
		reading(1000*ms, firedrill.ReplicaLag{Node: "pg-r1"}, firedrill.ReplicaLag{Node: "pg-r2"}),
	}
	reverted := 800.0
	faults := []firedrill.FaultResult{
		{ID: "f0", Injected: true, AtMS: 200, RevertedMS: &reverted},
		{ID: "f1", Injected: true, AtMS: 300},                       // irreversible: no window
		{ID: "f2", Injected: false, AtMS: 0, RevertedMS: &reverted}, // never injected
	}
	r := Replication(samples, 2, errors.New("no primary"), 250*ms, faults)
	if r.Readings != 7 || r.Failed != 2 || r.LastError != "no primary" || r.IntervalMS != 250 {
		t.Errorf("readings %d failed %d (%q) interval %v", r.Readings, r.Failed, r.LastError, r.IntervalMS)
	}
	if len(r.Replicas) != 2 || r.Replicas[0].Node != "pg-r1" || r.Replicas[1].Node != "pg-r2" {
		t.Fatalf("replicas %+v", r.Replicas)
	}
	r1 := r.Replicas[0]
	if r1.Streaming != 4 || r1.NotStreaming != 1 || r1.MaxUnflushedBytes != 9500 || r1.MeanUnflushedBytes != (100+4000+8000+9500)/4.0 ||
		r1.MaxUnreplayedBytes != 19000 || *r1.MaxFlushLagMS != 102 || *r1.MeanFlushLagMS != (1+100+102+101)/4.0 || *r1.MaxReplayLagMS != 103 {
		t.Errorf("pg-r1: %+v", r1)
	}
	if e := r.Exposure; e == nil || e.Replica != "pg-r1" || e.Bytes != 8000 || e.AtMS != 500 || *e.LagMS != 102 || e.NoStandby != 1 {
		t.Errorf("exposure %+v, want pg-r1 lacking 8000 B at 500ms (102ms of flush lag), 1 reading without a standby", r.Exposure)
	}
	if len(r.Faults) != 1 || r.Faults[0].ID != "f0" || r.Faults[0].Readings != 3 || r.Faults[0].FromMS != 200 || r.Faults[0].ToMS != 800 {
		t.Fatalf("faults %+v, want f0 alone with its 3 readings from 200ms to 800ms", r.Faults)
	}
	if fe := r.Faults[0].Exposure; fe.Bytes != 8000 || fe.NoStandby != 0 {
		t.Errorf("f0's exposure %+v", fe)
	}
	// A standby that never streamed has no figures, not zeros.
	r = Replication([]firedrill.LagSample{reading(0, firedrill.ReplicaLag{Node: "pg-r1"})}, 0, nil, 250*ms, nil)
	if st := r.Replicas[0]; st.Streaming != 0 || st.MaxFlushLagMS != nil || st.MeanFlushLagMS != nil {
		t.Errorf("never streaming: %+v", st)
	}
	if e := r.Exposure; e.Replica != "" || e.NoStandby != 1 {
		t.Errorf("no standby: exposure %+v", e)
	}
	// No standby at all: no section.
	if Replication(nil, 0, nil, 250*ms, nil) != nil {
		t.Error("a drill without readings has a replication section")
	}
}
