package scenarios

import (
	"slices"
	"time"
)

// Defaults. Each applies to a field left out of the file (or written as
// null), or left at its zero value in a scenario built in code; a value
// written explicitly, even 0 or "", is kept and validated.
const (
	DefaultPostgresImage        = "postgres:15"
	DefaultStorageImage         = "minio/minio"
	DefaultBucket               = "firedrill"
	DefaultWritesPerSecond      = 50.0
	DefaultTimeout              = time.Second
	DefaultStabilityWindow      = 5 * time.Second
	DefaultCheckInterval        = time.Second
	DefaultCheckTimeout         = time.Second // capped to the check interval
	DefaultFailuresBeforeAction = 2
	DefaultFencing              = FenceStop
)

// ApplyDefaults fills every unset field with its default:
// environment.postgres.image postgres:15; environment.storage.image
// minio/minio, .bucket firedrill, .region the first region;
// environment.app.region the primary's region; workload 50 writes/s,
// timeout 1s, stability_window 5s; dr.failover enabled, check_interval 1s,
// check_timeout 1s capped to the interval, failures_before_action 2,
// fencing stop. Regions, names, the timeline and the objectives have no
// defaults. Load and friends call it; it is idempotent.
func (s *Scenario) ApplyDefaults() {
	d := s.applyDefaults()
	if s.src != nil {
		for p := range d {
			s.src.defaulted[p] = true
		}
	}
}

// applyDefaults fills unset fields and returns the paths it filled.
func (s *Scenario) applyDefaults() map[string]bool {
	filled := map[string]bool{}
	unset := func(path string, zero bool) bool {
		if !zero || s.src.isPresent(path) {
			return false
		}
		filled[path] = true
		return true
	}
	env := &s.Environment
	if unset("environment.postgres.image", env.Postgres.Image == "") {
		env.Postgres.Image = DefaultPostgresImage
	}
	if unset("environment.storage.image", env.Storage.Image == "") {
		env.Storage.Image = DefaultStorageImage
	}
	if unset("environment.storage.bucket", env.Storage.Bucket == "") {
		env.Storage.Bucket = DefaultBucket
	}
	if unset("environment.storage.region", env.Storage.Region == "") && len(env.Regions) > 0 {
		env.Storage.Region = env.Regions[0]
	}
	if unset("environment.app.region", env.App.Region == "") {
		env.App.Region = env.Postgres.Primary.Region
	}

	w := &s.Workload
	if unset("workload.writes_per_second", w.WritesPerSecond == 0) {
		w.WritesPerSecond = DefaultWritesPerSecond
	}
	if unset("workload.timeout", w.Timeout.Duration == 0) {
		w.Timeout.Duration = DefaultTimeout
	}
	if unset("workload.stability_window", w.StabilityWindow.Duration == 0) {
		w.StabilityWindow.Duration = DefaultStabilityWindow
	}

	f := &s.DR.Failover
	if unset("dr.failover.enabled", f.Enabled == nil) {
		f.Enabled = new(true)
	}
	if unset("dr.failover.check_interval", f.CheckInterval.Duration == 0) {
		f.CheckInterval.Duration = DefaultCheckInterval
	}
	if unset("dr.failover.check_timeout", f.CheckTimeout.Duration == 0) {
		f.CheckTimeout.Duration = DefaultCheckTimeout
		if iv := f.CheckInterval.Duration; iv > 0 && iv < f.CheckTimeout.Duration {
			f.CheckTimeout.Duration = iv
		}
	}
	if unset("dr.failover.failures_before_action", f.FailuresBeforeAction == 0) {
		f.FailuresBeforeAction = DefaultFailuresBeforeAction
	}
	if unset("dr.failover.fencing", f.Fencing == "") {
		f.Fencing = DefaultFencing
	}
	return filled
}

// clone returns a deep copy of s (sharing the read-only source positions).
func (s *Scenario) clone() *Scenario {
	c := *s
	c.Environment.Regions = slices.Clone(s.Environment.Regions)
	c.Environment.Postgres.Replicas = slices.Clone(s.Environment.Postgres.Replicas)
	c.Timeline.Faults = slices.Clone(s.Timeline.Faults)
	if p := s.Objectives.RTO; p != nil {
		c.Objectives.RTO = new(*p)
	}
	if p := s.Objectives.RPO; p != nil {
		c.Objectives.RPO = new(*p)
	}
	if p := s.Objectives.LostWrites; p != nil {
		c.Objectives.LostWrites = new(*p)
	}
	if p := s.DR.Failover.Enabled; p != nil {
		c.DR.Failover.Enabled = new(*p)
	}
	return &c
}
