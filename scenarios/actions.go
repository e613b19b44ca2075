package scenarios

import (
	"slices"
	"strings"
)

// action describes a fault action a scenario may schedule. The chaos package
// implements them; this table is what the loader accepts, so the language
// can be written, validated and planned ahead of the engine. Flip
// implemented when an injector lands: Unimplemented stops listing it.
type action struct {
	// summary is a one-line description, for hints, docs and the schema.
	summary string
	// kinds are the kinds of target the action applies to: "postgres",
	// "storage", "app" (services) and "region".
	kinds []string
	// reversible actions last for a fault's `for` and are then reverted;
	// irreversible ones happen once and take no `for`.
	reversible bool
	// implemented says whether this build's engine executes the action.
	implemented bool
	// params are the parameters the action takes; any other is an error.
	params []actionParam
}

// actionParam is one parameter an action takes, by its YAML name in Params.
type actionParam struct {
	name     string
	required bool
	// def is the default, as written in YAML ("" = none); ApplyDefaults
	// fills it in (see defaultParams).
	def string
}

// services are the target kinds that are one container each.
var services = []string{kindPostgres, kindStorage, kindApp}

// Target kinds.
const (
	kindPostgres = "postgres"
	kindStorage  = "storage"
	kindApp      = "app"
	kindRegion   = "region"
)

// network faults apply to a service or to every service of a region.
var network = []string{kindPostgres, kindStorage, kindApp, kindRegion}

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
)

var actions = map[string]action{
	ActionKill: {
		summary:     "SIGKILL the target's container, like a host crash: no clean shutdown",
		kinds:       services,
		implemented: true,
	},
	ActionStop: {
		summary:    "stop the target's container (SIGTERM, then SIGKILL after grace); started again when the fault ends",
		kinds:      services,
		reversible: true,
		params:     []actionParam{{name: "grace", def: "10s"}},
	},
	ActionRestart: {
		summary: "restart the target's container (SIGTERM, SIGKILL after grace, start): a clean bounce",
		kinds:   services,
		params:  []actionParam{{name: "grace", def: "10s"}},
	},
	ActionPause: {
		summary:    "freeze the target's processes (docker pause): connections hang instead of failing",
		kinds:      services,
		reversible: true,
	},
	ActionPartition: {
		summary:    "drop the traffic between the target and params.to (one way or both)",
		kinds:      network,
		reversible: true,
		params:     []actionParam{{name: "to"}, {name: "one_way", def: "false"}},
	},
	ActionLatency: {
		summary:    "delay every packet the target sends by params.delay ± params.jitter",
		kinds:      network,
		reversible: true,
		params:     []actionParam{{name: "delay", required: true}, {name: "jitter", def: "0s"}},
	},
	ActionLoss: {
		summary:    "drop params.percent of the packets the target receives",
		kinds:      network,
		reversible: true,
		params:     []actionParam{{name: "percent", def: "100"}},
	},
	ActionBandwidth: {
		summary:    "cap the target's outgoing bandwidth to params.rate",
		kinds:      network,
		reversible: true,
		params:     []actionParam{{name: "rate", required: true}},
	},
	ActionDiskFill: {
		summary:    "fill the Postgres data disk to params.percent, or by params.size; writes fail with disk full",
		kinds:      []string{kindPostgres},
		reversible: true,
		params:     []actionParam{{name: "percent", def: "100"}, {name: "size"}},
	},
	ActionRegionDrop: {
		summary:    "cut every service of the region off every network, as if the region went dark (Chaos Kong)",
		kinds:      []string{kindRegion},
		reversible: true,
	},
	ActionS3Outage: {
		summary:    "make the S3 storage refuse every request; backups and restores fail",
		kinds:      []string{kindStorage},
		reversible: true,
	},
}

// ActionNames returns the fault actions this build knows, sorted.
func ActionNames() []string {
	names := make([]string, 0, len(actions))
	for name := range actions {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// ActionInfo describes a fault action, for listings and documentation.
type ActionInfo struct {
	Name    string
	Summary string
	// Targets are the kinds of target it accepts: postgres, storage, app,
	// region.
	Targets []string
	// Reversible actions take a `for` and are reverted after it.
	Reversible bool
	// Implemented says whether this build's engine executes it;
	// Scenario.Unimplemented lists the faults that use one that is not.
	Implemented bool
	// Params are the YAML names of its parameters; Required those without
	// which it is an error, Defaults the defaults of the others.
	Params   []string
	Required []string
	Defaults map[string]string
}

// Actions describes every fault action, sorted by name.
func Actions() []ActionInfo {
	out := make([]ActionInfo, 0, len(actions))
	for _, name := range ActionNames() {
		a := actions[name]
		info := ActionInfo{Name: name, Summary: a.summary, Targets: slices.Clone(a.kinds),
			Reversible: a.reversible, Implemented: a.implemented, Defaults: map[string]string{}}
		for _, p := range a.params {
			info.Params = append(info.Params, p.name)
			if p.required {
				info.Required = append(info.Required, p.name)
			}
			if p.def != "" {
				info.Defaults[p.name] = p.def
			}
		}
		out = append(out, info)
	}
	return out
}

// takes reports whether the action has a parameter called name.
func (a action) takes(name string) bool {
	return slices.ContainsFunc(a.params, func(p actionParam) bool { return p.name == name })
}

func (a action) paramNames() []string {
	names := make([]string, len(a.params))
	for i, p := range a.params {
		names[i] = p.name
	}
	return names
}

// regionPrefix starts a target that names a region: region.east.
const regionPrefix = "region."

// targetKind is the kind of thing a target names: "postgres", "storage",
// "app" or "region".
func targetKind(target string) string {
	switch {
	case strings.HasPrefix(target, postgresPrefix):
		return kindPostgres
	case strings.HasPrefix(target, regionPrefix):
		return kindRegion
	}
	return target
}

// validTargets lists the service targets a scenario may name, for checks
// and hints; with regions, region.<name> for each region too.
func (s *Scenario) validTargets(regions bool) []string {
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

// step describes a recovery step.
type step struct {
	summary string
	// needs says what the scenario must have for the step to be possible:
	// "replica", "database-backup" (logical or physical), "physical-backup",
	// "files-backup"; "" for nothing.
	needs string
}

var steps = map[string]step{
	StepPromoteReplica:      {summary: "promote the most advanced replica and point the app at it", needs: "replica"},
	StepRestoreLatestBackup: {summary: "restore the newest logical or physical backup from storage into a new primary", needs: "database-backup"},
	StepRestorePointInTime:  {summary: "restore the newest base backup and replay the archived WAL up to the failure", needs: "physical-backup"},
	StepRestoreFiles:        {summary: "restore the newest files backup into the app's upload directory", needs: "files-backup"},
	StepRebuildReplicas:     {summary: "re-seed the replicas from the current primary (back to full redundancy)", needs: "replica"},
	StepReconnectNetwork:    {summary: "reconnect every service cut off its networks"},
	StepRestartServices:     {summary: "restart the app so it reconnects to the current primary"},
	StepHealthCheck:         {summary: "check that the app accepts a write and serves it back; the plan fails otherwise"},
}

// StepNames returns the recovery step names, sorted.
func StepNames() []string {
	names := make([]string, 0, len(steps))
	for name := range steps {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Abort metrics.
const (
	MetricWriteSuccessRate = "write_success_rate"
	MetricReadSuccessRate  = "read_success_rate"
	MetricFailedWrites     = "failed_writes"
	MetricFailedReads      = "failed_reads"
)

// metric describes an abort metric.
type metric struct {
	summary string
	// rate metrics are a share in [0, 1] over the last second: they take
	// below or above, and for. Count metrics only grow: above only, no for.
	rate bool
	// reads says the metric needs workload.reads_per_second > 0.
	reads bool
}

var metrics = map[string]metric{
	MetricWriteSuccessRate: {summary: "share (0 to 1) of the writes sent in the last second that succeeded", rate: true},
	MetricReadSuccessRate:  {summary: "share (0 to 1) of the reads sent in the last second that succeeded", rate: true, reads: true},
	MetricFailedWrites:     {summary: "writes failed or indeterminate since the start of the workload"},
	MetricFailedReads:      {summary: "reads failed or timed out since the start of the workload", reads: true},
}

// MetricNames returns the abort metrics, sorted.
func MetricNames() []string {
	names := make([]string, 0, len(metrics))
	for name := range metrics {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
