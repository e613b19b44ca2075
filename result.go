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
	ExitFail         = 1   // an objective was missed
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
	Name     string          `json:"name"`     // "rto", "rpo", "lost_writes", "split_brain"
	Target   string          `json:"target"`   // "<= 15s", "report"
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

// FaultResult is the recovery measured for one scenario fault; Injected says
// whether the fault took effect at all.
type FaultResult struct {
	Index  int     `json:"index"`
	Action string  `json:"action"`
	Target string  `json:"target"` // as the scenario named it, e.g. postgres.primary
	Node   string  `json:"node"`   // what it resolved to at injection, e.g. pg-primary
	AtMS   float64 `json:"at"`     // injection offset from the run start, ms (the scheduled offset when not injected)
	// Injected is false when the fault never took effect (a fault.failed
	// event, or no fault.injected event at all); Error then says why.
	Injected bool `json:"injected"`
	// NoData is true when no write was sent after the injection, so neither
	// a recovery nor its absence was observed.
	NoData bool `json:"no_data,omitempty"`
	// RTOMS is null when the system never recovered (RTO = ∞).
	RTOMS     *float64 `json:"rto_ms"`
	Recovered bool     `json:"recovered"`
	// Phases holds each phase's offset from the injection, in ms; a phase
	// that never happened is absent.
	Phases map[string]float64 `json:"phases"`
	Error  string             `json:"error,omitempty"`
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
}

// Result is the scored outcome of a drill: what result.json holds.
type Result struct {
	Scenario   string            `json:"scenario"`
	RunID      string            `json:"run_id"`
	Verdict    Verdict           `json:"verdict"`
	Reasons    []string          `json:"reasons,omitempty"` // why inconclusive or failed
	StartedAt  time.Time         `json:"started_at"`        // wall clock, a label only
	DurationMS float64           `json:"duration_ms"`
	Objectives []ObjectiveResult `json:"objectives"`
	Faults     []FaultResult     `json:"faults"`
	Writes     WriteStats        `json:"writes"`
	// RPOMS is null when it could not be measured; 0 when nothing was lost.
	RPOMS      *float64 `json:"rpo_ms"`
	SplitBrain bool     `json:"split_brain"`
	// Settings that bound the measurement's resolution.
	WriteRate       float64 `json:"write_rate_per_s"`
	StabilityMS     float64 `json:"stability_window_ms"`
	Events          []Event `json:"events"`
	FailoverEnabled bool    `json:"failover_enabled"`
}
