package failover

import "time"

// The builtin manager's defaults.
const (
	DefaultCheckInterval        = time.Second
	DefaultCheckTimeout         = time.Second // capped to the check interval
	DefaultFailuresBeforeAction = 2
	DefaultFencing              = FenceStop
)

// Patroni's own defaults and limits, as Patroni 3.0 documents them (its
// "Dynamic Configuration Settings": ttl 30, loop_wait 10, retry_timeout
// 10, in seconds, and the rule loop_wait + 2 × retry_timeout <= ttl; the
// same page of the 3.x documentation states the minimums 20, 1 and 3, of
// which Patroni 3.0.2 enforces none but the rule) and
// ships them (the default dynamic configuration of its config module:
// maximum_lag_on_failover 1048576 bytes). docs/scenario.md, "Failover
// managers", lists them.
const (
	PatroniDefaultTTL                  = 30 * time.Second
	PatroniDefaultLoopWait             = 10 * time.Second
	PatroniDefaultRetryTimeout         = 10 * time.Second
	PatroniDefaultMaximumLagOnFailover = 1 << 20 // bytes

	// PatroniMinTTL is what the rule loop_wait + 2 × retry_timeout <= ttl
	// leaves at the other two minimums. The 3.x documentation's floor of
	// 20s is not Patroni 3.0.2's: its configuration validator (the
	// version firedrill's image ships) reads ttl as any integer, so the
	// tuned setting drills compare against (ttl 10s, loop_wait 1s) is
	// accepted. A later Patroni named as the image may raise a ttl under
	// 20s.
	PatroniMinTTL          = PatroniMinLoopWait + 2*PatroniMinRetryTimeout
	PatroniMinLoopWait     = time.Second
	PatroniMinRetryTimeout = 3 * time.Second
	// PatroniUnit: Patroni reads its timings as whole seconds.
	PatroniUnit = time.Second
)

// The pg_auto_failover 2.0 monitor's own defaults and limits: the
// pgautofailover.* parameters as its monitor extension defines them
// (each an integer of milliseconds from 1 up, health_check_max_retries
// from 1 to 100), and as its configuration page ("pg_autoctl
// configuration", the monitor's settings) lists them. docs/scenario.md,
// "Failover managers", lists them.
const (
	PgAutoFailoverDefaultHealthCheckPeriod              = 5 * time.Second
	PgAutoFailoverDefaultHealthCheckTimeout             = 5 * time.Second
	PgAutoFailoverDefaultHealthCheckMaxRetries          = 2
	PgAutoFailoverDefaultHealthCheckRetryDelay          = 2 * time.Second
	PgAutoFailoverDefaultNodeConsideredUnhealthyTimeout = 20 * time.Second
	PgAutoFailoverDefaultPrimaryDemoteTimeout           = 30 * time.Second

	PgAutoFailoverMinDuration   = time.Millisecond
	PgAutoFailoverMaxRetries    = 100
	PgAutoFailoverUnit          = time.Millisecond // the parameters are whole milliseconds
	pgAutoFailoverMaxDurationMs = 1<<31 - 1        // INT_MAX milliseconds
)

// MaxSetting bounds every timing of a stack: the longest timeline a drill
// may have (spec.MaxTimelineDuration; a test keeps them equal), since a
// manager that waits longer could never act within a drill. It also keeps
// the worst-case sums far from overflowing.
const MaxSetting = 168 * time.Hour

// FillDefaults fills the unset fields of f, dr.failover. unset(path,
// zero) reports whether the field at path ("dr.failover.manager") is to
// be filled: zero says it holds its zero value, and unset records the
// path as filled. The builtin manager's fields are filled for builtin and
// none (none keeps them, unused, as enabled: false always has); a stack's
// block only for that stack, whose defaults are its own.
func FillDefaults(f *Failover, unset func(path string, zero bool) bool) {
	const p = "dr.failover."
	if unset(p+"manager", f.Manager == "") {
		f.Manager = ManagerBuiltin
		if f.Enabled != nil && !*f.Enabled {
			f.Manager = ManagerNone
		}
	}
	if unset(p+"enabled", f.Enabled == nil) {
		f.Enabled = new(f.Manager != ManagerNone)
	}
	switch f.Manager {
	case ManagerPatroni:
		if f.Patroni == nil {
			f.Patroni = &Patroni{}
		}
		fillPatroni(f.Patroni, unset)
		return
	case ManagerPgAutoFailover:
		if f.PgAutoFailover == nil {
			f.PgAutoFailover = &PgAutoFailover{}
		}
		fillPgAutoFailover(f.PgAutoFailover, unset)
		return
	case ManagerBuiltin, ManagerNone:
	default:
		return // an unknown manager: the validator says so
	}
	if unset(p+"check_interval", f.CheckInterval.Duration == 0) {
		f.CheckInterval.Duration = DefaultCheckInterval
	}
	if unset(p+"check_timeout", f.CheckTimeout.Duration == 0) {
		f.CheckTimeout.Duration = DefaultCheckTimeout
		if iv := f.CheckInterval.Duration; iv > 0 && iv < f.CheckTimeout.Duration {
			f.CheckTimeout.Duration = iv
		}
	}
	if unset(p+"failures_before_action", f.FailuresBeforeAction == 0) {
		f.FailuresBeforeAction = DefaultFailuresBeforeAction
	}
	if unset(p+"fencing", f.Fencing == "") {
		f.Fencing = DefaultFencing
	}
}

func fillPatroni(pt *Patroni, unset func(path string, zero bool) bool) {
	const p = "dr.failover.patroni."
	fillDuration(&pt.TTL, p+"ttl", PatroniDefaultTTL, unset)
	fillDuration(&pt.LoopWait, p+"loop_wait", PatroniDefaultLoopWait, unset)
	fillDuration(&pt.RetryTimeout, p+"retry_timeout", PatroniDefaultRetryTimeout, unset)
	if unset(p+"maximum_lag_on_failover", pt.MaximumLagOnFailover == 0) {
		pt.MaximumLagOnFailover = PatroniDefaultMaximumLagOnFailover
	}
}

func fillPgAutoFailover(pa *PgAutoFailover, unset func(path string, zero bool) bool) {
	const p = "dr.failover.pg_auto_failover."
	fillDuration(&pa.HealthCheckPeriod, p+"health_check_period", PgAutoFailoverDefaultHealthCheckPeriod, unset)
	fillDuration(&pa.HealthCheckTimeout, p+"health_check_timeout", PgAutoFailoverDefaultHealthCheckTimeout, unset)
	if unset(p+"health_check_max_retries", pa.HealthCheckMaxRetries == 0) {
		pa.HealthCheckMaxRetries = PgAutoFailoverDefaultHealthCheckMaxRetries
	}
	fillDuration(&pa.HealthCheckRetryDelay, p+"health_check_retry_delay", PgAutoFailoverDefaultHealthCheckRetryDelay, unset)
	fillDuration(&pa.NodeConsideredUnhealthyTimeout, p+"node_considered_unhealthy_timeout", PgAutoFailoverDefaultNodeConsideredUnhealthyTimeout, unset)
	fillDuration(&pa.PrimaryDemoteTimeout, p+"primary_demote_timeout", PgAutoFailoverDefaultPrimaryDemoteTimeout, unset)
}

func fillDuration(d *Duration, path string, def time.Duration, unset func(path string, zero bool) bool) {
	if unset(path, d.Duration == 0) {
		d.Duration = def
	}
}
