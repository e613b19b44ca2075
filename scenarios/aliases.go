package scenarios

import (
	"time"

	"github.com/firedrill/firedrill/scenarios/internal/failover"
	"github.com/firedrill/firedrill/scenarios/internal/spec"
	"github.com/firedrill/firedrill/scenarios/internal/target"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// The errors of a scenario are those of the decoder (package yamlpos, see
// doc.go there): every problem, placed at its YAML node.
type (
	// Error is one problem in a scenario, placed at the YAML node that
	// caused it.
	Error = yamlpos.Error
	// Errors is every problem found in a scenario, in file order. The
	// loader and Validate return it as their error; use errors.As to get
	// at it.
	Errors = yamlpos.Errors
)

// MaxErrors is how many problems a scenario reports at most; the rest are
// counted in one last entry ("… and N more problems").
const MaxErrors = yamlpos.MaxErrors

// The language's types live in package spec (internal/spec), below the
// loader and the validator (see doc.go, "Packages"); these are their public
// names, documented there.
type (
	Scenario        = spec.Scenario
	Objectives      = spec.Objectives
	FaultObjectives = spec.FaultObjectives
	Environment     = spec.Environment
	Postgres        = spec.Postgres
	Node            = spec.Node
	Replica         = spec.Replica
	Storage         = spec.Storage
	App             = spec.App
	Workload        = spec.Workload
	DR              = spec.DR
	Backup          = spec.Backup
	Recovery        = spec.Recovery
	Failover        = spec.Failover
	Patroni         = spec.Patroni
	PgAutoFailover  = spec.PgAutoFailover
	Timeline        = spec.Timeline
	Fault           = spec.Fault
	Selector        = spec.Selector
	Params          = spec.Params
	Monkey          = spec.Monkey
	Window          = spec.Window
	AbortCondition  = spec.AbortCondition
	Duration        = spec.Duration
	Webhook         = spec.Webhook

	// ActionInfo describes a fault action: the language's description,
	// which the engine's fault registry builds on.
	ActionInfo = spec.ActionInfo
	// Capabilities is what an engine executes, as the engine says it; the
	// engine implements it and Scenario.Unsupported asks it.
	Capabilities = spec.Capabilities
	// Feature is a part of the language an engine may not execute.
	Feature = spec.Feature
	// Unsupported is one part of a scenario an engine does not execute,
	// with its position.
	Unsupported = spec.Unsupported
	// Warning is something a valid scenario does that will make part of
	// its result inconclusive, with its position.
	Warning = spec.Warning
)

// APIVersion is the only scenario language version this build reads.
const APIVersion = spec.APIVersion

// Backup kinds.
const (
	BackupLogical  = spec.BackupLogical
	BackupPhysical = spec.BackupPhysical
	BackupFiles    = spec.BackupFiles
)

// Webhook formats (Webhook.Format).
const (
	WebhookJSON      = spec.WebhookJSON
	WebhookSlack     = spec.WebhookSlack
	WebhookPagerDuty = spec.WebhookPagerDuty
)

// Notification events (Webhook.Events).
const (
	NotifyFailover        = spec.NotifyFailover
	NotifyRestore         = spec.NotifyRestore
	NotifyStepFailed      = spec.NotifyStepFailed
	NotifyObjectiveBreach = spec.NotifyObjectiveBreach
)

// WebhookFormats and WebhookEvents are the accepted Webhook.Format and
// Webhook.Events values, in hint order.
var (
	WebhookFormats = spec.WebhookFormats
	WebhookEvents  = spec.WebhookEvents
)

// Fencing methods of the builtin failover manager.
const (
	FenceStop       = spec.FenceStop
	FenceDisconnect = spec.FenceDisconnect
)

// Failover managers (dr.failover.manager).
const (
	ManagerBuiltin        = spec.ManagerBuiltin
	ManagerPatroni        = spec.ManagerPatroni
	ManagerPgAutoFailover = spec.ManagerPgAutoFailover
	ManagerNone           = spec.ManagerNone
)

// Managers are the accepted dr.failover.manager values.
var Managers = spec.Managers

// Where the HA stacks' coordination runs (the regions of Patroni's etcd,
// the monitor's region); whether a manager is one of the stacks.
var EtcdRegions, MonitorRegion, IsStack = failover.EtcdRegions, failover.MonitorRegion, failover.IsStack

// Selector roles and modes.
const (
	RolePrimary  = spec.RolePrimary
	RoleReplica  = spec.RoleReplica
	RolePostgres = spec.RolePostgres
	RoleStorage  = spec.RoleStorage
	RoleApp      = spec.RoleApp

	ModeAll = spec.ModeAll
	ModeOne = spec.ModeOne
)

// Service names, as used by Fault.Target and Scenario.RegionOf.
const (
	TargetPrimary    = spec.TargetPrimary
	TargetAnyReplica = spec.TargetAnyReplica
	TargetStorage    = spec.TargetStorage
	TargetApp        = spec.TargetApp
)

// Fault actions.
const (
	ActionKill       = spec.ActionKill
	ActionStop       = spec.ActionStop
	ActionRestart    = spec.ActionRestart
	ActionPause      = spec.ActionPause
	ActionPartition  = spec.ActionPartition
	ActionLatency    = spec.ActionLatency
	ActionLoss       = spec.ActionLoss
	ActionBandwidth  = spec.ActionBandwidth
	ActionDiskFill   = spec.ActionDiskFill
	ActionRegionDrop = spec.ActionRegionDrop
	ActionS3Outage   = spec.ActionS3Outage
	ActionSQL        = spec.ActionSQL
)

// Recovery steps: the vocabulary of dr.recovery plans.
const (
	StepPromoteReplica      = spec.StepPromoteReplica
	StepRestoreLatestBackup = spec.StepRestoreLatestBackup
	StepRestorePointInTime  = spec.StepRestorePointInTime
	StepRestoreFiles        = spec.StepRestoreFiles
	StepRebuildReplicas     = spec.StepRebuildReplicas
	StepReconnectNetwork    = spec.StepReconnectNetwork
	StepRestartServices     = spec.StepRestartServices
	StepHealthCheck         = spec.StepHealthCheck
)

// Abort metrics.
const (
	MetricWriteSuccessRate = spec.MetricWriteSuccessRate
	MetricReadSuccessRate  = spec.MetricReadSuccessRate
	MetricFailedWrites     = spec.MetricFailedWrites
	MetricFailedReads      = spec.MetricFailedReads
)

// The features an engine is asked about (Capabilities.Feature), and
// FeatureAction for a fault action in Unsupported.
const (
	FeatureAction          = spec.FeatureAction
	FeatureSelector        = spec.FeatureSelector
	FeatureFaultObjectives = spec.FeatureFaultObjectives
	FeatureMonkey          = spec.FeatureMonkey
	FeatureAbort           = spec.FeatureAbort
	FeatureBackups         = spec.FeatureBackups
	FeatureRecoveryPlans   = spec.FeatureRecoveryPlans
	FeatureReads           = spec.FeatureReads
	FeatureAppInstances    = spec.FeatureAppInstances
	FeatureAppEnv          = spec.FeatureAppEnv
	FeatureNoStorage       = spec.FeatureNoStorage
	FeaturePatroni         = spec.FeaturePatroni
	FeaturePgAutoFailover  = spec.FeaturePgAutoFailover
)

// Defaults (see Scenario.ApplyDefaults).
const (
	DefaultPostgresImage        = spec.DefaultPostgresImage
	DefaultStorageImage         = spec.DefaultStorageImage
	DefaultBucket               = spec.DefaultBucket
	DefaultWritesPerSecond      = spec.DefaultWritesPerSecond
	DefaultTimeout              = spec.DefaultTimeout
	DefaultStabilityWindow      = spec.DefaultStabilityWindow
	DefaultCheckInterval        = spec.DefaultCheckInterval
	DefaultCheckTimeout         = spec.DefaultCheckTimeout
	DefaultFailuresBeforeAction = spec.DefaultFailuresBeforeAction
	DefaultFencing              = spec.DefaultFencing
	DefaultAppInstances         = spec.DefaultAppInstances
	DefaultBackupKeep           = spec.DefaultBackupKeep
	DefaultSelectorMode         = spec.DefaultSelectorMode
	DefaultMonkeyMeanInterval   = spec.DefaultMonkeyMeanInterval
	DefaultMonkeyMaxAtOnce      = spec.DefaultMonkeyMaxAtOnce
	DefaultMonkeyFaultDuration  = spec.DefaultMonkeyFaultDuration
	DefaultWebhookTimeout       = spec.DefaultWebhookTimeout
)

// DefaultMonkeyActions are the actions of a monkey that lists none.
var DefaultMonkeyActions = spec.DefaultMonkeyActions

// Limits the environment and the Docker runtime share with the language.
const (
	MaxWALSenders        = spec.MaxWALSenders
	MaxReplicationSlots  = spec.MaxReplicationSlots
	MaxReplicas          = spec.MaxReplicas
	MaxRunIDLength       = spec.MaxRunIDLength
	MaxReplicaNameLength = spec.MaxReplicaNameLength
	MinTimelineDuration  = spec.MinTimelineDuration
	MaxTimelineDuration  = spec.MaxTimelineDuration
)

// NewDuration returns a pointer to d as a Duration, for the optional
// objectives of a scenario built in code.
func NewDuration(d time.Duration) *Duration { return spec.NewDuration(d) }

// ParseDuration parses a scenario duration: a Go duration string such as
// "15s", "1m30s" or "500ms".
func ParseDuration(s string) (Duration, error) { return spec.ParseDuration(s) }

// ActionNames returns the fault actions of the language, sorted.
func ActionNames() []string { return spec.ActionNames() }

// Actions describes every fault action of the language, sorted by name:
// name, summary, target kinds, reversibility and params. It is the one
// description of the actions, for the loader, the docs and the engine's
// fault registry; whether an engine executes one is the engine's to say
// (Capabilities).
func Actions() []ActionInfo { return spec.Actions() }

// StepNames returns the recovery step names, sorted.
func StepNames() []string { return spec.StepNames() }

// MetricNames returns the abort metrics, sorted.
func MetricNames() []string { return spec.MetricNames() }

// Features lists every Feature an engine is asked about.
func Features() []Feature { return spec.Features() }

// HasBackup reports whether the scenario schedules a backup of one of the
// kinds.
func HasBackup(s *Scenario, kinds ...string) bool { return spec.HasBackup(s, kinds...) }

// RecoveryTargetLatest is the default recovery target.
const RecoveryTargetLatest = target.RecoveryTargetLatest

// RecoveryTarget is dr.recovery.target parsed.
type RecoveryTarget = target.RecoveryTarget

// ParseRecoveryTarget reads dr.recovery.target ("" is latest).
func ParseRecoveryTarget(s string) (RecoveryTarget, error) { return target.ParseRecoveryTarget(s) }

// RecoveryPlan is one plan of dr.recovery, by its YAML name.
type RecoveryPlan = spec.RecoveryPlan

// RecoveryPlansOf lists the scenario's recovery plans in field order
// (database, disk, network, complete), with or without steps.
func RecoveryPlansOf(s *Scenario) []RecoveryPlan { return spec.RecoveryPlans(&s.DR.Recovery) }
