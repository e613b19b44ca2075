package postgres

import (
	"math"
	"testing"
	"time"
)

func TestReplicaLagRow(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	f64 := func(v float64) *float64 { return &v }

	rl := replicaLag("pg-replica1", "streaming", i64(4096), i64(8192), f64(100.5), f64(101.25))
	if !rl.Streaming || rl.UnflushedBytes != 4096 || rl.UnreplayedBytes != 8192 ||
		rl.FlushLag == nil || *rl.FlushLag != 100500*time.Microsecond || rl.ReplayLag == nil || *rl.ReplayLag != 101250*time.Microsecond {
		t.Errorf("a streaming row: %+v", rl)
	}
	// An idle link: no lag times, the bytes still count.
	rl = replicaLag("pg-replica1", "streaming", i64(0), i64(0), nil, nil)
	if !rl.Streaming || rl.FlushLag != nil || rl.ReplayLag != nil {
		t.Errorf("an idle row: %+v", rl)
	}
	// Catching up, or no flush position reported yet: not streaming, and
	// nothing is made up.
	for _, rl := range []struct {
		state string
		flush *int64
	}{{"catchup", i64(100)}, {"startup", nil}, {"streaming", nil}} {
		got := replicaLag("pg-replica1", rl.state, rl.flush, nil, f64(5), nil)
		if got.Streaming || got.UnflushedBytes != 0 || got.FlushLag != nil {
			t.Errorf("state %s flush %v: %+v, want not streaming and no figures", rl.state, rl.flush, got)
		}
	}
	// A position ahead of the primary's current one (read a moment later)
	// is no lag, never a negative one.
	if rl := replicaLag("pg-replica1", "streaming", i64(-16), i64(-8), nil, nil); rl.UnflushedBytes != 0 || rl.UnreplayedBytes != 0 {
		t.Errorf("negative lag kept: %+v", rl)
	}
	if msDuration(f64(math.NaN())) != nil || msDuration(f64(-1)) != nil {
		t.Error("a NaN or negative lag became a duration")
	}
}
