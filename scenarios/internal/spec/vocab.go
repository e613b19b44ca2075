package spec

import (
	"maps"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/scenarios/internal/failover"
)

// Action is the language's description of a fault action: what it applies
// to, whether it is reversible, the params it takes. The loader checks
// scenarios against it and the engine's fault registry builds its faults
// from the same entries (docs/architecture.md, "Faults as a registry"): it
// says nothing about whether an engine executes the action, which only the
// engine knows (Capabilities).
type Action struct {
	// Summary is a one-line description, for hints, docs and the schema.
	Summary string
	// Kinds are the kinds of target the action applies to: KindPostgres,
	// KindStorage, KindApp (services), KindEtcd and KindMonitor (the HA
	// stacks' coordination) and KindRegion.
	Kinds []string
	// Reversible actions last for a fault's `for` and are then reverted;
	// irreversible ones happen once and take no `for`.
	Reversible bool
	// Params are the parameters the action takes; any other is an error.
	Params []Param
}

// Param is one parameter an action takes, by its YAML name in Params.
type Param struct {
	Name     string
	Required bool
	// Default is the default, as written in YAML ("" = none); ApplyDefaults
	// fills it in.
	Default string
}

// ServiceKinds are the target kinds that are one container each.
var ServiceKinds = []string{KindPostgres, KindStorage, KindApp}

// Target kinds. KindEtcd and KindMonitor are the HA stacks' coordination
// (failover.CoordinationKinds), targets only with their manager.
const (
	KindPostgres = "postgres"
	KindStorage  = "storage"
	KindApp      = "app"
	KindEtcd     = failover.KindEtcd
	KindMonitor  = failover.KindMonitor
	KindRegion   = "region"
)

// ProcessKinds are the kinds of target that are one process each, which
// the process actions (kill, stop, restart, pause) act on: the services
// and the stacks' coordination.
var ProcessKinds = []string{KindPostgres, KindStorage, KindApp, KindEtcd, KindMonitor}

// TargetKinds are every kind of target: network faults apply to a service,
// a coordination node or every node of a region.
var TargetKinds = []string{KindPostgres, KindStorage, KindApp, KindEtcd, KindMonitor, KindRegion}

// Fault actions.
const (
	ActionKill       = "kill"
	ActionStop       = "stop"
	ActionRestart    = "restart"
	ActionPause      = "pause"
	ActionPartition  = "partition"
	ActionLatency    = "latency"
	ActionLoss       = "loss"
	ActionBandwidth  = "bandwidth"
	ActionDiskFill   = "disk-fill"
	ActionRegionDrop = "region-drop"
	ActionS3Outage   = "s3-outage"
	ActionSQL        = "sql"
)

var actions = map[string]Action{
	ActionKill: {
		Summary: "SIGKILL the target's container, like a host crash: no clean shutdown",
		Kinds:   ProcessKinds,
	},
	ActionStop: {
		Summary:    "stop the target's container (SIGTERM, then SIGKILL after grace); started again when the fault ends",
		Kinds:      ProcessKinds,
		Reversible: true,
		Params:     []Param{{Name: "grace", Default: "10s"}},
	},
	ActionRestart: {
		Summary: "restart the target's container (SIGTERM, SIGKILL after grace, start): a clean bounce",
		Kinds:   ProcessKinds,
		Params:  []Param{{Name: "grace", Default: "10s"}},
	},
	ActionPause: {
		Summary:    "freeze the target like a stalled host: its processes (docker pause) and its packets (dropped); connections hang instead of failing",
		Kinds:      ProcessKinds,
		Reversible: true,
	},
	ActionPartition: {
		Summary:    "drop the traffic between the target and params.to (one way or both)",
		Kinds:      TargetKinds,
		Reversible: true,
		Params:     []Param{{Name: "to"}, {Name: "one_way", Default: "false"}},
	},
	ActionLatency: {
		Summary:    "delay every packet the target sends by params.delay ± params.jitter",
		Kinds:      TargetKinds,
		Reversible: true,
		Params:     []Param{{Name: "delay", Required: true}, {Name: "jitter", Default: "0s"}},
	},
	ActionLoss: {
		Summary:    "drop params.percent of the packets the target receives",
		Kinds:      TargetKinds,
		Reversible: true,
		Params:     []Param{{Name: "percent", Default: "100"}},
	},
	ActionBandwidth: {
		Summary:    "cap the target's outgoing bandwidth to params.rate",
		Kinds:      TargetKinds,
		Reversible: true,
		Params:     []Param{{Name: "rate", Required: true}},
	},
	ActionDiskFill: {
		Summary:    "fill the Postgres data disk to params.percent, or by params.size; writes fail with disk full",
		Kinds:      []string{KindPostgres},
		Reversible: true,
		Params:     []Param{{Name: "percent", Default: "100"}, {Name: "size"}},
	},
	ActionRegionDrop: {
		Summary:    "cut every service of the region off every network, as if the region went dark (Chaos Kong)",
		Kinds:      []string{KindRegion},
		Reversible: true,
	},
	ActionS3Outage: {
		Summary:    "make the S3 storage refuse every request; backups and restores fail",
		Kinds:      []string{KindStorage},
		Reversible: true,
	},
	ActionSQL: {
		Summary: "run params.statement on the target database, like a bad migration or an operator's mistake (DROP TABLE ...)",
		Kinds:   []string{KindPostgres},
		Params:  []Param{{Name: "statement", Required: true}},
	},
}

// LookupAction returns the description of the action name.
func LookupAction(name string) (Action, bool) {
	a, ok := actions[name]
	return a, ok
}

// ActionNames returns the fault actions of the language, sorted.
func ActionNames() []string { return sortedKeys(actions) }

// ActionInfo describes a fault action, for listings, documentation and the
// engine's fault registry, which builds its faults on it.
type ActionInfo struct {
	Name    string
	Summary string
	// Targets are the kinds of target it accepts: postgres, storage, app,
	// etcd, monitor, region.
	Targets []string
	// Reversible actions take a `for` and are reverted after it.
	Reversible bool
	// Params are the YAML names of its parameters; Required those without
	// which it is an error, Defaults the defaults of the others.
	Params   []string
	Required []string
	Defaults map[string]string
}

// Actions describes every fault action of the language, sorted by name.
// Whether an engine executes one is the engine's to say (Capabilities).
func Actions() []ActionInfo {
	out := make([]ActionInfo, 0, len(actions))
	for _, name := range ActionNames() {
		a := actions[name]
		info := ActionInfo{Name: name, Summary: a.Summary, Targets: slices.Clone(a.Kinds),
			Reversible: a.Reversible, Params: a.ParamNames(), Required: a.RequiredParams(), Defaults: map[string]string{}}
		for _, p := range a.Params {
			if p.Default != "" {
				info.Defaults[p.Name] = p.Default
			}
		}
		out = append(out, info)
	}
	return out
}

// Takes reports whether the action has a parameter called name.
func (a Action) Takes(name string) bool {
	return slices.ContainsFunc(a.Params, func(p Param) bool { return p.Name == name })
}

// ParamNames are the YAML names of the action's params, in table order.
func (a Action) ParamNames() []string {
	var names []string
	for _, p := range a.Params {
		names = append(names, p.Name)
	}
	return names
}

// RequiredParams are the names of the params without which the action is
// an error.
func (a Action) RequiredParams() []string {
	var out []string
	for _, p := range a.Params {
		if p.Required {
			out = append(out, p.Name)
		}
	}
	return out
}

// regionPrefix starts a target that names a region: region.east.
const regionPrefix = "region."

// TargetKind is the kind of thing a target names: KindPostgres,
// KindStorage, KindApp, KindEtcd, KindMonitor or KindRegion.
func TargetKind(target string) string {
	switch {
	case strings.HasPrefix(target, postgresPrefix):
		return KindPostgres
	case strings.HasPrefix(target, regionPrefix):
		return KindRegion
	}
	if k := failover.CoordinationKind(target); k != "" {
		return k
	}
	return target
}

// ValidTargets lists the service targets a scenario may name, for checks
// and hints, then its manager's coordination (etcd.<region> per etcd
// member with patroni, monitor with pg_auto_failover); with regions,
// region.<name> for each region too.
func ValidTargets(s *Scenario, regions bool) []string {
	out := []string{TargetPrimary}
	if len(s.Environment.Postgres.Replicas) > 0 {
		out = append(out, TargetAnyReplica)
	}
	for _, r := range s.Environment.Postgres.Replicas {
		if r.Name != "" {
			out = append(out, postgresPrefix+r.Name)
		}
	}
	if s.Environment.Storage.IsEnabled() {
		out = append(out, TargetStorage)
	}
	out = append(out, TargetApp)
	out = append(out, failover.CoordinationTargets(s.DR.Failover.Manager, s.Environment.Regions)...)
	if regions {
		for _, r := range s.Environment.Regions {
			if r != "" {
				out = append(out, regionPrefix+r)
			}
		}
	}
	return out
}

// Recovery steps: the vocabulary of dr.recovery plans.
const (
	StepPromoteReplica      = "promote-replica"
	StepRestoreLatestBackup = "restore-latest-backup"
	StepRestorePointInTime  = "restore-point-in-time"
	StepRestoreFiles        = "restore-files"
	StepRebuildReplicas     = "rebuild-replicas"
	StepReconnectNetwork    = "reconnect-network"
	StepRestartServices     = "restart-services"
	StepHealthCheck         = "health-check"
)

// What a recovery step needs the scenario to have (Step.Needs).
const (
	NeedsReplica        = "replica"
	NeedsDatabaseBackup = "database-backup" // logical or physical
	NeedsPhysicalBackup = "physical-backup"
	NeedsFilesBackup    = "files-backup"
)

// Step describes a recovery step.
type Step struct {
	Summary string
	// Needs says what the scenario must have for the step to be possible
	// (one of the Needs constants); "" for nothing.
	Needs string
}

var steps = map[string]Step{
	StepPromoteReplica:      {Summary: "promote the most advanced replica and point the app at it", Needs: NeedsReplica},
	StepRestoreLatestBackup: {Summary: "restore the newest logical or physical backup from storage into a new primary", Needs: NeedsDatabaseBackup},
	StepRestorePointInTime:  {Summary: "restore the newest base backup and replay the archived WAL up to the failure", Needs: NeedsPhysicalBackup},
	StepRestoreFiles:        {Summary: "restore the newest files backup into the app's upload directory", Needs: NeedsFilesBackup},
	StepRebuildReplicas:     {Summary: "re-seed the replicas from the current primary (back to full redundancy)", Needs: NeedsReplica},
	StepReconnectNetwork:    {Summary: "reconnect every service cut off its networks"},
	StepRestartServices:     {Summary: "restart the app so it reconnects to the current primary"},
	StepHealthCheck:         {Summary: "check that the app accepts a write and serves it back; the plan fails otherwise"},
}

// LookupStep returns the description of the recovery step name.
func LookupStep(name string) (Step, bool) {
	st, ok := steps[name]
	return st, ok
}

// StepNames returns the recovery step names, sorted.
func StepNames() []string { return sortedKeys(steps) }

// Abort metrics.
const (
	MetricWriteSuccessRate = "write_success_rate"
	MetricReadSuccessRate  = "read_success_rate"
	MetricFailedWrites     = "failed_writes"
	MetricFailedReads      = "failed_reads"
)

// Metric describes an abort metric.
type Metric struct {
	Summary string
	// Rate metrics are a share in [0, 1] over the last second: they take
	// below or above, and for. Count metrics only grow: above only, no for.
	Rate bool
	// Reads says the metric needs workload.reads_per_second > 0.
	Reads bool
}

var metrics = map[string]Metric{
	MetricWriteSuccessRate: {Summary: "share (0 to 1) of the writes sent in the last second that succeeded", Rate: true},
	MetricReadSuccessRate:  {Summary: "share (0 to 1) of the reads sent in the last second that succeeded", Rate: true, Reads: true},
	MetricFailedWrites:     {Summary: "writes failed or indeterminate since the start of the workload"},
	MetricFailedReads:      {Summary: "reads failed or timed out since the start of the workload", Reads: true},
}

// LookupMetric returns the description of the abort metric name.
func LookupMetric(name string) (Metric, bool) {
	m, ok := metrics[name]
	return m, ok
}

// MetricNames returns the abort metrics, sorted.
func MetricNames() []string { return sortedKeys(metrics) }

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
