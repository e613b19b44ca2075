package firedrill

// Series is the drill as a time series, for the HTML timeline and other
// charts (docs/measurement.md, "Time series"): the workload's operations
// in fixed buckets by the instant they were sent, and every replication
// lag reading. It adds no measurement: each figure is a count or a
// percentile of what the ledger and the lag sampler recorded, and the
// RTO, RPO and phases stay those of the faults.
type Series struct {
	// BucketMS is the width of every bucket; the first starts at 0.
	BucketMS float64        `json:"bucket_ms"`
	Buckets  []SeriesBucket `json:"buckets"`
	// Lag is every replication lag reading, per standby; absent without
	// a standby.
	Lag []LagPoint `json:"lag,omitempty"`
}

// SeriesBucket counts the operations sent in [AtMS, AtMS+BucketMS) by
// outcome. Latencies are of the writes acknowledged among them (Done −
// Sent), absent when none was.
type SeriesBucket struct {
	AtMS                float64  `json:"at_ms"`
	WritesOK            int      `json:"writes_ok"`
	WritesFailed        int      `json:"writes_failed"`
	WritesIndeterminate int      `json:"writes_indeterminate"`
	ReadsOK             int      `json:"reads_ok,omitempty"`
	ReadsFailed         int      `json:"reads_failed,omitempty"` // failed, indeterminate or stale
	LatencyP50MS        *float64 `json:"latency_p50_ms,omitempty"`
	LatencyP99MS        *float64 `json:"latency_p99_ms,omitempty"`
	LatencyMaxMS        *float64 `json:"latency_max_ms,omitempty"`
}

// LagPoint is one standby in one replication lag reading.
type LagPoint struct {
	AtMS      float64 `json:"at_ms"`
	Primary   string  `json:"primary"`
	Replica   string  `json:"replica"`
	Streaming bool    `json:"streaming"`
	// UnflushedBytes is what a failover to it then would have lost.
	UnflushedBytes int64 `json:"unflushed_bytes"`
	// ReplayLagMS is Postgres's replay_lag, absent when it reported none.
	ReplayLagMS *float64 `json:"replay_lag_ms,omitempty"`
}
