package firedrill

import "time"

// LagSample is one reading of replication lag, read from the primary's
// pg_stat_replication (docs/measurement.md, "Replication lag and RPO
// exposure").
type LagSample struct {
	// At is when the reading returned, on the drill clock.
	At time.Duration
	// Primary is the node the reading was made on.
	Primary string
	// Replicas are the other Postgres nodes, in topology order, each as
	// the primary saw it.
	Replicas []ReplicaLag
}

// ReplicaLag is one standby in one reading.
type ReplicaLag struct {
	Node string
	// Streaming is false when the primary had no streaming connection
	// from it: its lag is then unknown (not zero), and a failover to it
	// would lose everything since it stopped.
	Streaming bool
	// UnflushedBytes is the WAL the primary had written that the standby
	// had not yet flushed (pg_current_wal_lsn − flush_lsn): what a
	// failover to it at that instant would lose.
	UnflushedBytes int64
	// UnreplayedBytes is the WAL it had not yet replayed
	// (pg_current_wal_lsn − replay_lsn): how far its reads were behind.
	UnreplayedBytes int64
	// FlushLag and ReplayLag are Postgres's flush_lag and replay_lag:
	// from the primary flushing WAL to hearing that the standby flushed
	// (replayed) it. Nil when Postgres reported none (an idle link).
	FlushLag, ReplayLag *time.Duration
}

// Replication is what the replication-lag sampler saw, scored by the
// rules of docs/measurement.md, "Replication lag and RPO exposure".
// Result.Replication is absent when the drill has no standby.
type Replication struct {
	// IntervalMS is the sampler's period; Readings how many readings it
	// made, Failed how many of them could not be made (no primary
	// reachable: a failover in progress, a fault on the primary).
	IntervalMS float64 `json:"interval_ms"`
	Readings   int     `json:"readings"`
	Failed     int     `json:"failed"`
	// LastError says why the last failed reading failed.
	LastError string `json:"last_error,omitempty"`
	// Replicas are each standby's lag over the whole drill.
	Replicas []ReplicaLagStats `json:"replicas"`
	// Exposure is the worst moment of the whole drill; null when no
	// reading found a streaming standby.
	Exposure *RPOExposure `json:"rpo_exposure"`
	// Faults are the lag while each reverted fault was in effect.
	Faults []FaultLag `json:"faults,omitempty"`
}

// ReplicaLagStats is one standby's lag over a stretch of readings. The
// maxima and means are over the readings in which it was streaming; a
// time figure is null when Postgres reported none in any of them.
type ReplicaLagStats struct {
	Node string `json:"node"`
	// Streaming counts the readings in which it was streaming;
	// NotStreaming those in which it was not.
	Streaming    int `json:"streaming"`
	NotStreaming int `json:"not_streaming"`
	// Unflushed WAL (bytes): what a failover to it would have lost.
	MaxUnflushedBytes  int64   `json:"max_unflushed_bytes"`
	MeanUnflushedBytes float64 `json:"mean_unflushed_bytes"`
	// Unreplayed WAL (bytes): how far behind its reads were.
	MaxUnreplayedBytes  int64    `json:"max_unreplayed_bytes"`
	MeanUnreplayedBytes float64  `json:"mean_unreplayed_bytes"`
	MaxFlushLagMS       *float64 `json:"max_flush_lag_ms"`
	MeanFlushLagMS      *float64 `json:"mean_flush_lag_ms"`
	MaxReplayLagMS      *float64 `json:"max_replay_lag_ms"`
	MeanReplayLagMS     *float64 `json:"mean_replay_lag_ms"`
}

// RPOExposure is the worst moment to have lost the primary: the reading
// in which the standby a failover would promote (the streaming one with
// the least unflushed WAL) had the most unflushed WAL.
type RPOExposure struct {
	// AtMS is the reading's instant on the drill clock.
	AtMS float64 `json:"at_ms"`
	// Replica is the standby a failover would have promoted then.
	Replica string `json:"replica"`
	// Bytes is the WAL it lacked; LagMS its flush lag then (null when
	// Postgres reported none): writes acknowledged in the last LagMS
	// would have been lost.
	Bytes int64    `json:"bytes"`
	LagMS *float64 `json:"lag_ms"`
	// NoStandby counts the readings in which no standby was streaming: a
	// primary lost then would have lost everything since.
	NoStandby int `json:"no_standby"`
}

// FaultLag is the lag while one fault was in effect: the readings from
// its T to its revert.
type FaultLag struct {
	ID       string            `json:"id"`
	FromMS   float64           `json:"from_ms"`
	ToMS     float64           `json:"to_ms"`
	Readings int               `json:"readings"`
	Replicas []ReplicaLagStats `json:"replicas"`
	Exposure *RPOExposure      `json:"rpo_exposure"`
}
