package failover

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// Reporter receives the problems of dr.failover: package scenarios'
// validator, which places each at its field's file:line:col.
type Reporter interface {
	// Add records a problem with the field at path ("dr.failover.manager").
	Add(path, msg, hint string)
	// Present reports whether the field at path was written in the file.
	Present(path string) bool
}

// MinCheckInterval is the builtin manager's shortest check_interval.
const MinCheckInterval = 10 * time.Millisecond

const prefix = "dr.failover."

// builtinField is one of the builtin manager's fields, and what each
// stack has in its place, for the error that names it with another
// manager.
type builtinField struct {
	name       string
	set        func(f *Failover) bool
	patroni    string
	pgFailover string
}

var builtinFields = []builtinField{
	{"check_interval", func(f *Failover) bool { return f.CheckInterval.Duration != 0 },
		"Patroni's rounds are dr.failover.patroni.loop_wait", "the monitor's checks are dr.failover.pg_auto_failover.health_check_period"},
	{"check_timeout", func(f *Failover) bool { return f.CheckTimeout.Duration != 0 },
		"Patroni's retries are bounded by dr.failover.patroni.retry_timeout", "a check's timeout is dr.failover.pg_auto_failover.health_check_timeout"},
	{"failures_before_action", func(f *Failover) bool { return f.FailuresBeforeAction != 0 },
		"Patroni fails over when the leader lock expires: dr.failover.patroni.ttl", "the retries are dr.failover.pg_auto_failover.health_check_max_retries"},
	{"fencing", func(f *Failover) bool { return f.Fencing != "" },
		"Patroni demotes the old primary itself: remove fencing", "pg_auto_failover's keeper demotes the old primary itself: remove fencing"},
}

// Check reports every problem of f, dr.failover with its defaults
// applied, to r. It returns whether the manager's timings are valid, so
// that the detection can be compared with the timeline.
func Check(f *Failover, r Reporter) (timingsOK bool) {
	if !slices.Contains(Managers, f.Manager) {
		r.Add(prefix+"manager", fmt.Sprintf("unknown failover manager %s", yamlpos.QuoteValue(f.Manager)),
			yamlpos.DidYouMean(f.Manager, Managers, "managers are"))
		return false
	}
	checkEnabled(f, r)
	checkBlocks(f, r)
	// Both checks run: the stack's own settings are wrong or right
	// whatever the builtin fields beside them (all errors at once; and
	// `run --manager` drops those fields with a note, not the others).
	switch f.Manager {
	case ManagerPatroni:
		builtinOK := notBuiltin(f, r, "patroni")
		return checkPatroni(f.Patroni, r) && builtinOK
	case ManagerPgAutoFailover:
		builtinOK := notBuiltin(f, r, "pg_auto_failover")
		return checkPgAutoFailover(f.PgAutoFailover, r) && builtinOK
	}
	return checkBuiltin(f, r)
}

// checkEnabled refuses an enabled that says the opposite of manager.
func checkEnabled(f *Failover, r Reporter) {
	on := f.Enabled == nil || *f.Enabled
	switch {
	case on && f.Manager == ManagerNone && r.Present(prefix+"enabled"):
		r.Add(prefix+"enabled", "enabled: true runs a failover manager, and manager is none",
			"remove enabled, or name the manager: "+ManagerBuiltin+", "+ManagerPatroni+" or "+ManagerPgAutoFailover)
	case !on && f.Manager != ManagerNone && (f.Manager != ManagerBuiltin || r.Present(prefix+"manager")):
		r.Add(prefix+"enabled", fmt.Sprintf("enabled: false runs no failover manager, and manager is %s", f.Manager),
			"write manager: none alone to run none, or remove enabled: false to run "+f.Manager)
	}
}

// checkBlocks refuses a stack's block with another manager.
func checkBlocks(f *Failover, r Reporter) {
	for _, b := range []struct {
		name  string
		given bool
	}{{ManagerPatroni, f.Patroni != nil}, {ManagerPgAutoFailover, f.PgAutoFailover != nil}} {
		if !b.given || f.Manager == b.name {
			continue
		}
		hint := "write manager: " + b.name + ", or remove the block"
		if !r.Present(prefix + "manager") {
			hint = "add manager: " + b.name + " to run it, or remove the block"
		}
		r.Add(prefix+b.name, fmt.Sprintf("the %s settings are for manager: %s, and the manager is %s", b.name, b.name, f.Manager), hint)
	}
}

// notBuiltin refuses the builtin manager's fields with a stack, naming
// what the stack has in their place. It reports whether there was none.
func notBuiltin(f *Failover, r Reporter, stack string) bool {
	ok := true
	for _, bf := range builtinFields {
		path := prefix + bf.name
		if !bf.set(f) && !r.Present(path) {
			continue
		}
		instead := bf.patroni
		if stack == ManagerPgAutoFailover {
			instead = bf.pgFailover
		}
		r.Add(path, fmt.Sprintf("%s belongs to the builtin manager, and the manager is %s", bf.name, stack), instead)
		ok = false
	}
	return ok
}

// checkBuiltin checks the builtin manager's settings (also with none and
// enabled: false, which keep them for switching back).
func checkBuiltin(f *Failover, r Reporter) bool {
	ok := true
	iv, to := f.CheckInterval.Duration, f.CheckTimeout.Duration
	if iv < MinCheckInterval {
		r.Add(prefix+"check_interval", fmt.Sprintf("check_interval must be at least %s, got %s", MinCheckInterval, iv), "for example 1s")
		ok = false
	}
	switch {
	case to <= 0:
		r.Add(prefix+"check_timeout", "check_timeout must be > 0, got "+to.String(), "for example 1s")
		ok = false
	case iv > 0 && to > iv:
		r.Add(prefix+"check_timeout", fmt.Sprintf("check_timeout %s is longer than check_interval %s", to, iv),
			"a check must end before the next one starts: make check_timeout <= check_interval")
	}
	if f.FailuresBeforeAction < 1 {
		r.Add(prefix+"failures_before_action", fmt.Sprintf("failures_before_action must be >= 1, got %d", f.FailuresBeforeAction), "")
		ok = false
	}
	if !slices.Contains(Fencings, f.Fencing) {
		r.Add(prefix+"fencing", fmt.Sprintf("unknown fencing %s", yamlpos.QuoteValue(f.Fencing)), yamlpos.DidYouMean(f.Fencing, Fencings, "one of"))
	}
	return ok
}

// timing is one of a stack's durations with its range and unit.
type timing struct {
	path     string
	d        time.Duration
	min, max time.Duration
	unit     time.Duration
	unitName string
	example  string
}

// check reports whether t is in its range and a whole number of its unit.
func (t timing) check(r Reporter) bool {
	name := t.path[lastDot(t.path)+1:]
	switch {
	case t.d < t.min || t.d > t.max:
		r.Add(t.path, fmt.Sprintf("%s must be from %s to %s, got %s", name, t.min, t.max, t.d), "for example "+t.example)
	case t.d%t.unit != 0:
		r.Add(t.path, fmt.Sprintf("%s is whole %s for the stack, got %s", name, t.unitName, t.d),
			fmt.Sprintf("write %s or %s", t.d.Truncate(t.unit), t.d.Truncate(t.unit)+t.unit))
	default:
		return true
	}
	return false
}

func lastDot(s string) int { return strings.LastIndex(s, ".") }

// checkPatroni checks Patroni's settings against Patroni's own rules.
func checkPatroni(pt *Patroni, r Reporter) bool {
	const p = prefix + "patroni."
	ok := true
	for _, t := range []timing{
		{p + "ttl", pt.TTL.Duration, PatroniMinTTL, MaxSetting, PatroniUnit, "seconds", "30s"},
		{p + "loop_wait", pt.LoopWait.Duration, PatroniMinLoopWait, MaxSetting, PatroniUnit, "seconds", "10s"},
		{p + "retry_timeout", pt.RetryTimeout.Duration, PatroniMinRetryTimeout, MaxSetting, PatroniUnit, "seconds", "10s"},
	} {
		ok = t.check(r) && ok
	}
	if pt.MaximumLagOnFailover < 0 {
		r.Add(p+"maximum_lag_on_failover", fmt.Sprintf("maximum_lag_on_failover is bytes of WAL, >= 0, got %d", pt.MaximumLagOnFailover),
			"leave it out for Patroni's 1048576 (1 MiB)")
	}
	if !ok {
		return false
	}
	// Patroni's rule: the primary must be able to retry for retry_timeout
	// twice within one round before its lock expires, or it demotes itself
	// over a short etcd outage.
	if need := pt.LoopWait.Duration + 2*pt.RetryTimeout.Duration; need > pt.TTL.Duration {
		path := p + "ttl"
		if !r.Present(path) {
			path = p + "retry_timeout"
			if !r.Present(path) {
				path = p + "loop_wait"
			}
		}
		r.Add(path, fmt.Sprintf("loop_wait %s + 2 × retry_timeout %s is %s, more than ttl %s: Patroni requires loop_wait + 2 × retry_timeout <= ttl",
			pt.LoopWait, pt.RetryTimeout, need, pt.TTL),
			fmt.Sprintf("raise ttl to at least %s, or lower loop_wait or retry_timeout", need))
		return false
	}
	return true
}

// checkPgAutoFailover checks the monitor's settings against the ranges of
// its own parameters.
func checkPgAutoFailover(pa *PgAutoFailover, r Reporter) bool {
	const p = prefix + "pg_auto_failover."
	most := min(MaxSetting, pgAutoFailoverMaxDurationMs*time.Millisecond)
	ok := true
	for _, t := range []timing{
		{p + "health_check_period", pa.HealthCheckPeriod.Duration, PgAutoFailoverMinDuration, most, PgAutoFailoverUnit, "milliseconds", "5s"},
		{p + "health_check_timeout", pa.HealthCheckTimeout.Duration, PgAutoFailoverMinDuration, most, PgAutoFailoverUnit, "milliseconds", "5s"},
		{p + "health_check_retry_delay", pa.HealthCheckRetryDelay.Duration, PgAutoFailoverMinDuration, most, PgAutoFailoverUnit, "milliseconds", "2s"},
		{p + "node_considered_unhealthy_timeout", pa.NodeConsideredUnhealthyTimeout.Duration, PgAutoFailoverMinDuration, most, PgAutoFailoverUnit, "milliseconds", "20s"},
		{p + "primary_demote_timeout", pa.PrimaryDemoteTimeout.Duration, PgAutoFailoverMinDuration, most, PgAutoFailoverUnit, "milliseconds", "30s"},
	} {
		ok = t.check(r) && ok
	}
	if n := pa.HealthCheckMaxRetries; n < 1 || n > PgAutoFailoverMaxRetries {
		r.Add(p+"health_check_max_retries", fmt.Sprintf("health_check_max_retries must be from 1 to %d, got %d", PgAutoFailoverMaxRetries, n),
			"leave it out for pg_auto_failover's 2")
		ok = false
	}
	return ok
}
