package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill/scenarios/internal/failover"
	"github.com/firedrill/firedrill/scenarios/internal/spec"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// The checks of what is injected: the timeline's faults, their targets,
// selectors and params, and the monkey.

func (v *validator) timeline() {
	tl := &v.s.Timeline
	end := tl.Duration.Duration
	switch {
	case end == 0 && !v.present("timeline.duration"):
		v.add("timeline.duration", "timeline.duration is required", "for example duration: 60s")
	case end < MinTimelineDuration:
		v.add("timeline.duration", fmt.Sprintf("duration must be at least %s, got %s", MinTimelineDuration, end),
			"a drill needs the time to inject a fault and see the recovery: for example 60s")
	case end > MaxTimelineDuration:
		v.add("timeline.duration", fmt.Sprintf("duration must be at most %s, got %s", MaxTimelineDuration, end),
			"split a longer game day into several drills")
	}
	for i := range tl.Faults {
		v.fault(fmt.Sprintf("timeline.faults[%d]", i), &tl.Faults[i], end)
	}
}

func (v *validator) fault(path string, f *Fault, end time.Duration) {
	atOK := false
	switch {
	case v.src != nil && !v.present(path+".at"):
		v.add(path+".at", "a fault needs at", "at: 0s injects it at the start")
	case f.At.Duration < 0:
		v.add(path+".at", "at must be >= 0, got "+f.At.String(), "")
	case end > 0 && f.At.Duration >= end:
		v.add(path+".at", fmt.Sprintf("the fault at %s is not before the end of the timeline (%s)", f.At, v.s.Timeline.Duration),
			fmt.Sprintf("make timeline.duration longer than %s or inject the fault earlier", f.At))
	default:
		atOK = true
	}

	a, known := spec.LookupAction(f.Action)
	switch {
	case f.Action == "":
		v.add(path+".action", "a fault needs an action", "one of "+strings.Join(ActionNames(), ", "))
	case !known:
		v.add(path+".action", fmt.Sprintf("unknown action %s", yamlpos.QuoteValue(f.Action)), yamlpos.DidYouMean(f.Action, ActionNames(), "actions are"))
	}

	switch {
	case (f.Target != "" || v.present(path+".target")) && f.Selector != nil:
		v.add(path+".selector", "a fault names a target or a selector, not both", "remove target or selector")
	case f.Selector != nil:
		v.selector(path+".selector", *f.Selector, f.Action, false)
	case f.Target == "" && !v.present(path+".target"):
		hint := "add target: postgres.primary, for example, or a selector"
		if known {
			hint = "add a target (" + strings.Join(v.targetsFor(a), ", ") + ") or a selector"
		}
		v.add(path+".target", "a fault needs a target or a selector", hint)
	default:
		v.target(path+".target", f.Target, f.Action)
	}

	if known {
		v.faultFor(path, f, a, end, atOK)
		v.params(path+".params", f, a)
	}
	if o := f.Objectives; o != nil {
		if o.RTO != nil && o.RTO.Duration <= 0 {
			v.add(path+".objectives.rto", "rto must be > 0, got "+o.RTO.String(), "leave it out to use objectives.rto")
		}
		if o.RPO != nil && o.RPO.Duration < 0 {
			v.add(path+".objectives.rpo", "rpo must be >= 0, got "+o.RPO.String(), "0s means no acknowledged write may be lost")
		}
	}
}

// faultFor checks a fault's `for` against its action and the timeline.
func (v *validator) faultFor(path string, f *Fault, a spec.Action, end time.Duration, atOK bool) {
	switch {
	case !a.Reversible && f.For != nil:
		v.add(path+".for", fmt.Sprintf("%s cannot be reverted, so it takes no for", f.Action),
			"remove for: the fault happens once; the DR engine has to deal with it")
	case !a.Reversible:
	case f.For == nil:
		v.add(path+".action", fmt.Sprintf("%s is reversible: the fault needs for, how long it lasts", f.Action),
			"add for: 30s, for example")
	case f.For.Duration <= 0:
		v.add(path+".for", "for must be > 0, got "+f.For.String(), "")
	case atOK && end > 0 && f.For.Duration > end-f.At.Duration: // at + for may overflow
		until := "the end of time"
		if f.For.Duration <= math.MaxInt64-f.At.Duration {
			until = (f.At.Duration + f.For.Duration).String()
		}
		v.add(path+".for", fmt.Sprintf("the fault lasts until %s, past the end of the timeline (%s)", until, v.s.Timeline.Duration),
			fmt.Sprintf("make for at most %s, or timeline.duration at least %s", end-f.At.Duration, until))
	}
}

// targetsFor lists the targets an action can name in this scenario.
func (v *validator) targetsFor(a spec.Action) []string {
	var out []string
	for _, t := range spec.ValidTargets(v.s, true) {
		if slices.Contains(a.Kinds, spec.TargetKind(t)) {
			out = append(out, t)
		}
	}
	return out
}

// target checks one target name, for the action (unknown or "": any kind).
// It reports whether the name is usable.
func (v *validator) target(path, target, actionName string) bool {
	a, known := spec.LookupAction(actionName)
	all := spec.ValidTargets(v.s, true)
	// Hints list what fits the action; for no action, the services (the
	// region targets serve a few network actions only).
	candidates := spec.ValidTargets(v.s, false)
	if known {
		candidates = v.targetsFor(a)
	}
	kind := spec.TargetKind(target)
	switch {
	case target == "":
		v.add(path, "the target is empty", "one of "+strings.Join(candidates, ", "))
	case target == TargetAnyReplica && len(v.s.Environment.Postgres.Replicas) == 0:
		v.add(path, "there is no replica to target", "add one under environment.postgres.replicas")
	case target == TargetStorage && !v.s.Environment.Storage.IsEnabled():
		v.add(path, "the storage is disabled (environment.storage.enabled: false)", "enable the storage or choose another target")
	case v.coordinationTarget(path, target):
	case !slices.Contains(all, target):
		v.add(path, fmt.Sprintf("unknown target %s", yamlpos.QuoteValue(target)), yamlpos.DidYouMean(target, candidates, "targets are"))
	case known && !slices.Contains(a.Kinds, kind):
		hint := "it applies to " + strings.Join(a.Kinds, ", ")
		if len(candidates) > 0 {
			hint = "it applies to " + strings.Join(candidates, ", ")
		}
		v.add(path, fmt.Sprintf("action %s cannot target %s", actionName, target), hint)
	default:
		return true
	}
	return false
}

// coordinationTarget reports (and says why) a target of the HA stacks'
// coordination that this scenario's manager does not run.
func (v *validator) coordinationTarget(path, target string) bool {
	msg, hint, bad := failover.TargetProblem(target, v.s.DR.Failover.Manager, v.s.Environment.Regions)
	if bad {
		v.add(path, msg, hint)
	}
	return bad
}

// selector checks a selector, for the action (unknown or "": any); in the
// monkey, mode is not allowed.
func (v *validator) selector(path string, sel Selector, actionName string, monkey bool) bool {
	ok := true
	if sel.Role == "" && sel.Region == "" && len(sel.Labels) == 0 {
		v.add(path, "a selector needs role, region or labels", "an empty selector would match every service: say which")
		return false
	}
	if sel.Role != "" && !slices.Contains(spec.Roles, sel.Role) {
		v.add(path+".role", fmt.Sprintf("unknown role %s", yamlpos.QuoteValue(sel.Role)), yamlpos.DidYouMean(sel.Role, spec.Roles, "roles are"))
		ok = false
	}
	if sel.Region != "" && !slices.Contains(v.s.Environment.Regions, sel.Region) {
		v.add(path+".region", fmt.Sprintf("unknown region %s", yamlpos.QuoteValue(sel.Region)), yamlpos.DidYouMean(sel.Region, v.s.Environment.Regions, "regions are"))
		ok = false
	}
	v.labels(path+".labels", sel.Labels)
	switch {
	case monkey && v.present(path+".mode"):
		v.add(path+".mode", "the monkey always picks one target at random: mode is not allowed here", "remove mode")
	case !monkey && !slices.Contains(spec.Modes, sel.Mode):
		v.add(path+".mode", fmt.Sprintf("unknown mode %s", yamlpos.QuoteValue(sel.Mode)), yamlpos.DidYouMean(sel.Mode, spec.Modes, "modes are"))
	}
	if !ok {
		return false
	}
	matched := v.s.Matches(sel)
	if len(matched) == 0 {
		v.add(path, "the selector matches no service", "services are "+spec.DescribeServices(v.s))
		return false
	}
	if a, known := spec.LookupAction(actionName); known {
		if !slices.ContainsFunc(a.Kinds, func(k string) bool { return slices.Contains(spec.ServiceKinds, k) }) {
			v.add(path, fmt.Sprintf("%s applies to a region, which a selector cannot pick", actionName), "write target: region.<name>")
			return false
		}
		fits := slices.DeleteFunc(slices.Clone(matched), func(t string) bool { return !slices.Contains(a.Kinds, spec.TargetKind(t)) })
		if len(fits) == 0 {
			v.add(path, fmt.Sprintf("the selector matches %s, none of which %s applies to", strings.Join(matched, ", "), actionName),
				"it applies to "+strings.Join(a.Kinds, ", "))
			return false
		}
	}
	return true
}

// params checks a fault's params against its action.
func (v *validator) params(path string, f *Fault, a spec.Action) {
	p := &f.Params
	for _, name := range spec.ParamFields {
		if spec.ParamUnset(p, name) && !v.present(path+"."+name) {
			continue
		}
		if a.Takes(name) {
			continue
		}
		hint := "remove it"
		if len(a.Params) > 0 {
			hint = fmt.Sprintf("%s takes %s", f.Action, strings.Join(a.ParamNames(), ", "))
		}
		msg := fmt.Sprintf("%s takes no params", f.Action)
		if len(a.Params) > 0 {
			msg = fmt.Sprintf("%s does not take %s", f.Action, name)
		}
		v.add(path+"."+name, msg, hint)
	}
	for _, ap := range a.Params {
		if ap.Required && spec.ParamUnset(p, ap.Name) {
			where := path
			if !v.present(path) {
				where = strings.TrimSuffix(path, ".params") + ".action"
			}
			v.add(where, fmt.Sprintf("%s needs params.%s", f.Action, ap.Name), paramExample[ap.Name])
		}
	}
	if p.Grace != nil && a.Takes("grace") && p.Grace.Duration < 0 {
		v.add(path+".grace", "grace must be >= 0, got "+p.Grace.String(), "0s sends SIGKILL at once")
	}
	if p.Delay != nil && a.Takes("delay") && p.Delay.Duration <= 0 {
		v.add(path+".delay", "delay must be > 0, got "+p.Delay.String(), "for example 200ms")
	}
	if p.Jitter != nil && a.Takes("jitter") {
		switch {
		case p.Jitter.Duration < 0:
			v.add(path+".jitter", "jitter must be >= 0, got "+p.Jitter.String(), "")
		case p.Delay != nil && p.Delay.Duration > 0 && p.Jitter.Duration > p.Delay.Duration:
			v.add(path+".jitter", fmt.Sprintf("jitter %s is larger than delay %s", p.Jitter, p.Delay),
				"a packet cannot arrive before it was sent: make jitter <= delay")
		}
	}
	if p.Percent != nil && a.Takes("percent") && !(*p.Percent > 0 && *p.Percent <= spec.MaxPercent) {
		v.add(path+".percent", fmt.Sprintf("percent must be > 0 and <= %d, got %s", spec.MaxPercent, formatFloat(*p.Percent)), "")
	}
	if a.Takes("rate") && (p.Rate != "" || v.present(path+".rate")) && !rateRE.MatchString(p.Rate) {
		v.add(path+".rate", fmt.Sprintf("invalid rate %s", yamlpos.QuoteValue(p.Rate)), rateHint(p.Rate))
	}
	if a.Takes("size") && (p.Size != "" || v.present(path+".size")) {
		switch {
		case !sizeRE.MatchString(p.Size):
			v.add(path+".size", fmt.Sprintf("invalid size %s", yamlpos.QuoteValue(p.Size)), "a number and a unit: B, KB, MB, GB, KiB, MiB or GiB, such as 512MiB")
		case strings.Trim(p.Size, "0.BKMGi") == "":
			v.add(path+".size", "size must be > 0, got "+p.Size, "")
		case v.present(path + ".percent"):
			v.add(path+".size", "disk-fill takes percent or size, not both", "remove one of them")
		default:
			v.fillSize(path+".size", p.Size)
		}
	}
	if a.Takes("to") {
		v.partitionTo(path+".to", f)
	}
}

// paramExample is the hint for a missing required parameter.
var paramExample = map[string]string{
	"delay": "for example params: {delay: 200ms}",
	"rate":  "for example params: {rate: 1mbit}",
}

func rateHint(rate string) string {
	const units = "a number and a unit per second: bit, kbit, mbit or gbit, such as 1mbit"
	lower := strings.ToLower(rate)
	for _, b := range []string{"kbps", "mbps", "gbps"} {
		if n, ok := strings.CutSuffix(lower, b); ok && n != "" {
			return "rates are in bits per second: write " + n + b[:1] + "bit"
		}
	}
	if rate != lower && rateRE.MatchString(lower) {
		return "write " + lower
	}
	return units
}

// partitionTo checks the other side of a partition.
func (v *validator) partitionTo(path string, f *Fault) {
	seen := map[string]int{}
	for i, t := range f.Params.To {
		p := fmt.Sprintf("%s[%d]", path, i)
		if j, dup := seen[t]; dup {
			v.add(p, fmt.Sprintf("%s is listed twice (also to[%d])", yamlpos.QuoteValue(t), j), "remove one of them")
			continue
		}
		seen[t] = i
		if !v.target(p, t, ActionPartition) {
			continue
		}
		if t == f.Target {
			v.add(p, fmt.Sprintf("%s is the fault's target: a partition needs two sides", t), "list the other side in to")
		}
	}
}

func (v *validator) monkey() {
	m := v.s.Monkey
	if m == nil {
		return
	}
	const p = "monkey."
	if m.MeanInterval.Duration < spec.MinRepeat {
		v.add(p+"mean_interval", fmt.Sprintf("mean_interval must be at least %s, got %s", spec.MinRepeat, m.MeanInterval), "for example 30s")
	}
	if m.MaxAtOnce < 1 {
		v.add(p+"max_at_once", fmt.Sprintf("max_at_once must be >= 1, got %d", m.MaxAtOnce), "")
	}

	// The pool of targets: the ones named and the ones selected.
	var pool []string
	if len(m.Targets) == 0 && len(m.Selectors) == 0 && v.present(p+"targets") {
		v.add(p+"targets", "the monkey has nothing to target", "list targets, or leave targets out for the primary and the replicas")
	}
	seen := map[string]int{}
	for i, t := range m.Targets {
		path := fmt.Sprintf("%stargets[%d]", p, i)
		if j, dup := seen[t]; dup {
			v.add(path, fmt.Sprintf("target %s is listed twice (also targets[%d])", yamlpos.QuoteValue(t), j), "remove one of them")
			continue
		}
		seen[t] = i
		if v.target(path, t, "") {
			pool = append(pool, t)
		}
	}
	for i, sel := range m.Selectors {
		path := fmt.Sprintf("%sselectors[%d]", p, i)
		if v.selector(path, sel, "", true) {
			pool = append(pool, v.s.Matches(sel)...)
		}
	}

	if len(m.Actions) == 0 && v.present(p+"actions") {
		v.add(p+"actions", "the monkey has no action", "leave actions out for [kill]")
	}
	reversible := false
	var usable []string // the actions without a problem of their own
	seenAction := map[string]int{}
	for i, name := range m.Actions {
		path := fmt.Sprintf("%sactions[%d]", p, i)
		a, known := spec.LookupAction(name)
		switch {
		case !known:
			v.add(path, fmt.Sprintf("unknown action %s", yamlpos.QuoteValue(name)), yamlpos.DidYouMean(name, ActionNames(), "actions are"))
			continue
		case seenAction[name] > 0:
			v.add(path, fmt.Sprintf("action %s is listed twice (also actions[%d])", name, seenAction[name]-1), "remove one of them")
			continue
		}
		seenAction[name] = i + 1
		reversible = reversible || a.Reversible
		if req := a.RequiredParams(); len(req) > 0 {
			v.add(path, fmt.Sprintf("the monkey cannot use %s: it needs params.%s, which only a timeline fault can give", name, strings.Join(req, ", params.")),
				"schedule it in timeline.faults")
			continue
		}
		usable = append(usable, name)
		if len(pool) > 0 && !slices.ContainsFunc(pool, func(t string) bool { return slices.Contains(a.Kinds, spec.TargetKind(t)) }) {
			v.add(path, fmt.Sprintf("no monkey target fits %s: it applies to %s", name, strings.Join(a.Kinds, ", ")),
				"add such a target to monkey.targets, or remove the action")
		}
	}
	for i, t := range m.Targets {
		// Only against actions that are known and usable: a misspelt
		// action is reported once, not again at every target.
		if len(usable) == 0 || len(usable) < len(m.Actions) || !slices.Contains(pool, t) || v.filled[p+"targets"] {
			continue
		}
		if !slices.ContainsFunc(usable, func(name string) bool { return appliesTo(name, t) }) {
			v.add(fmt.Sprintf("%stargets[%d]", p, i), fmt.Sprintf("none of the monkey's actions applies to %s", t), "remove the target, or add an action that fits it")
		}
	}

	switch {
	case !reversible && (m.FaultDuration.Duration != 0 || v.present(p+"fault_duration")):
		v.add(p+"fault_duration", "fault_duration applies to reversible actions, and the monkey has none", "remove fault_duration")
	case reversible && m.FaultDuration.Duration <= 0:
		v.add(p+"fault_duration", "fault_duration must be > 0, got "+m.FaultDuration.String(), "for example 10s")
	}

	end := v.s.Timeline.Duration.Duration
	start, stop := m.Between.Start.Duration, m.Between.End.Duration
	switch {
	case start < 0:
		v.add(p+"between.start", "start must be >= 0, got "+m.Between.Start.String(), "")
	case end > 0 && start >= end:
		v.add(p+"between.start", fmt.Sprintf("the monkey's window starts at %s, not before the end of the timeline (%s)", m.Between.Start, v.s.Timeline.Duration),
			"start the window earlier")
	case end <= 0 || v.filled[p+"between.end"]:
		// No timeline to compare with, or the end is the timeline's.
	case stop > end:
		v.add(p+"between.end", fmt.Sprintf("the monkey's window ends at %s, after the end of the timeline (%s)", m.Between.End, v.s.Timeline.Duration),
			fmt.Sprintf("make end at most %s, or leave it out", v.s.Timeline.Duration))
	case stop <= start:
		v.add(p+"between.end", fmt.Sprintf("the monkey's window ends at %s, not after its start (%s)", m.Between.End, m.Between.Start), "")
	}
}

// appliesTo reports whether the action name can target target.
func appliesTo(name, target string) bool {
	a, _ := spec.LookupAction(name)
	return slices.Contains(a.Kinds, spec.TargetKind(target))
}
