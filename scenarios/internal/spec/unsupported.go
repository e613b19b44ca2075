package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/firedrill/firedrill/scenarios/internal/failover"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// The language runs ahead of the engine: validate and plan accept every
// scenario the language describes, and an engine says which parts it
// executes (docs/architecture.md, "Faults as a registry"). The language
// holds no flag of its own about that: the engine's fault registry is the
// one source of truth for which actions run.

// Capabilities is what an engine executes, as the engine says it. The
// engine implements it (its fault registry answers Action); the language
// asks it, in Scenario.Unsupported, so that `firedrill run` can refuse a
// scenario up front instead of running part of the file.
type Capabilities interface {
	// Action reports whether the engine executes the fault action name
	// (one of ActionNames).
	Action(name string) bool
	// Feature reports whether the engine executes a part of the language
	// other than a fault action.
	Feature(f Feature) bool
}

// Feature is a part of the language an engine may or may not execute.
type Feature string

// The features of the language besides the fault actions. FeatureAction
// stands for a fault action in Unsupported; engines answer it through
// Capabilities.Action.
const (
	FeatureAction          Feature = "action"           // a fault action (Unsupported.Detail names it)
	FeatureSelector        Feature = "selector"         // timeline faults choosing targets with a selector, mode all or one
	FeatureFaultObjectives Feature = "fault-objectives" // timeline.faults[].objectives: per-fault rto and rpo
	FeatureMonkey          Feature = "monkey"           // random faults
	FeatureAbort           Feature = "abort"            // abort conditions
	FeatureBackups         Feature = "backups"          // dr.backups schedules
	FeatureRecoveryPlans   Feature = "recovery-plans"   // dr.recovery plans
	FeatureReads           Feature = "reads"            // workload.reads_per_second
	FeatureAppInstances    Feature = "app-instances"    // more than one app instance
	FeatureAppEnv          Feature = "app-env"          // extra environment variables for the app
	FeatureNoStorage       Feature = "no-storage"       // environment.storage.enabled: false
	// The HA stacks as failover managers (dr.failover.manager; Detail
	// names the manager): the builtin manager and none always run.
	FeaturePatroni        Feature = "manager-patroni"          // Patroni with etcd
	FeaturePgAutoFailover Feature = "manager-pg_auto_failover" // pg_auto_failover with its monitor
	// What the DR engine does to a cluster, under a stack that manages it:
	// WAL archiving (a physical backup's), and the recovery plans, which
	// rebuild nodes the stack would not know.
	FeatureStackPhysicalBackups Feature = "stack-physical-backups"
	FeatureStackRecoveryPlans   Feature = "stack-recovery-plans"
)

// Features lists every Feature an engine is asked about (all but
// FeatureAction), for engines to answer and tests to cover.
func Features() []Feature {
	return []Feature{FeatureSelector, FeatureFaultObjectives, FeatureMonkey, FeatureAbort, FeatureBackups,
		FeatureRecoveryPlans, FeatureReads, FeatureAppInstances, FeatureAppEnv, FeatureNoStorage, FeaturePatroni, FeaturePgAutoFailover,
		FeatureStackPhysicalBackups, FeatureStackRecoveryPlans}
}

// Unsupported is one part of a scenario an engine does not execute, placed
// at the field that uses it.
type Unsupported struct {
	// File, Line and Col place the field (Line and Col are 0 for a
	// scenario built in code); Path names it ("timeline.faults[1].action").
	File      string
	Line, Col int
	Path      string
	// Feature is what the engine does not execute; for FeatureAction,
	// Detail is the action's name.
	Feature Feature
	Detail  string
	// What says it in words: "the action pause", "the monkey".
	What string
}

// Message says it in a sentence: "the action pause is not executed by
// this build's engine yet".
func (u Unsupported) Message() string { return u.What + " is not executed by this build's engine yet" }

// Error formats u like a scenario problem:
// "drill.yaml:21:5: timeline.faults[1].action: the action pause is not
// executed by this build's engine yet".
func (u Unsupported) Error() string {
	e := &yamlpos.Error{File: u.File, Line: u.Line, Col: u.Col, Path: u.Path, Msg: u.Message()}
	return e.Error()
}

// Unsupported lists, in file order, every part of the scenario that engine
// does not execute; empty means the engine runs everything the scenario
// says. A nil engine executes nothing beyond the environment, the workload
// and the failover manager. Call it on a scenario with its defaults applied
// (as the loader returns it).
func (s *Scenario) Unsupported(engine Capabilities) []Unsupported {
	var out []Unsupported
	add := func(path string, f Feature, detail, what string) {
		if f == FeatureAction {
			if engine != nil && engine.Action(detail) {
				return
			}
		} else if engine != nil && engine.Feature(f) {
			return
		}
		u := Unsupported{File: s.File, Path: path, Feature: f, Detail: detail, What: what}
		if p := s.src.At(path); p.Line > 0 {
			u.Line, u.Col = p.Line, p.Col
		}
		out = append(out, u)
	}

	env := &s.Environment
	if !env.Storage.IsEnabled() {
		add("environment.storage.enabled", FeatureNoStorage, "", "running without the storage (the environment always starts it)")
	}
	if env.App.Instances > 1 {
		add("environment.app.instances", FeatureAppInstances, strconv.Itoa(env.App.Instances),
			"more than one app instance ("+strconv.Itoa(env.App.Instances)+")")
	}
	if len(env.App.Env) > 0 {
		add("environment.app.env", FeatureAppEnv, "", "extra environment variables for the app")
	}
	if s.Workload.ReadsPerSecond > 0 {
		add("workload.reads_per_second", FeatureReads, "", "a read workload")
	}
	switch m := s.DR.Failover.Manager; m {
	case ManagerPatroni:
		add("dr.failover.manager", FeaturePatroni, m, "the failover manager patroni (Patroni with etcd)")
	case ManagerPgAutoFailover:
		add("dr.failover.manager", FeaturePgAutoFailover, m, "the failover manager pg_auto_failover (with its monitor)")
	}
	stack := failover.IsStack(s.DR.Failover.Manager)
	for i, b := range s.DR.Backups {
		add(fmt.Sprintf("dr.backups[%d]", i), FeatureBackups, b.Kind, "a "+b.Kind+" backup schedule")
		if stack && b.Kind == BackupPhysical {
			add(fmt.Sprintf("dr.backups[%d].kind", i), FeatureStackPhysicalBackups, s.DR.Failover.Manager,
				"a physical backup (its WAL archiving) under the failover manager "+s.DR.Failover.Manager)
		}
	}
	for _, plan := range RecoveryPlans(&s.DR.Recovery) {
		if len(plan.Steps) > 0 {
			add("dr.recovery."+plan.Name, FeatureRecoveryPlans, plan.Name, "the "+plan.Name+" recovery plan")
			if stack {
				add("dr.recovery."+plan.Name, FeatureStackRecoveryPlans, s.DR.Failover.Manager,
					"the "+plan.Name+" recovery plan under the failover manager "+s.DR.Failover.Manager+" (its steps rebuild nodes the stack would not manage)")
			}
		}
	}
	for i, f := range s.Timeline.Faults {
		path := fmt.Sprintf("timeline.faults[%d]", i)
		if _, known := actions[f.Action]; known {
			add(path+".action", FeatureAction, f.Action, "the action "+f.Action)
		}
		if f.Selector != nil {
			add(path+".selector", FeatureSelector, f.Selector.Mode, "choosing targets with a selector")
		}
		if f.Objectives != nil && (f.Objectives.RTO != nil || f.Objectives.RPO != nil) {
			add(path+".objectives", FeatureFaultObjectives, "", "a per-fault objective")
		}
	}
	if s.Monkey.IsEnabled() {
		add("monkey", FeatureMonkey, "", "the monkey")
	}
	for i := range s.Abort {
		add(fmt.Sprintf("abort[%d]", i), FeatureAbort, "", "an abort condition")
	}
	// File order, as errors are: the fields above are visited in struct
	// order, which a file need not follow. Without positions (a scenario
	// built in code) the struct order stays.
	slices.SortStableFunc(out, func(a, b Unsupported) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return out
}

// RecoveryPlan is one plan of dr.recovery, by its YAML name.
type RecoveryPlan struct {
	Name  string
	Steps []string
}

// RecoveryPlans lists the recovery plans of r in field order.
func RecoveryPlans(r *Recovery) []RecoveryPlan {
	return []RecoveryPlan{{"database", r.Database}, {"disk", r.Disk}, {"network", r.Network}, {"complete", r.Complete}}
}
