package series

import (
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

func TestOf(t *testing.T) {
	ms := time.Millisecond
	w := func(sent, done time.Duration, o firedrill.Outcome) firedrill.Op {
		return firedrill.Op{Kind: "write", Sent: sent, Done: done, Outcome: o}
	}
	ops := []firedrill.Op{
		w(0, 10*ms, firedrill.OutcomeOK), w(50*ms, 70*ms, firedrill.OutcomeOK), w(60*ms, 160*ms, firedrill.OutcomeOK),
		w(120*ms, 2*time.Second, firedrill.OutcomeFailed), w(150*ms, 1200*ms, firedrill.OutcomeIndeterminate),
		{Kind: "read", Sent: 130 * ms, Outcome: firedrill.OutcomeStale}, {Kind: "read", Sent: 140 * ms, Outcome: firedrill.OutcomeOK},
		{Kind: firedrill.OpKindUpload, Sent: 10 * ms, Outcome: firedrill.OutcomeOK},
	}
	lag := 3 * ms
	s := Of(ops, []firedrill.LagSample{{At: 100 * ms, Primary: "pg-primary", Replicas: []firedrill.ReplicaLag{
		{Node: "pg-replica1", Streaming: true, UnflushedBytes: 80, ReplayLag: &lag}, {Node: "pg-replica2"}}}}, 300*ms)
	if s.BucketMS != 100 || len(s.Buckets) != 3 {
		t.Fatalf("bucket %vms × %d, want 100ms × 3", s.BucketMS, len(s.Buckets))
	}
	b0, b1 := s.Buckets[0], s.Buckets[1]
	// Latencies 10, 20, 100 ms: p50 20 (rank 2 of 3), p99 and max 100.
	if b0.WritesOK != 3 || b0.WritesFailed != 0 || *b0.LatencyP50MS != 20 || *b0.LatencyP99MS != 100 || *b0.LatencyMaxMS != 100 {
		t.Errorf("bucket 0 = %+v", b0)
	}
	// The failed and indeterminate writes count where they were sent; the
	// upload is not a write.
	if b1.AtMS != 100 || b1.WritesFailed != 1 || b1.WritesIndeterminate != 1 || b1.WritesOK != 0 || b1.LatencyP50MS != nil ||
		b1.ReadsOK != 1 || b1.ReadsFailed != 1 {
		t.Errorf("bucket 1 = %+v, want 1 failed, 1 indeterminate, no latency, 1 read ok and 1 not", b1)
	}
	if len(s.Lag) != 2 || s.Lag[0].Replica != "pg-replica1" || *s.Lag[0].ReplayLagMS != 3 || s.Lag[0].UnflushedBytes != 80 ||
		s.Lag[1].Streaming || s.Lag[1].ReplayLagMS != nil {
		t.Errorf("lag %+v", s.Lag)
	}
	// A long drill gets wider buckets, never more than MaxBuckets.
	long := Of([]firedrill.Op{w(59*time.Minute, 59*time.Minute+ms, firedrill.OutcomeOK)}, nil, time.Hour)
	if long.BucketMS != 10000 || len(long.Buckets) != 360 || long.Buckets[354].WritesOK != 1 {
		t.Errorf("an hour: %vms × %d", long.BucketMS, len(long.Buckets))
	}
	if Of(nil, nil, 0) != nil {
		t.Error("nothing recorded, want no series")
	}
}
