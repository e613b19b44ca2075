package scenarios

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// fullScenario uses every field of the language; it must load. Its line
// numbers are used by TestUnimplemented.
const fullScenario = `apiVersion: firedrill/v1
name: game-day
description: Everything at once.
objectives:
  rto: 30s
  rpo: 5s
  lost_writes: 0
environment:
  regions: [east, west, south]
  postgres:
    image: postgres:15
    primary: {region: east, labels: {tier: hot}}
    replicas:
      - {name: r1, region: west, labels: {tier: hot}}
      - {name: r2, region: south}
  storage: {enabled: true, region: south, bucket: drills, labels: {tier: cold}}
  app:
    region: east
    instances: 2
    env: {LOG_LEVEL: debug}
workload:
  writes_per_second: 100
  reads_per_second: 50
  timeout: 500ms
  stability_window: 3s
dr:
  backups:
    - {kind: logical, every: 1m, keep: 3}
    - {kind: physical, every: 5m}
    - {kind: files, every: 10m}
  failover:
    enabled: true
    check_interval: 1s
    check_timeout: 500ms
    failures_before_action: 3
    fencing: disconnect
  recovery:
    database: [restore-latest-backup, health-check]
    disk: [promote-replica, rebuild-replicas]
    network: [reconnect-network, health-check]
    complete: [restore-point-in-time, restore-files, restart-services, health-check]
timeline:
  duration: 10m
  faults:
    - {at: 30s, action: kill, target: postgres.primary, objectives: {rto: 20s}}
    - {at: 1m, action: stop, target: postgres.r1, for: 30s, params: {grace: 2s}}
    - {at: 2m, action: restart, target: app}
    - {at: 2m30s, action: pause, selector: {role: replica, mode: one}, for: 10s}
    - {at: 3m, action: partition, target: region.east, for: 20s, params: {to: [region.west], one_way: true}}
    - {at: 4m, action: latency, target: postgres.primary, for: 30s, params: {delay: 200ms, jitter: 50ms}}
    - {at: 5m, action: loss, selector: {labels: {tier: hot}}, for: 30s, params: {percent: 20}}
    - {at: 6m, action: bandwidth, target: storage, for: 1m, params: {rate: 1mbit}}
    - {at: 7m, action: disk-fill, target: postgres.primary, for: 30s, params: {size: 512MiB}}
    - {at: 8m, action: region-drop, target: region.west, for: 1m}
    - {at: 9m, action: s3-outage, target: storage, for: 30s}
monkey:
  seed: 42
  mean_interval: 45s
  actions: [kill, pause]
  targets: [postgres.replica, app]
  selectors: [{region: south, role: postgres}]
  max_at_once: 2
  fault_duration: 5s
  between: {start: 1m, end: 9m}
abort:
  - {metric: write_success_rate, below: 0.5, for: 10s}
  - {metric: failed_writes, above: 1000}
  - {metric: read_success_rate, below: 0.2}
`

func TestFullScenario(t *testing.T) {
	s, err := LoadBytes("full.yaml", []byte(fullScenario))
	if err != nil {
		t.Fatal(err)
	}
	f := s.Timeline.Faults
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}
	check("stop grace", f[1].Params.Grace, NewDuration(2*time.Second))
	check("restart grace default", f[2].Params.Grace, NewDuration(10*time.Second))
	check("selector mode", f[3].Selector.Mode, "one")
	check("one_way", *f[4].Params.OneWay, true)
	check("loss selector mode default", f[6].Selector.Mode, "all")
	check("disk-fill size, no default percent", f[8].Params.Percent, (*float64)(nil))
	check("backup keep default", s.DR.Backups[1].Keep, 7)
	check("fault rto", f[0].Objectives.RTO.Duration, 20*time.Second)
	check("monkey enabled", s.Monkey.IsEnabled(), true)
	check("monkey seed", *s.Monkey.Seed, int64(42))
	check("env", s.Environment.App.Env, map[string]string{"LOG_LEVEL": "debug"})
	check("matches tier=hot", s.Matches(Selector{Labels: map[string]string{"tier": "hot"}}), []string{"postgres.primary", "postgres.r1"})
	check("matches role postgres in south", s.Matches(Selector{Role: "postgres", Region: "south"}), []string{"postgres.r2"})
	check("matches app", s.Matches(Selector{Role: "app"}), []string{"app"})
	check("monkey window", s.Monkey.Between, Window{Start: Duration{time.Minute}, End: Duration{9 * time.Minute}})
}

func TestNewDefaults(t *testing.T) {
	s, err := LoadBytes("d.yaml", []byte(base+`monkey: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	m := s.Monkey
	want := &Monkey{Enabled: new(true), MeanInterval: Duration{30 * time.Second}, Actions: []string{"kill"},
		Targets: []string{"postgres.primary", "postgres.replica"}, MaxAtOnce: 1,
		Between: Window{End: Duration{time.Minute}}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("monkey defaults %+v", m)
	}
	if s.Environment.App.Instances != 1 || !s.Environment.Storage.IsEnabled() || s.Workload.ReadsPerSecond != 0 {
		t.Errorf("environment defaults %+v %+v", s.Environment.App, s.Environment.Storage)
	}

	s, err = LoadBytes("d.yaml", []byte(base+`monkey: {actions: [stop], enabled: false}
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Monkey.FaultDuration.Duration != 10*time.Second || s.Monkey.IsEnabled() {
		t.Errorf("monkey with a reversible action: %+v", s.Monkey)
	}
	if len(s.Unimplemented()) != 0 {
		t.Errorf("a disabled monkey is reported unimplemented: %v", s.Unimplemented())
	}
}

func TestUnimplemented(t *testing.T) {
	for _, name := range BuiltinNames() {
		s, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		if u := s.Unimplemented(); len(u) != 0 {
			t.Errorf("built-in %s uses unimplemented features: %v", name, u)
		}
	}
	s, err := LoadBytes("full.yaml", []byte(fullScenario))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"full.yaml:19:16: environment.app.instances: more than one app instance (2)",
		"full.yaml:20:10: environment.app.env: extra environment variables for the app",
		"full.yaml:23:21: workload.reads_per_second: a read workload",
		"full.yaml:28:7: dr.backups[0]: a logical backup schedule",
		"full.yaml:29:7: dr.backups[1]: a physical backup schedule",
		"full.yaml:30:7: dr.backups[2]: a files backup schedule",
		"full.yaml:38:15: dr.recovery.database: the database recovery plan",
		"full.yaml:39:11: dr.recovery.disk: the disk recovery plan",
		"full.yaml:40:14: dr.recovery.network: the network recovery plan",
		"full.yaml:41:15: dr.recovery.complete: the complete recovery plan",
		"full.yaml:45:69: timeline.faults[0].objectives: a per-fault objective",
		"full.yaml:46:24: timeline.faults[1].action: the action stop",
		"full.yaml:47:24: timeline.faults[2].action: the action restart",
		"full.yaml:48:27: timeline.faults[3].action: the action pause",
		"full.yaml:48:44: timeline.faults[3].selector: choosing targets with a selector",
		"full.yaml:49:24: timeline.faults[4].action: the action partition",
		"full.yaml:50:24: timeline.faults[5].action: the action latency",
		"full.yaml:51:24: timeline.faults[6].action: the action loss",
		"full.yaml:51:40: timeline.faults[6].selector: choosing targets with a selector",
		"full.yaml:52:24: timeline.faults[7].action: the action bandwidth",
		"full.yaml:53:24: timeline.faults[8].action: the action disk-fill",
		"full.yaml:54:24: timeline.faults[9].action: the action region-drop",
		"full.yaml:55:24: timeline.faults[10].action: the action s3-outage",
		"full.yaml:57:3: monkey: the monkey",
		"full.yaml:66:5: abort[0]: an abort condition",
		"full.yaml:67:5: abort[1]: an abort condition",
		"full.yaml:68:5: abort[2]: an abort condition",
	}
	got := s.Unimplemented()
	for i := range got {
		got[i] = strings.TrimSuffix(got[i], " is not executed by this build's engine yet")
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Built in code: paths only.
	code := &Scenario{Workload: Workload{ReadsPerSecond: 1}}
	if got := code.Unimplemented(); !slices.Equal(got, []string{"workload.reads_per_second: a read workload is not executed by this build's engine yet"}) {
		t.Errorf("in code: %q", got)
	}
}

// Validate works on a clone: defaults applied to nested pointers and slices
// never reach the caller's scenario.
func TestValidateDoesNotChangeTheScenario(t *testing.T) {
	s, err := LoadBytes("full.yaml", []byte(fullScenario))
	if err != nil {
		t.Fatal(err)
	}
	s.src = nil // as if built in code: zero fields are unset, not written
	s.Timeline.Faults[3].Selector.Mode = ""
	s.Timeline.Faults[2].Params.Grace = nil
	s.Monkey.Actions, s.Monkey.FaultDuration = nil, Duration{}
	before := deepCopy(reflect.ValueOf(s), nil).Interface().(*Scenario)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, before) {
		t.Error("Validate changed the scenario")
	}
}

func TestActionTable(t *testing.T) {
	params := yamlpos.Fields(reflect.TypeFor[Params]()).Names
	if !slices.Equal(params, paramNames) {
		t.Errorf("paramNames %v, Params fields %v", paramNames, params)
	}
	for _, info := range Actions() {
		if info.Summary == "" || len(info.Targets) == 0 {
			t.Errorf("%s: incomplete entry %+v", info.Name, info)
		}
		for _, k := range info.Targets {
			if targetPatterns[k] == "" {
				t.Errorf("%s: unknown target kind %s", info.Name, k)
			}
		}
		for _, p := range info.Params {
			if !slices.Contains(params, p) {
				t.Errorf("%s: parameter %s is not a field of Params", info.Name, p)
			}
		}
		for p, def := range info.Defaults {
			var ps Params
			setParam(&ps, p, def) // panics on a bad default
			if paramUnset(&ps, p) {
				t.Errorf("%s: default of %s not set", info.Name, p)
			}
		}
	}
	if impl := slices.DeleteFunc(Actions(), func(a ActionInfo) bool { return !a.Implemented }); len(impl) != 1 || impl[0].Name != "kill" {
		t.Errorf("implemented actions: %+v (update Unimplemented's test and the docs when one lands)", impl)
	}
	for name, st := range steps {
		if st.summary == "" {
			t.Errorf("step %s has no summary", name)
		}
	}
}
