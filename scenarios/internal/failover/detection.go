package failover

import (
	"fmt"
	"math"
	"time"
)

// Detection is the longest a dead primary can go unnoticed by the
// failover manager, from its settings (docs/scenario.md, "Failover
// managers", explains each formula).
type Detection struct {
	// Worst is the worst case; OK is false when its sum overflows a
	// time.Duration (the validator refuses such settings).
	Worst time.Duration
	OK    bool
	// Formula says it with the values: "ttl 30s + loop_wait 10s".
	Formula string
	// Field is the setting that weighs most in it, where the validator
	// places a detection that does not fit; Lower names the settings that
	// shorten it, and Hint says what to do when it does not fit.
	Field, Lower, Hint string
}

// Detection is f's worst-case detection, for the manager f names (the
// builtin formula for builtin, none and an unknown manager).
//
//   - builtin: check_interval × failures_before_action + check_timeout:
//     the primary dies just after a successful check, and the last of the
//     failed checks takes its whole timeout.
//   - patroni: ttl + loop_wait: the primary renewed the leader lock just
//     before it died, the lock lives ttl, and a replica notices its
//     expiry at its next round, at most loop_wait later, and races.
//   - pg_auto_failover: the monitor fails a primary over once its health
//     checks have failed and its keeper has not reported for
//     node_considered_unhealthy_timeout, so the later of the two:
//     max(node_considered_unhealthy_timeout, health_check_period +
//     (health_check_max_retries + 1) × health_check_timeout +
//     health_check_max_retries × health_check_retry_delay).
func (f Failover) Detection() Detection {
	switch {
	case f.Manager == ManagerPatroni && f.Patroni != nil:
		pt := f.Patroni
		worst, ok := sum(pt.TTL.Duration, pt.LoopWait.Duration)
		return Detection{Worst: worst, OK: ok,
			Formula: fmt.Sprintf("ttl %s + loop_wait %s", pt.TTL, pt.LoopWait),
			Field:   "dr.failover.patroni.ttl",
			Lower:   "dr.failover.patroni.ttl or loop_wait",
			Hint:    "lower dr.failover.patroni.ttl or loop_wait, or make timeline.duration longer"}
	case f.Manager == ManagerPgAutoFailover && f.PgAutoFailover != nil:
		pa := f.PgAutoFailover
		n := pa.HealthCheckMaxRetries
		checks, ok1 := times(pa.HealthCheckTimeout.Duration, n+1)
		delays, ok2 := times(pa.HealthCheckRetryDelay.Duration, n)
		failed, ok3 := sum(pa.HealthCheckPeriod.Duration, checks, delays)
		return Detection{Worst: max(pa.NodeConsideredUnhealthyTimeout.Duration, failed), OK: ok1 && ok2 && ok3,
			Formula: fmt.Sprintf("max(node_considered_unhealthy_timeout %s, health_check_period %s + (health_check_max_retries %d + 1) × health_check_timeout %s + %d × health_check_retry_delay %s)",
				pa.NodeConsideredUnhealthyTimeout, pa.HealthCheckPeriod, n, pa.HealthCheckTimeout, n, pa.HealthCheckRetryDelay),
			Field: "dr.failover.pg_auto_failover.node_considered_unhealthy_timeout",
			Lower: "dr.failover.pg_auto_failover.node_considered_unhealthy_timeout or the health checks' settings",
			Hint:  "lower dr.failover.pg_auto_failover.node_considered_unhealthy_timeout or the health checks' settings, or make timeline.duration longer"}
	}
	checks, ok1 := times(f.CheckInterval.Duration, f.FailuresBeforeAction)
	worst, ok2 := sum(checks, f.CheckTimeout.Duration)
	return Detection{Worst: worst, OK: ok1 && ok2,
		Formula: fmt.Sprintf("check_interval %s × failures_before_action %d + check_timeout %s", f.CheckInterval, f.FailuresBeforeAction, f.CheckTimeout),
		Field:   "dr.failover.check_interval",
		Lower:   "dr.failover.check_interval, check_timeout or failures_before_action",
		Hint:    "lower check_interval or failures_before_action, or set dr.failover.enabled: false"}
}

// WorstCaseDetection is Detection's worst case: the longest a dead
// primary can go unnoticed by the failover manager. ok is false when that
// overflows a time.Duration (the validator refuses such settings).
func (f Failover) WorstCaseDetection() (d time.Duration, ok bool) {
	det := f.Detection()
	return det.Worst, det.OK
}

// sum adds durations that are not negative; ok is false for a negative
// one or an overflow.
func sum(ds ...time.Duration) (time.Duration, bool) {
	var total time.Duration
	for _, d := range ds {
		if d < 0 || total > math.MaxInt64-d {
			return 0, false
		}
		total += d
	}
	return total, true
}

// times is d × n for d and n not negative; ok is false otherwise or on
// an overflow.
func times(d time.Duration, n int) (time.Duration, bool) {
	if d < 0 || n < 0 || (n > 0 && int64(d) > math.MaxInt64/int64(n)) {
		return 0, false
	}
	return d * time.Duration(n), true
}
