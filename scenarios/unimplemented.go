package scenarios

import (
	"fmt"
	"strconv"
)

// Unimplemented lists every feature the scenario uses that this build's
// engine does not execute yet, one line each, as
// "file:line:col: path: what" (the position is left out for a scenario
// built in code). The language runs ahead of the engine: validate and plan
// accept these scenarios, and `firedrill run` refuses them with this list
// rather than run a drill that silently leaves part of the file out.
//
// Call it on a scenario with its defaults applied (as Load returns it). An
// empty result means the engine runs everything the scenario says.
func (s *Scenario) Unimplemented() []string {
	var out []string
	add := func(path, what string) {
		e := &Error{File: s.File, Path: path, Msg: what + " is not executed by this build's engine yet"}
		if s.src != nil {
			if p := s.src.At(path); p.Line > 0 {
				e.Line, e.Col = p.Line, p.Col
			}
		}
		out = append(out, e.Error())
	}

	env := &s.Environment
	if !env.Storage.IsEnabled() {
		add("environment.storage.enabled", "running without the storage (the environment always starts it)")
	}
	if env.App.Instances > 1 {
		add("environment.app.instances", "more than one app instance ("+strconv.Itoa(env.App.Instances)+")")
	}
	if len(env.App.Env) > 0 {
		add("environment.app.env", "extra environment variables for the app")
	}
	if s.Workload.ReadsPerSecond > 0 {
		add("workload.reads_per_second", "a read workload")
	}
	for i, b := range s.DR.Backups {
		add(fmt.Sprintf("dr.backups[%d]", i), "a "+b.Kind+" backup schedule")
	}
	for _, plan := range []struct {
		name  string
		steps []string
	}{{"database", s.DR.Recovery.Database}, {"disk", s.DR.Recovery.Disk}, {"network", s.DR.Recovery.Network}, {"complete", s.DR.Recovery.Complete}} {
		if len(plan.steps) > 0 {
			add("dr.recovery."+plan.name, "the "+plan.name+" recovery plan")
		}
	}
	for i, f := range s.Timeline.Faults {
		path := fmt.Sprintf("timeline.faults[%d]", i)
		if a, ok := actions[f.Action]; ok && !a.implemented {
			add(path+".action", "the action "+f.Action)
		}
		if f.Selector != nil {
			add(path+".selector", "choosing targets with a selector")
		}
		if f.Objectives != nil && (f.Objectives.RTO != nil || f.Objectives.RPO != nil) {
			// The scorer judges every fault against objectives.rto/rpo.
			add(path+".objectives", "a per-fault objective")
		}
	}
	if s.Monkey.IsEnabled() {
		add("monkey", "the monkey")
	}
	for i := range s.Abort {
		add(fmt.Sprintf("abort[%d]", i), "an abort condition")
	}
	return out
}
