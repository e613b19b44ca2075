package scenarios

import (
	"slices"
	"strings"
	"time"
)

// APIVersion is the only scenario language version this build reads.
const APIVersion = "firedrill/v1"

// Scenario is one drill: the environment to build, the workload to drive, the
// DR engine's settings, the faults to inject and the objectives to meet.
//
// Load, LoadBytes, Builtin and Resolve return a scenario with its defaults
// applied and validated. A scenario built in code can be completed with
// ApplyDefaults and checked with Validate.
type Scenario struct {
	// APIVersion is the language version; required, and only "firedrill/v1"
	// is read by this build.
	APIVersion string `yaml:"apiVersion"`
	// Name identifies the drill in reports; required, lowercase letters,
	// digits and dashes.
	Name string `yaml:"name"`
	// Description says in a sentence what the drill shows.
	Description string      `yaml:"description,omitempty"`
	Objectives  Objectives  `yaml:"objectives"`
	Environment Environment `yaml:"environment"`
	Workload    Workload    `yaml:"workload"`
	DR          DR          `yaml:"dr"`
	Timeline    Timeline    `yaml:"timeline"`

	// File is where the scenario was read from ("builtin:primary-kill" for
	// the embedded library).
	File string `yaml:"-"`

	// src remembers where each field was written, for error positions; nil
	// for a scenario built in code.
	src *source
}

// Objectives are the limits a drill is scored against. A nil limit is not
// checked; its value is still reported.
type Objectives struct {
	// RTO is the longest acceptable recovery time per fault; must be > 0
	// when set. No default: omitted means only reported.
	RTO *Duration `yaml:"rto,omitempty"`
	// RPO is the longest acceptable window of lost acknowledged writes; must
	// be >= 0 when set. No default: omitted means only reported.
	RPO *Duration `yaml:"rpo,omitempty"`
	// LostWrites is the largest acceptable number of lost acknowledged
	// writes (>= 0); omit it, or write "report", to only report the count.
	LostWrites *int `yaml:"lost_writes,omitempty" null:"report"`
}

// Environment is the topology built for the drill.
type Environment struct {
	// Regions are the failure domains (one Docker network each); required,
	// unique names, and every region must hold at least one service.
	Regions  []string `yaml:"regions"`
	Postgres Postgres `yaml:"postgres"`
	Storage  Storage  `yaml:"storage"`
	App      App      `yaml:"app"`
}

// Postgres is the database cluster: one primary and its streaming replicas.
type Postgres struct {
	// Image is the Postgres image; "postgres:15" (the default) is used as is
	// when present or pullable, otherwise built from Debian packages.
	Image   string `yaml:"image"`
	Primary Node   `yaml:"primary"`
	// Replicas are the streaming replicas; at least one is needed when
	// failover is enabled.
	Replicas []Replica `yaml:"replicas"`
}

// Node places a server in a region.
type Node struct {
	// Region is one of Environment.Regions; required.
	Region string `yaml:"region"`
}

// Replica is a streaming replica.
type Replica struct {
	// Name is unique among replicas: lowercase letters, digits and dashes;
	// "primary" and "replica" are reserved. The replica is targeted as
	// postgres.<name>.
	Name string `yaml:"name"`
	// Region is one of Environment.Regions; required.
	Region string `yaml:"region"`
	// Synchronous is not supported yet: replicas are asynchronous and
	// true is rejected.
	Synchronous bool `yaml:"synchronous,omitempty"`
}

// Storage is the S3-compatible backup target.
type Storage struct {
	// Image is the S3 server image; default "minio/minio".
	Image string `yaml:"image"`
	// Region defaults to the first of Environment.Regions.
	Region string `yaml:"region"`
	// Bucket is the S3 bucket backups go to; default "firedrill".
	Bucket string `yaml:"bucket"`
}

// App is the application the workload goes through.
type App struct {
	// Image is the app image; empty (the default) means the built-in sample
	// app.
	Image string `yaml:"image,omitempty"`
	// Region defaults to the region of the Postgres primary.
	Region string `yaml:"region"`
}

// Workload is the open-loop client load.
type Workload struct {
	// WritesPerSecond is the constant arrival rate of writes; default 50,
	// must be > 0 and <= 2000.
	WritesPerSecond float64 `yaml:"writes_per_second"`
	// Timeout bounds one operation; past it the outcome is indeterminate.
	// Default 1s, must be > 0.
	Timeout Duration `yaml:"timeout"`
	// StabilityWindow is how long the system must stay healthy after the
	// first successful write for the recovery to count. Default 5s, must be
	// >= 0.
	StabilityWindow Duration `yaml:"stability_window"`
}

// DR holds the DR engine's settings.
type DR struct {
	Failover Failover `yaml:"failover"`
}

// Failover configures the failover manager.
type Failover struct {
	// Enabled runs the failover manager; default true.
	Enabled *bool `yaml:"enabled"`
	// CheckInterval is the time between two health checks of the primary;
	// default 1s, must be > 0.
	CheckInterval Duration `yaml:"check_interval"`
	// CheckTimeout bounds one health check; default 1s capped to
	// CheckInterval, must be > 0 and <= CheckInterval.
	CheckTimeout Duration `yaml:"check_timeout"`
	// FailuresBeforeAction is how many consecutive failed checks trigger a
	// failover; default 2, must be >= 1.
	FailuresBeforeAction int `yaml:"failures_before_action"`
	// Fencing is how the old primary is fenced: "stop" (the default) or
	// "disconnect".
	Fencing string `yaml:"fencing"`
}

// IsEnabled reports whether the failover manager runs (default true).
func (f Failover) IsEnabled() bool { return f.Enabled == nil || *f.Enabled }

// Fencing methods.
const (
	FenceStop       = "stop"       // stop the old primary's container
	FenceDisconnect = "disconnect" // cut the old primary off its networks
)

// fencings is the set of accepted Failover.Fencing values, in the order
// hints list them.
var fencings = []string{FenceStop, FenceDisconnect}

// Timeline is the drill's schedule.
type Timeline struct {
	// Duration is how long faults may be injected, from the start of the
	// workload; required, > 0. Settling and verification come after it.
	Duration Duration `yaml:"duration"`
	// Faults are injected in the order of their At; may be empty (a
	// baseline drill).
	Faults []Fault `yaml:"faults"`
}

// Fault is one scheduled fault.
type Fault struct {
	// At is the offset from the start of the timeline; required, >= 0 and
	// before Timeline.Duration.
	At Duration `yaml:"at"`
	// Action is what is done to the target; see ActionNames.
	Action string `yaml:"action"`
	// Target names a role resolved at injection time: postgres.primary
	// (whichever node is primary then), postgres.replica (any replica),
	// postgres.<replica name>, storage or app.
	Target string `yaml:"target"`
}

// Service names, as used by Fault.Target and RegionOf. A replica's service
// name is "postgres." + its name.
const (
	TargetPrimary    = "postgres.primary"
	TargetAnyReplica = "postgres.replica"
	TargetStorage    = "storage"
	TargetApp        = "app"

	postgresPrefix = "postgres."
)

// ReplicaNames returns the names of the replicas, in the scenario's order.
func (s *Scenario) ReplicaNames() []string {
	names := make([]string, 0, len(s.Environment.Postgres.Replicas))
	for _, r := range s.Environment.Postgres.Replicas {
		names = append(names, r.Name)
	}
	return names
}

// Services returns the name of every service the environment runs:
// "postgres.primary", "postgres.<replica>" for each replica, "storage" and
// "app".
func (s *Scenario) Services() []string {
	out := []string{TargetPrimary}
	for _, r := range s.Environment.Postgres.Replicas {
		out = append(out, postgresPrefix+r.Name)
	}
	return append(out, TargetStorage, TargetApp)
}

// RegionOf returns the region a service is placed in: service is one of
// "postgres.primary" (the initial primary), "postgres.<replica>", "storage"
// or "app". Unset storage and app regions resolve to their defaults. It
// returns "" for an unknown service.
func (s *Scenario) RegionOf(service string) string {
	env := &s.Environment
	switch service {
	case TargetPrimary:
		return env.Postgres.Primary.Region
	case TargetStorage:
		if env.Storage.Region == "" && len(env.Regions) > 0 {
			return env.Regions[0]
		}
		return env.Storage.Region
	case TargetApp:
		if env.App.Region == "" {
			return env.Postgres.Primary.Region
		}
		return env.App.Region
	}
	if name, ok := strings.CutPrefix(service, postgresPrefix); ok && name != "" {
		i := slices.IndexFunc(env.Postgres.Replicas, func(r Replica) bool { return r.Name == name })
		if i >= 0 {
			return env.Postgres.Replicas[i].Region
		}
	}
	return ""
}

// Duration is a time.Duration written as a Go duration string ("15s",
// "1m30s", "500ms"). A bare number is rejected: it has no unit.
type Duration struct{ time.Duration }

// NewDuration returns a pointer to d as a Duration, for the optional
// objectives of a scenario built in code.
func NewDuration(d time.Duration) *Duration { return &Duration{Duration: d} }
