package firedrill

// ReadStats is what the read workload saw, scored by the rules of
// docs/measurement.md, "Reads". Result.Reads is nil (absent from
// result.json) when no reads ran.
type ReadStats struct {
	// Sent counts the reads sent; each ended OK, Stale, Failed or
	// Indeterminate.
	Sent          int `json:"sent"`
	OK            int `json:"ok"`
	Stale         int `json:"stale"`
	Failed        int `json:"failed"`
	Indeterminate int `json:"indeterminate"`
	// StaleOnPrimary counts the stale reads a primary served: not a lag,
	// since a primary has every write it acknowledged, but an acknowledged
	// write it did not have (a failover's lost write, which the read-back
	// counts) or a read served by a node that had just been promoted.
	StaleOnPrimary int `json:"stale_on_primary"`
	// Keyless reads fell due before any write had been acknowledged
	// KeyAgeMS earlier: nothing was sent.
	Keyless int `json:"keyless"`
	// RatePerS is workload.reads_per_second; KeyAgeMS how long before a
	// read its key was at least acknowledged.
	RatePerS float64 `json:"rate_per_s"`
	KeyAgeMS float64 `json:"key_age_ms"`
	// ScheduleLag is Sent − Due over the reads; null when none was sent.
	ScheduleLag *ScheduleLag `json:"schedule_lag"`
	// Phases say who served the reads: before the first injection, then
	// from each injection's T to the next one's, the last to the end of
	// observation.
	Phases []ReadPhase `json:"phases"`
}

// ReadPhase is who served the reads sent in one stretch of the drill.
type ReadPhase struct {
	// Injection is the id of the injection whose T opens the phase; empty
	// for the phase before the first injection.
	Injection string  `json:"injection,omitempty"`
	FromMS    float64 `json:"from_ms"`
	ToMS      float64 `json:"to_ms"`
	// Servers are the nodes that answered (ok or stale), in the order they
	// first did; Unanswered counts the failed and indeterminate reads.
	Servers    []ReadServer `json:"servers"`
	Unanswered int          `json:"unanswered"`
}

// ReadServer is one node's share of a phase's reads, as the role it had
// when it served them (a promoted replica appears twice: as replica, then
// as primary).
type ReadServer struct {
	Node  string `json:"node"`
	Role  string `json:"role"` // ServedByPrimary, ServedByReplica, or "" when unknown
	OK    int    `json:"ok"`
	Stale int    `json:"stale"`
	// FirstMS and LastMS are the send offsets of the first and the last
	// read it served in the phase.
	FirstMS float64 `json:"first_ms"`
	LastMS  float64 `json:"last_ms"`
}

// FaultReads is one injection's read outage: the rules of the write RTO
// applied to the reads (docs/measurement.md, "Reads").
type FaultReads struct {
	Recovery Recovery `json:"recovery"`
	// RTOMS, when Recovery is recovered: from T to the answer of the
	// recovery read.
	RTOMS *float64 `json:"rto_ms"`
	// PendingMS, when Recovery is unconfirmed: the send offset of the
	// first read of the clean run the end of observation cut short.
	PendingMS *float64 `json:"pending_ms,omitempty"`
	// StoppedMS is the send offset of the first read sent at or after T
	// that was not ok, before the recovery read (null when none was): when
	// reads stopped succeeding. BackMS is the recovery read's answer: when
	// they came back.
	StoppedMS *float64 `json:"stopped_ms"`
	BackMS    *float64 `json:"back_ms"`
	// Overlap explains a read outage shared with other injections.
	Overlap string `json:"overlap,omitempty"`
}
