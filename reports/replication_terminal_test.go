package reports

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
)

// replicationResult is what replication.Replication makes of four readings of
// one standby (and a failed one), f0 in effect from 200ms to 800ms.
const replicationResult = `{"interval_ms": 250, "readings": 5, "failed": 1, "last_error": "x",
  "replicas": [{"node": "pg-replica1", "streaming": 4, "max_unflushed_bytes": 12600, "mean_unflushed_bytes": 5475,
    "max_flush_lag_ms": 104.6, "mean_flush_lag_ms": 51.625, "max_replay_lag_ms": 105.6, "mean_replay_lag_ms": 52.625}],
  "rpo_exposure": {"at_ms": 250, "replica": "pg-replica1", "bytes": 12600, "lag_ms": 104.6},
  "faults": [{"id": "f0", "from_ms": 200, "to_ms": 800, "readings": 2,
    "replicas": [{"node": "pg-replica1", "streaming": 2, "max_unflushed_bytes": 12600, "mean_unflushed_bytes": 10800,
      "max_flush_lag_ms": 104.6, "mean_flush_lag_ms": 102.8, "max_replay_lag_ms": 105.6, "mean_replay_lag_ms": 103.8}],
    "rpo_exposure": {"at_ms": 250, "replica": "pg-replica1", "bytes": 12600, "lag_ms": 104.6}}]}`

func TestReplicationTerminal(t *testing.T) {
	var r firedrill.Replication
	if err := json.Unmarshal([]byte(replicationResult), &r); err != nil {
		t.Fatal(err)
	}
	tm := &term{}
	tm.replication(&r)
	want := `replication read every 250ms: 5 readings, 1 failed
  pg-replica1 unflushed WAL max 12.3 KiB · mean 5.3 KiB · flush lag max 105ms ·
              mean 52ms · replay lag max 106ms
  during f0 pg-replica1 unflushed WAL max 12.3 KiB · mean 10.5 KiB ·
                        flush lag max 105ms · mean 103ms · replay lag max 106ms
  during f0 RPO exposure: had the primary been lost at the worst moment (250ms
              into the drill, a failover to pg-replica1), writes acknowledged in
              the last 105ms (12.3 KiB of WAL) would have been lost
RPO exposure: had the primary been lost at the worst moment (250ms into the
  drill, a failover to pg-replica1), writes acknowledged in the last 105ms (12.3
  KiB of WAL) would have been lost
`
	if got := tm.b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, l := range strings.Split(tm.b.String(), "\n") {
		if len([]rune(l)) > termWidth {
			t.Errorf("line wider than %d: %q", termWidth, l)
		}
	}

	// No flush lag reported at the worst reading: the bytes alone, and
	// why.
	noLag := &firedrill.RPOExposure{AtMS: 1000, Replica: "pg-replica1", Bytes: 256}
	if s := exposureSentence(noLag, 250); !strings.Contains(s, "the writes acknowledged in its last 256 B of WAL would have been lost (Postgres reported no flush lag then)") {
		t.Errorf("exposure without a flush lag: %q", s)
	}

	// Nothing in flight at any reading: said as such, not as "the last 0s".
	quiet := &firedrill.RPOExposure{AtMS: 0, Replica: "pg-replica1", Bytes: 0}
	if s := exposureSentence(quiet, 250); !strings.Contains(s, "no acknowledged write would have been lost") {
		t.Errorf("exposure without lag: %q", s)
	}
}
