package firedrill

import "time"

// What the DR engine did during a drill, beyond the failover manager
// (docs/measurement.md, "Backups and restores"): the backups its
// schedules took, the restores its recovery plans made and how each was
// verified, and the plans themselves, step by step.

// Restore phases, in Result.Faults[].Phases as the offset from the
// injection at which each ended, and in RestoreResult.Phases with their
// spans.
const (
	PhaseClassify       = "classify"        // the recovery engine classified the failure and started a plan
	PhaseDownload       = "download"        // the backup downloaded and its checksum verified
	PhaseRestore        = "restore"         // pg_restore, or the base backup extracted
	PhaseReplay         = "replay"          // archived WAL replayed to the target, then promoted
	PhaseFullRedundancy = "full_redundancy" // every standby streams from the primary again
)

// DRResult is the DR engine's part of a Result.
type DRResult struct {
	Backups []BackupResult `json:"backups,omitempty"`
	// BackupsFailed counts the scheduled backups that did not complete
	// (their events say why).
	BackupsFailed int             `json:"backups_failed"`
	Restores      []RestoreResult `json:"restores,omitempty"`
	Plans         []PlanResult    `json:"plans,omitempty"`
	// Exposure is, per backup kind, how old the newest backup got.
	Exposure []BackupExposure `json:"exposure,omitempty"`
	// Archive is the WAL archive's lag, when WAL was archived.
	Archive *ArchiveResult `json:"archive,omitempty"`
}

// BackupResult is one backup taken, or attempted, during the drill.
type BackupResult struct {
	Kind   string  `json:"kind"`
	ID     string  `json:"id,omitempty"`
	AtMS   float64 `json:"at_ms"`
	SpanMS float64 `json:"span_ms"`
	// SizeBytes and SHA256 are the stored object's; SnapshotMS is when its
	// snapshot was taken on the drill's clock, SnapshotLSN its WAL
	// position.
	SizeBytes   int64    `json:"size_bytes,omitempty"`
	SHA256      string   `json:"sha256,omitempty"`
	SnapshotMS  *float64 `json:"snapshot_ms,omitempty"`
	SnapshotLSN string   `json:"snapshot_lsn,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// PhaseSpan is when a phase began, on the drill's clock, and how long it
// took.
type PhaseSpan struct {
	AtMS   float64 `json:"at_ms"`
	SpanMS float64 `json:"span_ms"`
}

// RestoreResult is one restore and its verification.
type RestoreResult struct {
	Kind     string `json:"kind"` // logical, physical, files
	Node     string `json:"node"`
	BackupID string `json:"backup_id,omitempty"`
	// Rejected are the newer backups that failed verification and were
	// not restored ("<id>: <why>").
	Rejected []string `json:"rejected,omitempty"`
	// Target is a physical restore's recovery target.
	Target string               `json:"target,omitempty"`
	AtMS   float64              `json:"at_ms"`
	SpanMS float64              `json:"span_ms"`
	Phases map[string]PhaseSpan `json:"phases,omitempty"`
	// RecoveryPointMS is the instant up to which the restored data is
	// complete (a snapshot, the last transaction replayed).
	RecoveryPointMS *float64 `json:"recovery_point_ms,omitempty"`
	// Amcheck is amcheck's verdict on the restored database.
	Amcheck   string `json:"amcheck,omitempty"`
	AmcheckOK bool   `json:"amcheck_ok"`
	Error     string `json:"error,omitempty"`
	// Verification compares the restored data with the ledger.
	Verification *RestoreVerification `json:"verification,omitempty"`
}

// RestoreVerification is the check of a restore against the ledger: every
// write acknowledged before the recovery point must be there; none sent
// after it can be, unless it was written after the restore.
type RestoreVerification struct {
	// Verified is true when the check could be made and held.
	Verified bool `json:"verified"`
	// AckedBefore counts the writes acknowledged before the recovery
	// point; MissingBefore those of them that are missing (a restore that
	// lost what its backup held), with ids.
	AckedBefore      int      `json:"acked_before"`
	MissingBefore    int      `json:"missing_before"`
	MissingBeforeIDs []string `json:"missing_before_ids,omitempty"`
	// LostAfter counts the writes acknowledged after the recovery point
	// and before the restore that are gone: the loss the backup's age
	// explains. PresentAfter counts those still present, which a restore
	// of that backup cannot hold.
	LostAfter    int    `json:"lost_after"`
	PresentAfter int    `json:"present_after"`
	Detail       string `json:"detail,omitempty"`
}

// PlanResult is one recovery plan the engine ran.
type PlanResult struct {
	Type      string       `json:"type"` // database, disk, network, complete
	Why       string       `json:"why"`
	Injection string       `json:"injection,omitempty"`
	AtMS      float64      `json:"at_ms"`
	SinceMS   float64      `json:"since_ms"`
	Steps     []StepResult `json:"steps"`
	Done      bool         `json:"done"`
}

// StepResult is one step of a plan.
type StepResult struct {
	Name     string  `json:"name"`
	Outcome  string  `json:"outcome"` // ok, skipped, failed
	AtMS     float64 `json:"at_ms"`
	SpanMS   float64 `json:"span_ms"`
	Detail   string  `json:"detail,omitempty"`
	Evidence string  `json:"evidence,omitempty"`
}

// ArchiveSample is one reading of the WAL archive's lag behind the
// primary (docs/measurement.md, "WAL archive lag").
type ArchiveSample struct {
	// At is the reading's instant on the drill's clock.
	At   time.Duration
	Node string
	// Exposure is how long ago the archive last caught up, while WAL is
	// pending; Known is false when nothing was ever archived.
	Exposure time.Duration
	Known    bool
	// Failing: the archiver's last attempt failed. Ready counts segments
	// waiting; Archived and Failed are the archiver's counters.
	Failing          bool
	Ready            int64
	Archived, Failed int64
}

// ArchiveResult is the WAL archive's lag over the drill: its RPO exposure
// for point-in-time recovery.
type ArchiveResult struct {
	Readings int `json:"readings"`
	// FailedReadings could not be made (no primary answered).
	FailedReadings int    `json:"failed_readings"`
	LastError      string `json:"last_error,omitempty"`
	// MaxExposureMS is the largest exposure read, at MaxAtMS; MeanExposureMS
	// the mean over the readings. All three are absent when no reading
	// could measure one (every node read had never archived: Unknown).
	MaxExposureMS  *float64 `json:"max_exposure_ms,omitempty"`
	MaxAtMS        *float64 `json:"max_at_ms,omitempty"`
	MeanExposureMS *float64 `json:"mean_exposure_ms,omitempty"`
	// FailingReadings saw the archiver's last attempt failed;
	// ArchiveFailures is how many attempts failed over the drill (the
	// counter's growth), Archived how many files it archived.
	FailingReadings int   `json:"failing_readings"`
	ArchiveFailures int64 `json:"archive_failures"`
	Archived        int64 `json:"archived"`
	// Unknown counts readings of a node that had never archived.
	Unknown int `json:"unknown"`
}

// BackupExposure is how old the newest restorable backup of a kind got:
// the RPO a restore of that kind would have had at the worst moment.
type BackupExposure struct {
	Kind     string  `json:"kind"`
	MaxAgeMS float64 `json:"max_age_ms"`
	AtMS     float64 `json:"at_ms"`
}
