package failover

import "github.com/firedrill/firedrill/scenarios/internal/units"

// Duration is a scenario duration ("15s").
type Duration = units.Duration

// The failover managers of dr.failover.manager.
const (
	ManagerBuiltin        = "builtin"          // firedrill's own manager (dr/failover)
	ManagerPatroni        = "patroni"          // Patroni, with etcd as its store
	ManagerPgAutoFailover = "pg_auto_failover" // pg_auto_failover's monitor and keepers
	ManagerNone           = "none"             // nothing fails over: the same as enabled: false
)

// Name is the manager as results and reports name it: its Label when
// `firedrill run --manager` gave it settings, else dr.failover.manager.
func (f Failover) Name() string {
	if f.Label != "" {
		return f.Label
	}
	return f.Manager
}

// IsStack reports whether manager is one of the HA stacks, which fail
// over by themselves and have settings blocks of their own.
func IsStack(manager string) bool {
	return manager == ManagerPatroni || manager == ManagerPgAutoFailover
}

// Managers are the accepted Failover.Manager values, in hint order.
var Managers = []string{ManagerBuiltin, ManagerPatroni, ManagerPgAutoFailover, ManagerNone}

// Failover configures the failover manager.
type Failover struct {
	// Manager is what fails the cluster over: "builtin" (the default:
	// firedrill's own manager, set by check_interval, check_timeout,
	// failures_before_action and fencing), "patroni" (Patroni with etcd
	// as its store, set by the patroni block), "pg_auto_failover" (its
	// monitor and keepers, set by the pg_auto_failover block) or "none"
	// (nothing fails over, as enabled: false). Everything else in the
	// scenario stays the same whichever runs, so that the managers can be
	// compared on one drill.
	Manager string `yaml:"manager" schema:"enum=managers"`
	// Label names the manager in results and reports when `firedrill run
	// --manager` gave it settings of its own ("patroni{ttl: 10s}"): a
	// variant of the manager, compared as a manager of its own. Empty
	// otherwise (the manager's name stands). Not part of the language.
	Label string `yaml:"-"`
	// Enabled runs the failover manager; default true, false when manager
	// is none. enabled: false is the older spelling of manager: none, and
	// with it a manager left out defaults to none; enabled: false with a
	// manager other than none, or enabled: true with none, is an error.
	Enabled *bool `yaml:"enabled"`
	// CheckInterval is the time between two health checks (SELECT 1) of
	// the primary; default 1s, at least 10ms. The worst-case detection,
	// check_interval × failures_before_action + check_timeout, must fit in
	// the timeline. The builtin manager's only.
	CheckInterval Duration `yaml:"check_interval" schema:"exclusiveMin=0"`
	// CheckTimeout bounds one health check; default 1s capped to
	// check_interval, must be > 0 and <= check_interval. The builtin
	// manager's only.
	CheckTimeout Duration `yaml:"check_timeout" schema:"exclusiveMin=0"`
	// FailuresBeforeAction is how many consecutive failed checks trigger a
	// failover; default 2, must be >= 1. The builtin manager's only.
	FailuresBeforeAction int `yaml:"failures_before_action" schema:"min=1"`
	// Fencing is how the old primary is fenced before the promotion, so
	// that it cannot accept writes if it comes back: "stop" (the default)
	// stops its container, "disconnect" cuts it off its networks. The
	// builtin manager's only: Patroni and pg_auto_failover demote the old
	// primary themselves.
	Fencing string `yaml:"fencing" schema:"enum=fencings"`
	// Patroni holds Patroni's timings, for manager: patroni only; each
	// left out is Patroni's own default.
	Patroni *Patroni `yaml:"patroni,omitempty"`
	// PgAutoFailover holds the pg_auto_failover monitor's health-check
	// settings, for manager: pg_auto_failover only; each left out is
	// pg_auto_failover's own default.
	PgAutoFailover *PgAutoFailover `yaml:"pg_auto_failover,omitempty"`
}

// IsEnabled reports whether a failover manager runs: enabled is not false
// and the manager is not none (a scenario built in code that leaves both
// out runs the builtin manager).
func (f Failover) IsEnabled() bool {
	return (f.Enabled == nil || *f.Enabled) && f.Manager != ManagerNone
}

// Fencing methods of the builtin manager.
const (
	FenceStop       = "stop"       // stop the old primary's container
	FenceDisconnect = "disconnect" // cut the old primary off its networks
)

// Fencings is the set of accepted Failover.Fencing values, in the order
// hints list them.
var Fencings = []string{FenceStop, FenceDisconnect}

// Patroni is Patroni's dynamic configuration that decides when it fails
// over, under Patroni's own names. Patroni writes them as whole seconds
// and bytes; here the timings are durations ("30s").
type Patroni struct {
	// TTL is Patroni's ttl: how long the leader lock lives unless the
	// primary renews it, that is how long a replica waits before it may
	// race for the lead. Whole seconds, at least 7s; default 30s.
	TTL Duration `yaml:"ttl" schema:"exclusiveMin=0"`
	// LoopWait is Patroni's loop_wait: how long each node's Patroni
	// sleeps between two rounds (the primary renews its lock once a
	// round). Whole seconds, at least 1s; default 10s.
	LoopWait Duration `yaml:"loop_wait" schema:"exclusiveMin=0"`
	// RetryTimeout is Patroni's retry_timeout: how long etcd and Postgres
	// operations are retried, so that an outage of etcd shorter than this
	// does not demote the primary. Whole seconds, at least 3s; default
	// 10s. loop_wait + 2 × retry_timeout must not exceed ttl.
	RetryTimeout Duration `yaml:"retry_timeout" schema:"exclusiveMin=0"`
	// MaximumLagOnFailover is Patroni's maximum_lag_on_failover: the most
	// bytes of WAL a replica may lag behind and still be promoted; a
	// whole number >= 0, default 1048576 (1 MiB).
	MaximumLagOnFailover int64 `yaml:"maximum_lag_on_failover" schema:"min=0"`
	// Image is the image of the Postgres nodes Patroni runs; left out,
	// firedrill's own (Patroni 3.0 on Postgres 15, built from Debian's
	// packages). One of your own must keep its contract: the Postgres 15
	// server binaries in /usr/lib/postgresql/15/bin, and its entrypoint
	// running `patroni /etc/patroni.yml` (its command) as the postgres
	// user.
	Image string `yaml:"image,omitempty"`
	// EtcdImage is the image of the etcd members; left out, firedrill's
	// own (etcd 3.4). One of your own runs its command, etcd's flags
	// included, with etcd on its PATH.
	EtcdImage string `yaml:"etcd_image,omitempty"`
}

// PgAutoFailover is the pg_auto_failover monitor's health-check settings
// (its pgautofailover.* parameters) under their own names. The monitor
// writes them as whole milliseconds; here they are durations ("5s").
type PgAutoFailover struct {
	// HealthCheckPeriod is pgautofailover.health_check_period: the time
	// between two health checks of each node by the monitor. Whole
	// milliseconds, at least 1ms; default 5s.
	HealthCheckPeriod Duration `yaml:"health_check_period" schema:"exclusiveMin=0"`
	// HealthCheckTimeout is pgautofailover.health_check_timeout: how long
	// the monitor's connection attempt of one check may take. Whole
	// milliseconds, at least 1ms; default 5s.
	HealthCheckTimeout Duration `yaml:"health_check_timeout" schema:"exclusiveMin=0"`
	// HealthCheckMaxRetries is pgautofailover.health_check_max_retries: how
	// many times a failed check is retried before the node is marked
	// failed; from 1 to 100, default 2.
	HealthCheckMaxRetries int `yaml:"health_check_max_retries" schema:"min=1,max=maxHealthCheckRetries"`
	// HealthCheckRetryDelay is pgautofailover.health_check_retry_delay: the
	// time between two retries. Whole milliseconds, at least 1ms; default
	// 2s.
	HealthCheckRetryDelay Duration `yaml:"health_check_retry_delay" schema:"exclusiveMin=0"`
	// NodeConsideredUnhealthyTimeout is
	// pgautofailover.node_considered_unhealthy_timeout: how long since its
	// keeper's last report before the monitor considers a node unhealthy
	// (and fails a primary over). Whole milliseconds, at least 1ms;
	// default 20s.
	NodeConsideredUnhealthyTimeout Duration `yaml:"node_considered_unhealthy_timeout" schema:"exclusiveMin=0"`
	// PrimaryDemoteTimeout is pgautofailover.primary_demote_timeout: how
	// long the monitor gives a failed primary to demote itself before it
	// lets the standby take over, when the primary's keeper does not
	// answer (a killed or cut off primary). Whole milliseconds, at least
	// 1ms; default 30s.
	PrimaryDemoteTimeout Duration `yaml:"primary_demote_timeout" schema:"exclusiveMin=0"`
	// Image is the image of the monitor and the keepers; left out,
	// firedrill's own (pg_auto_failover 2.0 on Postgres 15, built from
	// Debian's packages). One of your own must keep its contract: bash,
	// initdb, psql and pg_autoctl on its PATH, and its entrypoint running
	// its command as the postgres user.
	Image string `yaml:"image,omitempty"`
}
