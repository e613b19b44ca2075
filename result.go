package firedrill

import "time"

// Verdict is the outcome of a whole drill.
type Verdict string

// Verdicts. A drill whose measurement could not be made is inconclusive,
// never a pass.
const (
	VerdictPass         Verdict = "pass"
	VerdictFail         Verdict = "fail"
	VerdictInconclusive Verdict = "inconclusive"
)

// Exit codes of the firedrill command (README.md, "Exit codes" under "A drill, as it prints").
const (
	ExitPass         = 0
	ExitFail         = 1   // an objective was missed, or an abort condition tripped with a fault in effect
	ExitUsage        = 2   // invalid scenario or usage
	ExitInconclusive = 3   // inconclusive, or the infrastructure broke
	ExitInterrupted  = 130 // interrupted, after cleanup
)

// ExitCode maps a verdict to the process exit code.
func (v Verdict) ExitCode() int {
	switch v {
	case VerdictPass:
		return ExitPass
	case VerdictFail:
		return ExitFail
	default:
		return ExitInconclusive
	}
}

// ObjectiveStatus says whether an objective was met, missed or could not be
// measured.
type ObjectiveStatus string

// Objective statuses.
const (
	StatusMet    ObjectiveStatus = "met"
	StatusMissed ObjectiveStatus = "missed"
	StatusNoData ObjectiveStatus = "no-data"
	// StatusReported: the objective has no limit; the value is only reported.
	StatusReported ObjectiveStatus = "reported"
)

// ObjectiveResult is one objective checked against its measurement.
type ObjectiveResult struct {
	Name   string `json:"name"`   // "rto", "rpo", "lost_writes", "split_brain"
	Target string `json:"target"` // "<= 15s", "report"
	// Limit is the target as a number: milliseconds for rto and rpo,
	// writes for lost_writes; absent when the objective is only reported
	// or has no number (split_brain).
	Limit    *float64        `json:"limit,omitempty"`
	Measured string          `json:"measured"` // "3.2s", "never recovered", "not measured"
	Met      bool            `json:"met"`      // true only when Status is met or reported
	Status   ObjectiveStatus `json:"status"`
	Detail   string          `json:"detail,omitempty"`
}

// Phase names, in the order they happen during a failover.
const (
	PhaseDetect     = "detect"
	PhaseFence      = "fence"
	PhasePromote    = "promote"
	PhaseFirstWrite = "first_write"
)

// Recovery says how an injection's outage ended, as far as the drill
// could see (docs/measurement.md, "RTO").
type Recovery string

// Recovery states of an injection.
const (
	// RecoveryRecovered: the outage ended; RTOMS is set.
	RecoveryRecovered Recovery = "recovered"
	// RecoveryNever: writes were still failing when observation ended.
	// It fails the drill whatever the rto objective says.
	RecoveryNever Recovery = "never"
	// RecoveryUnconfirmed: writes succeeded from PendingMS on, but
	// observation ended before the stability window closed: the run was
	// too short to tell, so the drill is inconclusive, not failed.
	RecoveryUnconfirmed Recovery = "unconfirmed"
	// RecoveryNoData: no write was sent after the fault took effect.
	RecoveryNoData Recovery = "no-data"
	// RecoveryOverlapped: the injection's effect cannot be told apart from
	// another injection's outage; Overlap says which. It has no RTO of its
	// own: the outage is judged on the injection that caused it.
	RecoveryOverlapped Recovery = "overlapped"
	// RecoveryNotInjected: the fault never took effect; Error says why.
	RecoveryNotInjected Recovery = "not-injected"
	// RecoverySkipped: the injection was deliberately not made (a
	// fault.skipped event: a monkey fault over max_at_once or with nothing
	// to hit, or a fault due after the drill was aborted); Error says why.
	// Nothing was attempted, so it makes nothing inconclusive.
	RecoverySkipped Recovery = "skipped"
)

// FaultResult is what one injection did and what it cost: one per entry of
// the drill's schedule (a timeline fault or a monkey fault), keyed by the
// injection id. Every number on it is charged to this injection by the
// rules of docs/measurement.md ("Charging").
type FaultResult struct {
	ID     string `json:"id"`     // "f0", "m3"
	Source string `json:"source"` // "timeline" or "monkey"
	Index  int    `json:"index"`  // position in timeline.faults, or -1
	Action string `json:"action"`
	Target string `json:"target"` // as the scenario named it: postgres.primary, or a selector
	// Nodes are the nodes the fault hit, resolved at injection time.
	Nodes       []string `json:"nodes"`
	ScheduledMS float64  `json:"scheduled_ms"`
	// Injected is false when the fault never took effect (a fault.failed
	// event, or no fault.injected event at all); Error then says why.
	Injected bool `json:"injected"`
	// ResolveMS is how long resolving the targets took before the fault
	// was applied; null when the drill did not record it.
	ResolveMS *float64 `json:"resolve_ms"`
	// AtMS is the effect instant T: when the call applying the fault
	// began, after target resolution (the scheduled offset when not
	// injected). SpanMS is how long that call took: the effect is certain
	// by T+Span.
	AtMS   float64 `json:"at"`
	SpanMS float64 `json:"span_ms"`
	// RevertedMS is when the fault was undone (offset from the run's
	// start); null if it never was. RevertError says why a revert failed.
	RevertedMS  *float64 `json:"reverted_ms"`
	RevertError string   `json:"revert_error,omitempty"`
	// Evidence is what showed that the fault took effect.
	Evidence string `json:"evidence,omitempty"`
	// Overlap explains an injection whose effect cannot be told apart from
	// another's outage; OverlapsWith names the other injections.
	Overlap      string   `json:"overlap,omitempty"`
	OverlapsWith []string `json:"overlaps_with,omitempty"`
	Recovery     Recovery `json:"recovery"`
	// RTOMS is set when Recovery is recovered: from T to the ack of the
	// recovery write.
	RTOMS *float64 `json:"rto_ms"`
	// PendingMS, when Recovery is unconfirmed, is the send offset of the
	// first write of the clean run that the end of observation cut short.
	PendingMS *float64 `json:"pending_ms,omitempty"`
	// RPOMS is the largest loss window of the lost writes charged to this
	// injection (0 when none); Lost how many there are. Both are null
	// when the read-back could not be made.
	RPOMS *float64 `json:"rpo_ms"`
	Lost  *int     `json:"lost"`
	// Phases holds each phase's offset from T, in ms; a phase that never
	// happened, or was charged to another injection, is absent.
	Phases map[string]float64 `json:"phases"`
	Error  string             `json:"error,omitempty"`
	// Reads is the injection's read outage; absent when no reads ran or
	// the fault was not injected.
	Reads *FaultReads `json:"reads,omitempty"`
}

// WriteStats counts the workload's writes by outcome.
type WriteStats struct {
	Attempted     int `json:"attempted"`
	Acked         int `json:"acked"`
	Failed        int `json:"failed"`
	Indeterminate int `json:"indeterminate"`
	// Lost is the number of acknowledged writes missing after recovery;
	// null when the read-back could not be made.
	Lost    *int     `json:"lost"`
	LostIDs []string `json:"lost_ids,omitempty"`
	// Verified is how many acknowledged writes were read back.
	Verified int `json:"verified"`
	// FailedButPresent counts writes classified failed that the read-back
	// found anyway: "failed" promises the write did not happen, so each
	// one is a broken promise (a warning, docs/measurement.md). Null when
	// the read-back could not be made.
	FailedButPresent    *int     `json:"failed_but_present"`
	FailedButPresentIDs []string `json:"failed_but_present_ids,omitempty"`
}

// ScheduleLag is how late the probe sent its writes: Sent − Due over the
// write operations, in ms. A lag that grows means the probe could not keep
// its open-loop schedule (coordinated omission, docs/measurement.md,
// "Schedule lag").
type ScheduleLag struct {
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
	MaxMS float64 `json:"max_ms"`
}

// ResultSchemaVersion is the version of result.json's schema
// (docs/result.md): a field added keeps it, a field removed, renamed or
// changed in meaning raises it. Readers refuse a version they do not know.
const ResultSchemaVersion = 1

// Result is the scored outcome of a drill: what result.json holds.
type Result struct {
	// SchemaVersion is ResultSchemaVersion when written (reports.WriteJSON).
	SchemaVersion int       `json:"schema_version"`
	Scenario      string    `json:"scenario"`
	RunID         string    `json:"run_id"`
	Verdict       Verdict   `json:"verdict"`
	Reasons       []string  `json:"reasons,omitempty"` // why inconclusive or failed
	StartedAt     time.Time `json:"started_at"`        // wall clock, a label only
	// Seed drove every random choice of the drill (the monkey's schedule,
	// jitter): `firedrill run --seed` with it replays the same choices.
	Seed       int64             `json:"seed"`
	DurationMS float64           `json:"duration_ms"`
	Objectives []ObjectiveResult `json:"objectives"`
	Faults     []FaultResult     `json:"faults"`
	Writes     WriteStats        `json:"writes"`
	// Reads is absent when no reads ran (docs/measurement.md, "Reads").
	Reads *ReadStats `json:"reads,omitempty"`
	// Uploads is absent when no uploads ran (docs/measurement.md, "Uploads").
	Uploads *UploadsResult `json:"uploads,omitempty"`
	// RPOMS is null when it could not be measured; 0 when nothing was lost.
	RPOMS      *float64 `json:"rpo_ms"`
	SplitBrain bool     `json:"split_brain"`
	// ReadFrom is the node the read-back came from.
	ReadFrom string `json:"read_from"`
	// Warnings are findings that do not decide the verdict but break a
	// promise of the measurement (docs/measurement.md, "Warnings").
	Warnings []string `json:"warnings,omitempty"`
	// ScheduleLag is null when no write was sent.
	ScheduleLag *ScheduleLag `json:"schedule_lag"`
	// Replication is the standbys' lag and the RPO exposure; absent
	// without a standby (docs/measurement.md, "Replication lag and RPO
	// exposure").
	Replication *Replication `json:"replication,omitempty"`
	// DR is what the DR engine did: backups, restores and their
	// verification, recovery plans; absent when it did none of them
	// (docs/measurement.md, "Backups and restores").
	DR *DRResult `json:"dr,omitempty"`
	// Series is the drill as a time series for charts; absent when
	// nothing was recorded (docs/measurement.md, "Time series").
	Series *Series `json:"series,omitempty"`
	// Abort is the abort condition that stopped the drill early; absent
	// when none tripped (docs/measurement.md, "Inconclusive or fail").
	Abort *AbortResult `json:"abort,omitempty"`
	// HealthCheckPhaseMS is the failover manager's health-check phase
	// against the drill clock (the Span of its failover.start event); null
	// without a manager.
	HealthCheckPhaseMS *float64 `json:"health_check_phase_ms"`
	// Settings that bound the measurement's resolution.
	WriteRate       float64 `json:"write_rate_per_s"`
	StabilityMS     float64 `json:"stability_window_ms"`
	Events          []Event `json:"events"`
	FailoverEnabled bool    `json:"failover_enabled"`
	// Manager is the failover manager the drill ran (dr.failover.manager,
	// as `firedrill run --manager` or --no-failover left it): builtin,
	// patroni, pg_auto_failover or none, or a variant `--manager` gave
	// settings, by its name and settings (`patroni{ttl: 10s, loop_wait:
	// 1s}`, docs/reports.md "Managers"); empty in a result written before
	// the field existed.
	Manager string `json:"manager"`
}
