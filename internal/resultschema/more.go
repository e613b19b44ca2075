package resultschema

// moreDocs describe the fields of result.json whose Go source has no doc
// comment of their own (nor one on an earlier field that names them), or
// one written for Go readers, keyed "Type.Field" like the generated
// fieldDocs, which they override. Times are offsets from
// the drill's start (drill.start, t=0) on the harness's monotonic clock,
// in milliseconds, unless a description says otherwise.
var moreDocs = map[string]string{
	"Result.SchemaVersion":   "The version of this schema (docs/result.md, \"Versioning\"): 1. A reader refuses a version it does not know.",
	"Result.Reasons":         "Why the drill failed or was inconclusive, one sentence each, missed objectives first; absent when it passed.",
	"Result.StartedAt":       "When the drill started, wall clock in UTC: a label only, every other time is an offset on the drill's monotonic clock.",
	"Result.Writes":          "The workload's writes by outcome, and what the read-back found.",
	"Result.WriteRate":       "workload.writes_per_second: the rate the probe sent writes at, which bounds the RTO's resolution.",
	"Result.Scenario":        "The scenario's name (its `name` field).",
	"Result.RunID":           "The run's id, also the name of its output directory; empty when the result was not made by `firedrill run`.",
	"Result.Verdict":         "The drill's outcome (docs/measurement.md, \"Objectives and the verdict\"): pass (exit 0), fail (exit 1) or inconclusive (exit 3). Inconclusive is never a pass.",
	"Result.DurationMS":      "How long the measured part of the drill lasted, from drill.start to the end of observation, in milliseconds.",
	"Result.Objectives":      "The objectives, each checked against its measurement, in the order of docs/measurement.md (\"Objectives and the verdict\"): rto, rpo, lost_writes, split_brain. Always a list, [] when none.",
	"Result.Faults":          "One entry per scheduled injection (timeline faults and monkey faults), in schedule order. Always a list, [] when none.",
	"Result.SplitBrain":      "True when two nodes acknowledged writes at the same time (docs/measurement.md, \"Split brain\"); false also when it could not be told (the split_brain objective is then no-data).",
	"Result.StabilityMS":     "The stability window: how long writes must keep succeeding for an outage to count as over (docs/measurement.md, \"RTO\"), in milliseconds.",
	"Result.Events":          "Everything that happened during the drill, in time order (docs/measurement.md, \"Events\"). Always a list, [] when none.",
	"Result.FailoverEnabled": "Whether the failover manager ran (dr.failover.enabled, or off with --no-failover).",

	"ObjectiveResult.Detail": "What the measurement rests on, for a person: the worst injection, the write that set the RPO, the node read back from; empty when there is nothing to add.",

	"ScheduleLag.P50MS": "The median lag, by nearest rank (docs/measurement.md, \"Percentiles\"), in milliseconds.",
	"ScheduleLag.P99MS": "The 99th percentile of the lag, by nearest rank, in milliseconds.",
	"ScheduleLag.MaxMS": "The largest lag, in milliseconds.",

	"FaultResult.Action":      "The fault's action, as the scenario named it: kill, stop, pause, partition, latency...",
	"FaultResult.ScheduledMS": "When the injection was due, as scheduled, in milliseconds.",
	"FaultResult.Recovery":    "How the injection's outage ended, as far as the drill could see (docs/measurement.md, \"RTO\"):\n\n- recovered: the outage ended; rto_ms is set\n- never: writes were still failing when observation ended; it fails the drill\n- unconfirmed: writes succeeded from pending_ms on, but the run ended before the stability window closed; inconclusive\n- no-data: no write was sent after the fault took effect; inconclusive\n- overlapped: cannot be told apart from another injection's outage (overlap says which); no RTO of its own\n- not-injected: the fault never took effect (error says why); inconclusive\n- skipped: deliberately not made (error says why); makes nothing inconclusive",
	"FaultResult.Error":       "Why the injection was not injected or was skipped; empty otherwise.",

	"FaultReads.Recovery": "How the read outage ended, with the values of faults[].recovery (docs/measurement.md, \"Reads\").",

	"WriteStats.Attempted":           "How many writes the probe sent.",
	"WriteStats.Acked":               "How many writes were acknowledged: the app answered that they were committed.",
	"WriteStats.Failed":              "How many writes failed: the app answered that they did not happen.",
	"WriteStats.Indeterminate":       "How many writes ended without a clear answer (a timeout, a cut connection): they may or may not have happened.",
	"WriteStats.LostIDs":             "The ids of the lost writes, in send order, at most 1000 (lost keeps the exact count); absent when none was lost.",
	"WriteStats.FailedButPresentIDs": "The ids of the writes counted in failed_but_present; absent when there are none.",

	"ReadPhase.FromMS": "When the phase starts: 0, or the T of the injection that opens it, in milliseconds.",
	"ReadPhase.ToMS":   "When the phase ends: the next injection's T, or the end of observation, in milliseconds.",
	"ReadServer.Node":  "The node that answered.",
	"ReadServer.OK":    "How many reads it answered with the value expected.",
	"ReadServer.Stale": "How many reads it answered with an older value than the one acknowledged.",

	"ReplicaLagStats.Node":                "The standby's node name.",
	"ReplicaLagStats.MeanUnflushedBytes":  "The mean of its unflushed WAL over the readings in which it streamed, in bytes.",
	"ReplicaLagStats.MeanUnreplayedBytes": "The mean of its unreplayed WAL over the readings in which it streamed, in bytes.",
	"ReplicaLagStats.MaxFlushLagMS":       "The largest flush_lag Postgres reported, in milliseconds; null when it reported none.",
	"ReplicaLagStats.MeanFlushLagMS":      "The mean flush_lag over the readings that reported one, in milliseconds; null when none did.",
	"ReplicaLagStats.MaxReplayLagMS":      "The largest replay_lag Postgres reported, in milliseconds; null when it reported none.",
	"ReplicaLagStats.MeanReplayLagMS":     "The mean replay_lag over the readings that reported one, in milliseconds; null when none did.",
	"FaultLag.ID":                         "The id of the injection (faults[].id).",
	"FaultLag.FromMS":                     "The injection's T, in milliseconds.",
	"FaultLag.ToMS":                       "When the injection was reverted, in milliseconds.",
	"FaultLag.Readings":                   "How many lag readings fell between from_ms and to_ms.",
	"FaultLag.Replicas":                   "Each standby's lag over those readings.",

	"DRResult.Backups":  "Every backup taken or attempted, in the order they started; absent when none was.",
	"DRResult.Restores": "Every restore, in the order they started; absent when none was made.",
	"DRResult.Plans":    "Every recovery plan the engine ran; absent when none ran.",

	"BackupResult.Kind":   "The backup's kind: logical, physical or files.",
	"BackupResult.ID":     "The backup's id in the storage; absent for a backup that failed before it had one.",
	"BackupResult.AtMS":   "When the backup's job started, in milliseconds.",
	"BackupResult.SpanMS": "How long the job took, in milliseconds.",
	"BackupResult.Error":  "Why the backup did not complete; absent when it did.",

	"PhaseSpan.AtMS":   "When the phase began, in milliseconds.",
	"PhaseSpan.SpanMS": "How long it took, in milliseconds.",

	"RestoreResult.Node":      "The node restored into.",
	"RestoreResult.BackupID":  "The backup restored; absent when none could be.",
	"RestoreResult.AtMS":      "When the restore started, in milliseconds.",
	"RestoreResult.SpanMS":    "How long it took, to its end or its failure, in milliseconds.",
	"RestoreResult.Phases":    "Each phase of the restore (provision, download, restore, replay, first_write) with when it began and how long it took; a phase that did not happen is absent.",
	"RestoreResult.AmcheckOK": "True when amcheck found nothing wrong; false when it found corruption, or did not run (amcheck then is absent).",
	"RestoreResult.Error":     "Why the restore failed; absent when it succeeded.",

	"RestoreVerification.MissingBeforeIDs": "The ids of the writes counted in missing_before; absent when none is missing.",
	"RestoreVerification.Detail":           "The check's outcome, for a person.",

	"PlanResult.Why":       "What the engine observed that classified the failure.",
	"PlanResult.Injection": "The injection the failure is charged to; absent when none.",
	"PlanResult.AtMS":      "When the failure was classified and the plan started, in milliseconds.",
	"PlanResult.SinceMS":   "When the failure was first seen, in milliseconds.",
	"PlanResult.Steps":     "The plan's steps as they ran, in order; a plan stops at a failed step.",
	"PlanResult.Done":      "True when every step succeeded.",

	"StepResult.Name":     "The step's name, as dr.recovery names it.",
	"StepResult.AtMS":     "When the step started, in milliseconds.",
	"StepResult.SpanMS":   "How long it took, in milliseconds.",
	"StepResult.Detail":   "What the step did, or why it failed or was skipped.",
	"StepResult.Evidence": "What showed the step's effect.",

	"ArchiveResult.Readings":  "How many readings of the archive's lag were made.",
	"ArchiveResult.LastError": "Why the last failed reading failed; absent when none failed.",

	"BackupExposure.Kind":     "The backup kind: logical, physical or files.",
	"BackupExposure.MaxAgeMS": "The largest age of the newest restorable backup of that kind, in milliseconds.",
	"BackupExposure.AtMS":     "When it was reached, in milliseconds.",

	"Series.Buckets":                   "The buckets, from 0 to the end of observation, in order.",
	"SeriesBucket.AtMS":                "When the bucket starts, in milliseconds.",
	"SeriesBucket.WritesOK":            "Writes sent in the bucket that were acknowledged.",
	"SeriesBucket.WritesFailed":        "Writes sent in the bucket that failed.",
	"SeriesBucket.WritesIndeterminate": "Writes sent in the bucket that ended indeterminate.",
	"SeriesBucket.ReadsOK":             "Reads sent in the bucket that were answered with the value expected; absent when 0.",
	"SeriesBucket.LatencyP50MS":        "The median latency of the acknowledged writes sent in the bucket, by nearest rank, in milliseconds; absent when none was acknowledged.",
	"SeriesBucket.LatencyP99MS":        "Their 99th percentile latency, in milliseconds; absent when none was acknowledged.",
	"SeriesBucket.LatencyMaxMS":        "Their largest latency, in milliseconds; absent when none was acknowledged.",
	"LagPoint.AtMS":                    "The reading's instant, in milliseconds.",
	"LagPoint.Primary":                 "The node the reading was made on.",
	"LagPoint.Replica":                 "The standby read.",
	"LagPoint.Streaming":               "Whether the primary had a streaming connection from it; when false its lag is unknown, not zero.",

	"AbortResult.Metric":    "The metric watched: write_success_rate, read_success_rate, failed_writes or failed_reads.",
	"AbortResult.Threshold": "The condition's threshold.",

	"Event.AtMS":     "When it happened: the offset from the drill's start on the harness's monotonic clock, in milliseconds.",
	"Event.Kind":     "What happened, namespaced (fault.*, failover.*, drill.*, backup.*, restore.*, recovery.*, notify.*): the kinds of docs/measurement.md, \"Events\". New kinds may appear without a new schema version.",
	"Event.Detail":   "What the event says, for a person: why, which, how much.",
	"Event.Evidence": "What showed that the action took effect.",
}
