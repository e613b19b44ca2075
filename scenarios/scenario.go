package scenarios

import "time"

// APIVersion is the only scenario language version this build reads.
const APIVersion = "firedrill/v1"

// Scenario is one drill: the environment to build, the workload to drive, the
// DR engine's settings, the faults to inject and the objectives to meet.
type Scenario struct {
	APIVersion  string      `yaml:"apiVersion"`
	Name        string      `yaml:"name"`
	Description string      `yaml:"description"`
	Objectives  Objectives  `yaml:"objectives"`
	Environment Environment `yaml:"environment"`
	Workload    Workload    `yaml:"workload"`
	DR          DR          `yaml:"dr"`
	Timeline    Timeline    `yaml:"timeline"`

	// File is where the scenario was read from ("builtin:primary-kill" for
	// the embedded library).
	File string `yaml:"-"`
}

// Objectives are the limits a drill is scored against. A nil limit is not
// checked; its value is still reported.
type Objectives struct {
	// RTO is the longest acceptable recovery time per fault.
	RTO *Duration `yaml:"rto"`
	// RPO is the longest acceptable window of lost acknowledged writes.
	RPO *Duration `yaml:"rpo"`
	// LostWrites is the largest acceptable number of lost acknowledged
	// writes; omit it (or write "report") to only report the count.
	LostWrites *int `yaml:"lost_writes"`
}

// Environment is the topology built for the drill.
type Environment struct {
	Regions  []string `yaml:"regions"`
	Postgres Postgres `yaml:"postgres"`
	Storage  Storage  `yaml:"storage"`
	App      App      `yaml:"app"`
}

// Postgres is the database cluster: one primary and its streaming replicas.
type Postgres struct {
	// Image is the Postgres image; "postgres:15" (the default) is used as is
	// when present or pullable, otherwise built from Debian packages.
	Image    string    `yaml:"image"`
	Primary  Node      `yaml:"primary"`
	Replicas []Replica `yaml:"replicas"`
}

// Node places a server in a region.
type Node struct {
	Region string `yaml:"region"`
}

// Replica is a streaming replica.
type Replica struct {
	Name   string `yaml:"name"`
	Region string `yaml:"region"`
	// Synchronous is not supported in v1 of the skeleton; replicas are async.
	Synchronous bool `yaml:"synchronous"`
}

// Storage is the S3-compatible backup target.
type Storage struct {
	Image  string `yaml:"image"`
	Region string `yaml:"region"`
	Bucket string `yaml:"bucket"`
}

// App is the application the workload goes through.
type App struct {
	// Image is the app image; empty means the built-in sample app.
	Image  string `yaml:"image"`
	Region string `yaml:"region"`
}

// Workload is the open-loop client load.
type Workload struct {
	// WritesPerSecond is the constant arrival rate of writes.
	WritesPerSecond float64 `yaml:"writes_per_second"`
	// Timeout bounds one operation; past it the outcome is indeterminate.
	Timeout Duration `yaml:"timeout"`
	// StabilityWindow is how long the system must stay healthy after the
	// first successful write for the recovery to count.
	StabilityWindow Duration `yaml:"stability_window"`
}

// DR holds the DR engine's settings.
type DR struct {
	Failover Failover `yaml:"failover"`
}

// Failover configures the failover manager.
type Failover struct {
	Enabled *bool `yaml:"enabled"`
	// CheckInterval is the time between two health checks of the primary.
	CheckInterval Duration `yaml:"check_interval"`
	// CheckTimeout bounds one health check.
	CheckTimeout Duration `yaml:"check_timeout"`
	// FailuresBeforeAction is how many consecutive failed checks trigger a
	// failover.
	FailuresBeforeAction int `yaml:"failures_before_action"`
	// Fencing is how the old primary is fenced: "stop" or "disconnect".
	Fencing string `yaml:"fencing"`
}

// IsEnabled reports whether the failover manager runs (default true).
func (f Failover) IsEnabled() bool { return f.Enabled == nil || *f.Enabled }

// Timeline is the drill's schedule.
type Timeline struct {
	Duration Duration `yaml:"duration"`
	Faults   []Fault  `yaml:"faults"`
}

// Fault is one scheduled fault.
type Fault struct {
	At     Duration `yaml:"at"`
	Action string   `yaml:"action"`
	// Target names a role resolved at injection time: postgres.primary,
	// postgres.replica, storage, app, or a node name.
	Target string `yaml:"target"`
}

// Duration is a time.Duration written as a Go duration string ("15s").
type Duration struct{ time.Duration }
