package spec

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/firedrill/firedrill/scenarios/internal/failover"
)

// Defaults. Each applies to a field left out of the file (or written as
// null), or left at its zero value in a scenario built in code; a value
// written explicitly, even 0 or "", is kept and validated.
const (
	DefaultPostgresImage        = "postgres:15"
	DefaultPostgresDiskSize     = "1GiB"
	DefaultStorageImage         = "minio/minio"
	DefaultBucket               = "firedrill"
	DefaultWritesPerSecond      = 50.0
	DefaultTimeout              = time.Second
	DefaultStabilityWindow      = 5 * time.Second
	DefaultCheckInterval        = failover.DefaultCheckInterval
	DefaultCheckTimeout         = failover.DefaultCheckTimeout // capped to the check interval
	DefaultFailuresBeforeAction = failover.DefaultFailuresBeforeAction
	DefaultFencing              = failover.DefaultFencing
	DefaultAppInstances         = 1
	DefaultBackupKeep           = 7
	DefaultSelectorMode         = ModeAll
	DefaultMonkeyMeanInterval   = 30 * time.Second
	DefaultMonkeyMaxAtOnce      = 1
	DefaultMonkeyFaultDuration  = 10 * time.Second
)

// DefaultMonkeyActions are the actions of a monkey that lists none.
var DefaultMonkeyActions = []string{ActionKill}

// ApplyDefaults fills every unset field with its default:
// environment.postgres.image postgres:15, disk_size 1GiB; environment.storage enabled,
// image minio/minio, bucket firedrill, region the first region;
// environment.app region the primary's, instances 1; workload 50 writes/s,
// 0 reads/s, 0 uploads/s, timeout 1s, stability_window 5s; each dr.backups
// entry keep 7, a physical one archive_timeout 60s; each dr.notify entry
// format json, every event, timeout 10s (dr.recovery.target left out means
// latest);
// dr.failover manager builtin (none with enabled: false), enabled unless
// the manager is none, and for builtin and none check_interval 1s,
// check_timeout 1s capped to the interval, failures_before_action 2,
// fencing stop, for patroni and pg_auto_failover the stack's own defaults
// (failover.FillDefaults); each fault's selector
// mode all and the defaults of its action's params (see the action table);
// monkey enabled, mean_interval 30s, actions [kill], targets the primary
// and any replica, max_at_once 1, fault_duration 10s when an action is
// reversible, between the whole timeline. Regions, names, the timeline,
// the objectives and abort have no defaults. Load and friends call it; it
// is idempotent.
func (s *Scenario) ApplyDefaults() {
	d := FillDefaults(s)
	if s.src != nil {
		for p := range d {
			s.src.Defaulted[p] = true
		}
	}
}

// FillDefaults is ApplyDefaults without marking the filled paths in the
// source positions: it returns them instead, keyed by field path
// ("dr.backups[0].keep"), for the validator (which checks a filled field
// differently) and the schema (which publishes each default).
func FillDefaults(s *Scenario) map[string]bool {
	filled := map[string]bool{}
	unset := func(path string, zero bool) bool {
		if !zero || s.src.IsPresent(path) {
			return false
		}
		filled[path] = true
		return true
	}
	env := &s.Environment
	if unset("environment.postgres.image", env.Postgres.Image == "") {
		env.Postgres.Image = DefaultPostgresImage
	}
	if unset("environment.postgres.disk_size", env.Postgres.DiskSize == "") {
		env.Postgres.DiskSize = DefaultPostgresDiskSize
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
	if unset("environment.storage.enabled", env.Storage.Enabled == nil) {
		env.Storage.Enabled = new(true)
	}
	if unset("environment.app.region", env.App.Region == "") {
		env.App.Region = env.Postgres.Primary.Region
	}
	if unset("environment.app.instances", env.App.Instances == 0) {
		env.App.Instances = DefaultAppInstances
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

	for i := range s.DR.Backups {
		b := &s.DR.Backups[i]
		if unset(fmt.Sprintf("dr.backups[%d].keep", i), b.Keep == 0) {
			b.Keep = DefaultBackupKeep
		}
		if b.Kind == BackupPhysical && unset(fmt.Sprintf("dr.backups[%d].archive_timeout", i), b.ArchiveTimeout.Duration == 0) {
			b.ArchiveTimeout.Duration = DefaultArchiveTimeout
		}
	}
	for i := range s.DR.Notify {
		n := &s.DR.Notify[i]
		path := fmt.Sprintf("dr.notify[%d]", i)
		if unset(path+".format", n.Format == "") {
			n.Format = WebhookJSON
		}
		if unset(path+".events", n.Events == nil) {
			n.Events = slices.Clone(WebhookEvents)
		}
		if unset(path+".timeout", n.Timeout.Duration == 0) {
			n.Timeout.Duration = DefaultWebhookTimeout
		}
	}

	failover.FillDefaults(&s.DR.Failover, unset)

	for i := range s.Timeline.Faults {
		fault := &s.Timeline.Faults[i]
		path := fmt.Sprintf("timeline.faults[%d]", i)
		if sel := fault.Selector; sel != nil && unset(path+".selector.mode", sel.Mode == "") {
			sel.Mode = DefaultSelectorMode
		}
		if a, ok := actions[fault.Action]; ok {
			for _, p := range a.Params {
				if p.Default == "" {
					continue
				}
				if fault.Action == ActionDiskFill && p.Name == "percent" &&
					(fault.Params.Size != "" || s.src.IsPresent(path+".params.size")) {
					continue // disk-fill takes percent or size, and size is given
				}
				if unset(path+".params."+p.Name, ParamUnset(&fault.Params, p.Name)) {
					setParam(&fault.Params, p.Name, p.Default)
				}
			}
		}
	}

	if m := s.Monkey; m != nil {
		if unset("monkey.enabled", m.Enabled == nil) {
			m.Enabled = new(true)
		}
		if unset("monkey.mean_interval", m.MeanInterval.Duration == 0) {
			m.MeanInterval.Duration = DefaultMonkeyMeanInterval
		}
		if unset("monkey.actions", m.Actions == nil) {
			m.Actions = slices.Clone(DefaultMonkeyActions)
		}
		if unset("monkey.targets", m.Targets == nil && m.Selectors == nil) {
			m.Targets = []string{TargetPrimary}
			if len(env.Postgres.Replicas) > 0 {
				m.Targets = append(m.Targets, TargetAnyReplica)
			}
		}
		if unset("monkey.max_at_once", m.MaxAtOnce == 0) {
			m.MaxAtOnce = DefaultMonkeyMaxAtOnce
		}
		reversible := slices.ContainsFunc(m.Actions, func(name string) bool { return actions[name].Reversible })
		if reversible && unset("monkey.fault_duration", m.FaultDuration.Duration == 0) {
			m.FaultDuration.Duration = DefaultMonkeyFaultDuration
		}
		if unset("monkey.between.end", m.Between.End.Duration == 0) {
			m.Between.End = s.Timeline.Duration
		}
	}
	return filled
}

// ParamFields are the YAML names of the fields of Params, in order.
var ParamFields = []string{"grace", "to", "one_way", "delay", "jitter", "percent", "rate", "size", "statement"}

// ParamUnset reports whether the parameter name of p holds no value.
func ParamUnset(p *Params, name string) bool {
	switch name {
	case "grace":
		return p.Grace == nil
	case "to":
		return p.To == nil
	case "one_way":
		return p.OneWay == nil
	case "delay":
		return p.Delay == nil
	case "jitter":
		return p.Jitter == nil
	case "percent":
		return p.Percent == nil
	case "rate":
		return p.Rate == ""
	case "size":
		return p.Size == ""
	case "statement":
		return p.Statement == ""
	}
	panic("scenarios: unknown parameter " + name) // the action table names a parameter Params lacks
}

// setParam sets the parameter name of p from def, a default of the action
// table (TestActionTable checks that each parses).
func setParam(p *Params, name, def string) {
	dur := func() *Duration {
		d, err := ParseDuration(def)
		if err != nil {
			panic("scenarios: bad default " + def + " for " + name)
		}
		return &d
	}
	switch name {
	case "grace":
		p.Grace = dur()
	case "delay":
		p.Delay = dur()
	case "jitter":
		p.Jitter = dur()
	case "one_way":
		p.OneWay = new(def == "true")
	case "percent":
		f, err := strconv.ParseFloat(def, 64)
		if err != nil {
			panic("scenarios: bad default " + def + " for " + name)
		}
		p.Percent = &f
	case "rate":
		p.Rate = def
	case "size":
		p.Size = def
	default:
		panic("scenarios: no default for parameter " + name)
	}
}

// Clone returns a deep copy of s (sharing the read-only source positions),
// so that applying defaults to it never writes through to s.
func Clone(s *Scenario) *Scenario {
	return deepCopy(reflect.ValueOf(s), nil).Interface().(*Scenario)
}

// MapStrings returns a deep copy of s with f applied to every string in
// it, map keys included: the CLI escapes a scenario for the terminal this
// way before printing from it.
func (s *Scenario) MapStrings(f func(string) string) *Scenario {
	return deepCopy(reflect.ValueOf(s), f).Interface().(*Scenario)
}

// deepCopy copies pointers, slices, maps and the exported fields of
// structs, passing strings through str unless it is nil; unexported fields
// (the source positions) are shared.
func deepCopy(v reflect.Value, str func(string) string) reflect.Value {
	switch v.Kind() {
	case reflect.String:
		if str != nil {
			return reflect.ValueOf(str(v.String())).Convert(v.Type())
		}
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(deepCopy(v.Elem(), str))
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		n.Set(v)
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n.Field(i).Set(deepCopy(v.Field(i), str))
			}
		}
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			n.Index(i).Set(deepCopy(v.Index(i), str))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			n.SetMapIndex(deepCopy(it.Key(), str), deepCopy(it.Value(), str))
		}
		return n
	}
	return v
}
