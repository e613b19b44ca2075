package spec

import (
	"github.com/firedrill/firedrill/scenarios/internal/failover"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// APIVersion is the only scenario language version this build reads.
const APIVersion = "firedrill/v1"

// The doc comments of the exported fields below are also the descriptions
// of the JSON Schema (internal/schema/docs.go is generated from them by
// `go test ./scenarios -update`): write them for someone editing a YAML
// file, naming fields by their YAML names. A leading "X is" is dropped from
// the schema text. The `schema` struct tag adds what reflection cannot see:
// required, an enum table, bounds, a pattern (see internal/schema).

// Scenario is one drill: the environment to build, the workload to drive,
// the DR engine's settings, the faults to inject and the objectives to
// meet.
//
// The loader (scenarios.Load, LoadBytes, Builtin and Resolve) returns a
// scenario with its defaults applied and validated. A scenario built in
// code can be completed with ApplyDefaults and checked with
// scenarios.Validate.
type Scenario struct {
	// APIVersion is the language version: required, and this build reads
	// only "firedrill/v1".
	APIVersion string `yaml:"apiVersion" schema:"required,enum=apiVersions"`
	// Name identifies the drill in reports and output directories:
	// required, lowercase letters, digits and dashes, at most 63
	// characters. A built-in's name is its file name.
	Name string `yaml:"name" schema:"required,pattern=name,maxLength=maxNameLength"`
	// Description says in a sentence or two what the drill shows and which
	// verdict it is expected to reach; shown by firedrill list.
	Description string `yaml:"description,omitempty"`
	// Objectives are the limits the drill is scored against (exit code 1
	// when one is missed). A limit left out is measured and reported, not
	// judged.
	Objectives Objectives `yaml:"objectives"`
	// Environment is the topology built for the drill, from scratch, on
	// every run: regions, the Postgres cluster, the S3 storage, the app.
	Environment Environment `yaml:"environment" schema:"required"`
	// Workload is the open-loop client load driven through the app.
	Workload Workload `yaml:"workload"`
	// DR holds the settings of the DR engine under test: backups,
	// failover and recovery plans.
	DR DR `yaml:"dr"`
	// Timeline is the drill's schedule: how long it runs and the faults
	// injected at fixed times.
	Timeline Timeline `yaml:"timeline" schema:"required"`
	// Monkey injects random faults during the timeline, Chaos-Monkey
	// style, from a seed that the run records so it can be replayed.
	// Leave it out for a drill with scheduled faults only.
	Monkey *Monkey `yaml:"monkey,omitempty"`
	// Abort lists the conditions that stop the drill early, while it runs:
	// faults stop, every active fault is reverted, the writes are verified
	// and the drill fails, naming the condition. Any one condition aborts.
	Abort []AbortCondition `yaml:"abort,omitempty"`

	// File is where the scenario was read from ("builtin:primary-kill" for
	// the embedded library).
	File string `yaml:"-"`

	// src remembers where each field was written, for error positions; nil
	// for a scenario built in code. The loader sets it (SetSource).
	src *yamlpos.Source
}

// SetSource records where each field of s was written; the loader calls it
// with what the decoder found.
func SetSource(s *Scenario, src *yamlpos.Source) { s.src = src }

// Source returns where each field of s was written, or nil for a scenario
// built in code (yamlpos.Source's methods accept nil).
func Source(s *Scenario) *yamlpos.Source { return s.src }

// Objectives are the limits a drill is scored against. A nil limit is not
// checked; its value is still reported.
type Objectives struct {
	// RTO is the longest acceptable recovery time of each fault: from its
	// injection to the first successful write after which writes keep
	// succeeding for workload.stability_window. Must be > 0. Left out, the
	// RTO is only reported.
	RTO *Duration `yaml:"rto,omitempty" schema:"exclusiveMin=0"`
	// RPO is the longest acceptable window of lost acknowledged writes:
	// injection time minus the acknowledgement time of the oldest lost
	// write. Must be >= 0; 0s means no acknowledged write may be lost. Left
	// out, the RPO is only reported.
	RPO *Duration `yaml:"rpo,omitempty" schema:"min=0"`
	// LostWrites is the largest acceptable number of acknowledged writes
	// missing when the data is read back after the drill, over the whole
	// drill (>= 0). Leave it out, or write "report", to only report the
	// count.
	LostWrites *int `yaml:"lost_writes,omitempty" null:"report" schema:"min=0"`
}

// FaultObjectives override the scenario's objectives for one fault: a
// limit set here replaces objectives.rto or objectives.rpo for that fault
// only. Lost writes are counted for the whole drill, so they are set in
// the scenario's objectives only.
type FaultObjectives struct {
	// RTO replaces objectives.rto for this fault; must be > 0.
	RTO *Duration `yaml:"rto,omitempty" schema:"exclusiveMin=0"`
	// RPO replaces objectives.rpo for this fault; must be >= 0.
	RPO *Duration `yaml:"rpo,omitempty" schema:"min=0"`
}

// Environment is the topology built for the drill.
type Environment struct {
	// Regions are the failure domains, one Docker network each: required,
	// distinct names (lowercase letters, digits and dashes, at most 63;
	// "wan" is reserved). Every region must hold at least one service, so
	// there are at most 12.
	Regions []string `yaml:"regions" schema:"required,pattern=name,maxLength=maxNameLength,minItems=1,maxItems=maxRegions"`
	// Postgres is the database cluster: one primary and its streaming
	// replicas.
	Postgres Postgres `yaml:"postgres" schema:"required"`
	// Storage is the S3-compatible backup target (MinIO).
	Storage Storage `yaml:"storage"`
	// App is the application the workload writes and reads through.
	App App `yaml:"app"`
}

// Postgres is the database cluster: one primary and its streaming replicas.
type Postgres struct {
	// Image is the Postgres image; default "postgres:15", used as is when
	// present or pullable, otherwise built locally from Debian packages.
	// Any image honouring the official postgres image's contract works.
	Image string `yaml:"image"`
	// DiskSize is the size of each Postgres node's data disk (its data
	// directory, WAL included): a size-limited volume in memory (tmpfs, so
	// it takes RAM as it fills), which disk-fill fills without touching
	// the host's disk. A number and a unit, B, KB, MB, GB, KiB, MiB or
	// GiB; default "1GiB", at least 128MiB, at most 64GiB.
	DiskSize string `yaml:"disk_size" schema:"pattern=size"`
	// Primary is the server that takes writes at the start of the drill.
	Primary Node `yaml:"primary" schema:"required"`
	// Replicas are the streaming replicas, asynchronous, at most 9 (the
	// servers' max_wal_senders and max_replication_slots). Failover
	// promotes one of them, so failover needs at least one.
	Replicas []Replica `yaml:"replicas" schema:"maxItems=maxReplicas"`
}

// Node places the primary in a region.
type Node struct {
	// Region is one of environment.regions; required.
	Region string `yaml:"region" schema:"required"`
	// Labels are free key/value tags that fault selectors match on (keys:
	// lowercase letters, digits, dots, dashes and underscores).
	Labels map[string]string `yaml:"labels,omitempty" schema:"keyPattern=labelKey"`
}

// Replica is a streaming replica.
type Replica struct {
	// Name is unique among replicas: lowercase letters, digits and dashes,
	// at most 17 (the container firedrill-<run id>-pg-<name> is a DNS
	// name); "primary" and "replica" are reserved. The replica is targeted
	// as postgres.<name>.
	Name string `yaml:"name" schema:"required,pattern=name,maxLength=maxReplicaNameLength"`
	// Region is one of environment.regions; required.
	Region string `yaml:"region" schema:"required"`
	// Synchronous would make the primary wait for this replica before
	// acknowledging a commit. This build runs asynchronous replicas only:
	// true is rejected.
	Synchronous bool `yaml:"synchronous,omitempty"`
	// Labels are free key/value tags that fault selectors match on.
	Labels map[string]string `yaml:"labels,omitempty" schema:"keyPattern=labelKey"`
}

// Storage is the S3-compatible backup target.
type Storage struct {
	// Enabled runs the storage; default true. With false there is no
	// backup target, so dr.backups must be empty and nothing may target
	// storage.
	Enabled *bool `yaml:"enabled"`
	// Image is the S3 server image; default "minio/minio", built locally
	// from MinIO's Go module when no registry is reachable.
	Image string `yaml:"image"`
	// Region is one of environment.regions; default the first region.
	Region string `yaml:"region"`
	// Bucket is the S3 bucket backups go to; default "firedrill". S3's
	// naming rules: 3 to 63 lowercase letters, digits, dots and dashes,
	// starting and ending with a letter or digit, no two dots in a row, not
	// an IP address, none of S3's reserved prefixes (xn--, sthree-) and
	// suffixes (-s3alias, --ol-s3, .mrap).
	Bucket string `yaml:"bucket" schema:"pattern=bucket"`
	// Labels are free key/value tags that fault selectors match on.
	Labels map[string]string `yaml:"labels,omitempty" schema:"keyPattern=labelKey"`
}

// IsEnabled reports whether the storage runs (default true).
func (s Storage) IsEnabled() bool { return s.Enabled == nil || *s.Enabled }

// App is the application the workload goes through.
type App struct {
	// Image is the app image; left out (the default), the built-in sample
	// app, which writes and reads through the current primary.
	Image string `yaml:"image,omitempty"`
	// Region is one of environment.regions; default the primary's region.
	Region string `yaml:"region"`
	// Instances is how many copies of the app run, behind one address;
	// default 1, at most 16. This build runs 1.
	Instances int `yaml:"instances" schema:"min=1,max=maxAppInstances"`
	// Env are extra environment variables for the app's containers. Names
	// are letters, digits and underscores; FIREDRILL_* names are reserved
	// for the ones firedrill sets itself.
	Env map[string]string `yaml:"env,omitempty" schema:"keyPattern=envName"`
	// Labels are free key/value tags that fault selectors match on.
	Labels map[string]string `yaml:"labels,omitempty" schema:"keyPattern=labelKey"`
}

// Workload is the open-loop client load: operations are sent at a constant
// rate whether or not earlier ones have finished, so an outage never
// reduces the number of samples.
type Workload struct {
	// WritesPerSecond is the constant arrival rate of writes; default 50,
	// from 0.001 to 2000, and the timeline must hold at least 10 writes.
	WritesPerSecond float64 `yaml:"writes_per_second" schema:"min=minWritesPerSecond,max=maxWritesPerSecond"`
	// ReadsPerSecond is the constant arrival rate of reads; default 0 (no
	// reads), must be >= 0 and <= 2000.
	ReadsPerSecond float64 `yaml:"reads_per_second" schema:"min=0,max=maxWritesPerSecond"`
	// UploadsPerSecond is the constant arrival rate of file uploads to the
	// sample app (each stored in its uploads directory, which files
	// backups save); default 0 (none), from 0 to 100. An acknowledged
	// upload missing after the drill is lost, like a write.
	UploadsPerSecond float64 `yaml:"uploads_per_second,omitempty" schema:"min=0,max=maxUploadsPerSecond"`
	// Timeout bounds one operation; past it the outcome is indeterminate
	// (it may have happened) and never counted as lost. Default 1s, must be
	// > 0.
	Timeout Duration `yaml:"timeout" schema:"exclusiveMin=0"`
	// StabilityWindow is how long writes must keep succeeding after the
	// first successful one for the recovery to count. Default 5s, must be
	// >= 0 and shorter than timeline.duration.
	StabilityWindow Duration `yaml:"stability_window" schema:"min=0"`
}

// DR holds the DR engine's settings.
type DR struct {
	// Backups are the backup schedules, each uploading to the storage.
	// Empty (the default): no backups are taken.
	Backups []Backup `yaml:"backups,omitempty"`
	// Failover configures the failover manager.
	Failover Failover `yaml:"failover"`
	// Recovery holds the recovery plan of each failure type.
	Recovery Recovery `yaml:"recovery,omitempty"`
	// Notify are the webhooks told about failovers, restores, failed
	// recovery steps and missed objectives, as they happen.
	Notify []Webhook `yaml:"notify,omitempty"`
}

// Webhook is one receiver of the DR engine's notifications: a JSON POST
// per notification, retried within timeout.
type Webhook struct {
	// URL is where notifications are POSTed: required, http or https. Its
	// secret parts (user info, path, query: Slack's webhook URLs carry
	// their token in the path) are never printed; reports show the scheme
	// and host only.
	URL string `yaml:"url" schema:"required"`
	// Format is the body: "json" (the default: firedrill's own event
	// object), "slack" (an incoming-webhook message) or "pagerduty" (an
	// Events API v2 event, which needs routing_key).
	Format string `yaml:"format,omitempty" schema:"enum=webhookFormats"`
	// RoutingKey is the PagerDuty integration key of format pagerduty; a
	// secret, never printed.
	RoutingKey string `yaml:"routing_key,omitempty"`
	// Events are what is notified: any of failover, restore, step-failed,
	// objective-breach; default all of them.
	Events []string `yaml:"events,omitempty" schema:"enum=webhookEvents"`
	// Timeout bounds the delivery of one notification, retries included;
	// default 10s, from 100ms to 5m.
	Timeout Duration `yaml:"timeout,omitempty" schema:"exclusiveMin=0"`
}

// Webhook formats.
const (
	WebhookJSON      = "json"
	WebhookSlack     = "slack"
	WebhookPagerDuty = "pagerduty"
)

// WebhookFormats are the accepted Webhook.Format values, in hint order.
var WebhookFormats = []string{WebhookJSON, WebhookSlack, WebhookPagerDuty}

// Notification events.
const (
	NotifyFailover        = "failover"
	NotifyRestore         = "restore"
	NotifyStepFailed      = "step-failed"
	NotifyObjectiveBreach = "objective-breach"
)

// WebhookEvents are the accepted Webhook.Events values, in hint order.
var WebhookEvents = []string{NotifyFailover, NotifyRestore, NotifyStepFailed, NotifyObjectiveBreach}

// Backup is one backup schedule.
type Backup struct {
	// Kind is what is backed up: "logical" (pg_dump of the database),
	// "physical" (base backup plus WAL archiving, which allows
	// point-in-time recovery) or "files" (tar.gz of the app's uploaded
	// files). Required.
	Kind string `yaml:"kind" schema:"required,enum=backupKinds"`
	// Every is the time between two backups, the first one taken when the
	// workload starts; required, at least 1s.
	Every Duration `yaml:"every" schema:"required,exclusiveMin=0"`
	// Keep is the retention, as a count: how many of the newest backups of
	// this schedule are kept in the bucket, older ones being deleted.
	// Default 7, must be >= 1.
	Keep int `yaml:"keep" schema:"min=1"`
	// ArchiveTimeout, for a physical backup only, is Postgres's
	// archive_timeout: the longest a written WAL segment waits before it is
	// switched and archived, which bounds the WAL archive's RPO exposure.
	// Default 60s, from 1s to 1h.
	ArchiveTimeout Duration `yaml:"archive_timeout,omitempty" schema:"exclusiveMin=0"`
}

// Backup kinds.
const (
	BackupLogical  = "logical"  // pg_dump -F c, restored with pg_restore
	BackupPhysical = "physical" // pg_basebackup + WAL archive: point-in-time recovery
	BackupFiles    = "files"    // tar.gz of the app's uploaded files
)

// BackupKinds is the set of accepted Backup.Kind values, in hint order.
var BackupKinds = []string{BackupLogical, BackupPhysical, BackupFiles}

// Recovery holds a recovery plan per failure type: the ordered steps the
// DR engine runs when it classifies a failure as that type. A type
// without a plan is left to the failover manager alone.
type Recovery struct {
	// Database is the plan for a lost or corrupt database (the primary and
	// its data gone).
	Database []string `yaml:"database,omitempty" schema:"enum=steps"`
	// Disk is the plan for a full or failed disk.
	Disk []string `yaml:"disk,omitempty" schema:"enum=steps"`
	// Network is the plan for a network failure (partition, region cut
	// off).
	Network []string `yaml:"network,omitempty" schema:"enum=steps"`
	// Complete is the plan for a complete failure: everything is rebuilt,
	// typically database, then files, then services, then a health check.
	Complete []string `yaml:"complete,omitempty" schema:"enum=steps"`
	// Target is where restore-point-in-time recovers to: "latest" (the
	// default: every archived WAL segment), "before-fault" (just before
	// the injection of the fault that caused the failure, like an operator
	// who knows when the bad statement ran), a timeline offset such as
	// "19.5s" (that instant of the drill), "lsn:0/3000060" or
	// "name:<restore point>" (one made with pg_create_restore_point, for
	// example by an sql fault).
	Target string `yaml:"target,omitempty"`
}

// Failover configures the failover manager: which one runs and its
// settings (package failover).
type Failover = failover.Failover

// The failover managers' settings, each under its stack's names.
type (
	Patroni        = failover.Patroni
	PgAutoFailover = failover.PgAutoFailover
)

// Failover managers and the builtin manager's fencing methods.
const (
	ManagerBuiltin        = failover.ManagerBuiltin
	ManagerPatroni        = failover.ManagerPatroni
	ManagerPgAutoFailover = failover.ManagerPgAutoFailover
	ManagerNone           = failover.ManagerNone
	FenceStop             = failover.FenceStop
	FenceDisconnect       = failover.FenceDisconnect
)

// Managers and Fencings are the accepted Failover.Manager and
// Failover.Fencing values, in hint order.
var (
	Managers = failover.Managers
	Fencings = failover.Fencings
)

// Timeline is the drill's schedule.
type Timeline struct {
	// Duration is how long faults may be injected, from the start of the
	// workload; required, from 1s to 168h (a week). Reverting, settling and
	// verification come after it.
	Duration Duration `yaml:"duration" schema:"required,exclusiveMin=0"`
	// Faults are injected at their at offsets; may be empty (a baseline
	// drill).
	Faults []Fault `yaml:"faults"`
}

// Fault is one scheduled fault. It names exactly one of target and
// selector.
type Fault struct {
	// At is the offset from the start of the timeline; required, >= 0 and
	// before timeline.duration.
	At Duration `yaml:"at" schema:"required,min=0"`
	// Action is what is done to the target; required. See the action table
	// in docs/scenario.md for the targets and params of each.
	Action string `yaml:"action" schema:"required,enum=actions"`
	// Target names one service or region, resolved when the fault is
	// injected: postgres.primary (whichever node is primary then),
	// postgres.replica (any replica), postgres.<replica name>, storage,
	// app, or region.<region> for the actions that take a region.
	Target string `yaml:"target,omitempty"`
	// Selector picks the targets by role, region and labels instead of by
	// name.
	Selector *Selector `yaml:"selector,omitempty"`
	// For is how long a reversible fault lasts before it is reverted:
	// required for reversible actions, > 0, and at + for must not pass
	// timeline.duration. Irreversible actions (kill, restart) do not take
	// it.
	For *Duration `yaml:"for,omitempty" schema:"exclusiveMin=0"`
	// Params are the action's parameters; each action takes its own (see
	// the action table), and any other is an error.
	Params Params `yaml:"params,omitempty"`
	// Objectives override the scenario's rto and rpo for this fault.
	Objectives *FaultObjectives `yaml:"objectives,omitempty"`
}

// Selector picks fault targets by what they are rather than by name. Every
// field given must match (role and region and every label); at least one
// is required. It is matched against the topology as written when the
// scenario is checked (it must match something) and again when the fault
// is injected (role primary is then whichever node is primary).
type Selector struct {
	// Role is "primary", "replica", "postgres" (any Postgres node),
	// "storage" or "app".
	Role string `yaml:"role,omitempty" schema:"enum=roles"`
	// Region is one of environment.regions.
	Region string `yaml:"region,omitempty"`
	// Labels must all be present with these values on a service.
	Labels map[string]string `yaml:"labels,omitempty" schema:"keyPattern=labelKey"`
	// Mode says how many of the matches the fault hits: "all" (the
	// default in timeline faults) or "one", chosen at random from the
	// run's seed. In monkey.selectors it is not allowed: the monkey always
	// picks one target.
	Mode string `yaml:"mode,omitempty" schema:"enum=modes"`
}

// Selector roles and modes.
const (
	RolePrimary  = "primary"
	RoleReplica  = "replica"
	RolePostgres = "postgres"
	RoleStorage  = "storage"
	RoleApp      = "app"

	ModeAll = "all"
	ModeOne = "one"
)

// Roles and Modes are the accepted Selector.Role and Selector.Mode values,
// in the order hints list them.
var (
	Roles = []string{RolePrimary, RoleReplica, RolePostgres, RoleStorage, RoleApp}
	Modes = []string{ModeAll, ModeOne}
)

// Params are the parameters of a fault action. Each action accepts only
// some of them (see the action table); a parameter an action does not take
// is an error, so a typo cannot silently do nothing.
type Params struct {
	// Grace is how long stop and restart wait after SIGTERM before
	// SIGKILL; default 10s, must be >= 0.
	Grace *Duration `yaml:"grace,omitempty" schema:"min=0"`
	// To is the other side of a partition: targets (postgres.<name>,
	// storage, app, region.<region>) cut off from the fault's target.
	// Default: everything that is not the target.
	To []string `yaml:"to,omitempty"`
	// OneWay drops only the traffic from the target to the other side,
	// for a partition; default false (both directions).
	OneWay *bool `yaml:"one_way,omitempty"`
	// Delay is the added latency of each packet, for latency; required,
	// > 0.
	Delay *Duration `yaml:"delay,omitempty" schema:"exclusiveMin=0"`
	// Jitter is the random variation added to delay, for latency; default
	// 0s, must be >= 0 and <= delay.
	Jitter *Duration `yaml:"jitter,omitempty" schema:"min=0"`
	// Percent is the share of packets dropped (loss, default 100) or of
	// the disk filled (disk-fill, default 100 unless size is given); > 0
	// and <= 100.
	Percent *float64 `yaml:"percent,omitempty" schema:"exclusiveMin=0,max=maxPercent"`
	// Rate is the bandwidth cap, for bandwidth: a number and a unit, bit,
	// kbit, mbit or gbit (per second), such as 1mbit; required.
	Rate string `yaml:"rate,omitempty" schema:"pattern=rate"`
	// Size is how much of the disk to fill, for disk-fill, instead of
	// percent: a number and a unit, B, KB, MB, GB, KiB, MiB or GiB, such as
	// 512MiB.
	Size string `yaml:"size,omitempty" schema:"pattern=size"`
	// Statement is the SQL the sql action runs on its target, such as
	// "DROP TABLE firedrill_writes" (a bad migration) or
	// "SELECT pg_create_restore_point('before-drop')"; required.
	Statement string `yaml:"statement,omitempty"`
}

// Monkey injects random faults, Chaos-Monkey style: the time between two
// faults is drawn from an exponential distribution of the given mean, the
// action and the target uniformly from the lists, all from one seed.
type Monkey struct {
	// Enabled runs the monkey; default true, so writing a monkey block
	// turns it on and enabled: false keeps the block but switches it off.
	Enabled *bool `yaml:"enabled"`
	// Seed makes the run replayable: the same seed, scenario and build
	// inject the same faults at the same times. Left out, the run picks
	// one and records it in the report (firedrill run --seed replays it).
	Seed *int64 `yaml:"seed,omitempty"`
	// MeanInterval is the mean time between two random faults; default
	// 30s, at least 1s.
	MeanInterval Duration `yaml:"mean_interval" schema:"exclusiveMin=0"`
	// Actions the monkey picks from; default [kill]. Only actions whose
	// params all have defaults can be used (not partition to a side,
	// latency or bandwidth, which need params).
	Actions []string `yaml:"actions" schema:"enum=actions"`
	// Targets the monkey picks from, as in a fault's target. Default, when
	// no selectors are given either: postgres.primary, plus
	// postgres.replica when there are replicas.
	Targets []string `yaml:"targets,omitempty"`
	// Selectors add every service they match to the targets the monkey
	// picks from.
	Selectors []Selector `yaml:"selectors,omitempty"`
	// MaxAtOnce is how many targets the monkey may have faulted at the
	// same time (a killed node counts until it runs again); default 1,
	// must be >= 1.
	MaxAtOnce int `yaml:"max_at_once" schema:"min=1"`
	// FaultDuration is how long each reversible fault the monkey injects
	// lasts; default 10s when actions has a reversible one, must be > 0.
	// Not allowed when every action is irreversible.
	FaultDuration Duration `yaml:"fault_duration,omitempty" schema:"exclusiveMin=0"`
	// Between is the part of the timeline when the monkey may strike;
	// default the whole timeline.
	Between Window `yaml:"between"`
}

// IsEnabled reports whether the monkey runs: it is present and not
// switched off.
func (m *Monkey) IsEnabled() bool { return m != nil && (m.Enabled == nil || *m.Enabled) }

// Window is a part of the timeline.
type Window struct {
	// Start is the offset from the start of the timeline; default 0s,
	// must be >= 0.
	Start Duration `yaml:"start" schema:"min=0"`
	// End is the offset where the window closes; default
	// timeline.duration, must be after start and not after
	// timeline.duration. A reversible monkey fault still running at the
	// end is reverted then.
	End Duration `yaml:"end" schema:"exclusiveMin=0"`
}

// AbortCondition stops the drill early when a metric crosses a threshold:
// exactly one of below and above.
type AbortCondition struct {
	// Metric is what is watched; required. write_success_rate and
	// read_success_rate are the share (0 to 1) of the operations sent in
	// the last second that succeeded; failed_writes and failed_reads count
	// the failed and indeterminate operations since the start.
	Metric string `yaml:"metric" schema:"required,enum=metrics"`
	// Below aborts when the metric is lower than this (rates only).
	Below *float64 `yaml:"below,omitempty" schema:"min=0,max=1"`
	// Above aborts when the metric is higher than this.
	Above *float64 `yaml:"above,omitempty" schema:"min=0"`
	// For is how long the condition must hold without a break before the
	// drill aborts (rates only); default 0s, at the first crossing.
	For Duration `yaml:"for,omitempty" schema:"min=0"`
}
