package scenarios

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/scenarios/internal/spec"
)

// fullScenario uses every field of the language; it must load. Its line
// numbers are used by TestUnsupported.
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
	check("monkey window", s.Monkey.Between, Window{Start: Duration{Duration: time.Minute}, End: Duration{Duration: 9 * time.Minute}})
}

func TestNewDefaults(t *testing.T) {
	s, err := LoadBytes("d.yaml", []byte(base+`monkey: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	m := s.Monkey
	want := &Monkey{Enabled: new(true), MeanInterval: Duration{Duration: 30 * time.Second}, Actions: []string{"kill"},
		Targets: []string{"postgres.primary", "postgres.replica"}, MaxAtOnce: 1,
		Between: Window{End: Duration{Duration: time.Minute}}}
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
	if u := s.Unsupported(&engine{actions: true}); len(u) != 0 {
		t.Errorf("a disabled monkey is reported unsupported: %v", u)
	}
}

// engine is a fake engine: it executes every action when actions is set,
// and the features listed.
type engine struct {
	actions  bool
	features []Feature
	asked    []string // what it was asked, in order
}

func (e *engine) Action(name string) bool {
	e.asked = append(e.asked, "action "+name)
	return e.actions
}

func (e *engine) Feature(f Feature) bool {
	e.asked = append(e.asked, string(f))
	return slices.Contains(e.features, f)
}

// builtinFeatures are the features beyond fault actions the built-ins
// use.
var builtinFeatures = []Feature{FeatureSelector, FeatureReads, FeatureMonkey, FeatureAbort, FeatureBackups, FeatureRecoveryPlans}

func TestUnsupported(t *testing.T) {
	for _, name := range BuiltinNames() {
		s, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		// The built-ins use fault actions, selectors, reads, the monkey,
		// abort conditions, backups and recovery plans, and nothing else an
		// engine could lack: an engine with those runs them.
		if u := s.Unsupported(&engine{actions: true, features: builtinFeatures}); len(u) != 0 {
			t.Errorf("built-in %s uses features beyond fault actions, selectors, reads, the monkey, abort, backups and plans: %v", name, u)
		}
	}
	s, err := LoadBytes("full.yaml", []byte(fullScenario))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"full.yaml:19:16: environment.app.instances: app-instances 2: more than one app instance (2)",
		"full.yaml:20:10: environment.app.env: app-env: extra environment variables for the app",
		"full.yaml:23:21: workload.reads_per_second: reads: a read workload",
		"full.yaml:28:7: dr.backups[0]: backups logical: a logical backup schedule",
		"full.yaml:29:7: dr.backups[1]: backups physical: a physical backup schedule",
		"full.yaml:30:7: dr.backups[2]: backups files: a files backup schedule",
		"full.yaml:38:15: dr.recovery.database: recovery-plans database: the database recovery plan",
		"full.yaml:39:11: dr.recovery.disk: recovery-plans disk: the disk recovery plan",
		"full.yaml:40:14: dr.recovery.network: recovery-plans network: the network recovery plan",
		"full.yaml:41:15: dr.recovery.complete: recovery-plans complete: the complete recovery plan",
		"full.yaml:45:25: timeline.faults[0].action: action kill: the action kill",
		"full.yaml:45:69: timeline.faults[0].objectives: fault-objectives: a per-fault objective",
		"full.yaml:46:24: timeline.faults[1].action: action stop: the action stop",
		"full.yaml:47:24: timeline.faults[2].action: action restart: the action restart",
		"full.yaml:48:27: timeline.faults[3].action: action pause: the action pause",
		"full.yaml:48:44: timeline.faults[3].selector: selector one: choosing targets with a selector",
		"full.yaml:49:24: timeline.faults[4].action: action partition: the action partition",
		"full.yaml:50:24: timeline.faults[5].action: action latency: the action latency",
		"full.yaml:51:24: timeline.faults[6].action: action loss: the action loss",
		"full.yaml:51:40: timeline.faults[6].selector: selector all: choosing targets with a selector",
		"full.yaml:52:24: timeline.faults[7].action: action bandwidth: the action bandwidth",
		"full.yaml:53:24: timeline.faults[8].action: action disk-fill: the action disk-fill",
		"full.yaml:54:24: timeline.faults[9].action: action region-drop: the action region-drop",
		"full.yaml:55:24: timeline.faults[10].action: action s3-outage: the action s3-outage",
		"full.yaml:57:3: monkey: monkey: the monkey",
		"full.yaml:66:5: abort[0]: abort: an abort condition",
		"full.yaml:67:5: abort[1]: abort: an abort condition",
		"full.yaml:68:5: abort[2]: abort: an abort condition",
	}
	// Every field, from the structured data: no text is parsed back.
	describe := func(us []Unsupported) []string {
		var out []string
		for _, u := range us {
			f := string(u.Feature)
			if u.Detail != "" {
				f += " " + u.Detail
			}
			out = append(out, fmt.Sprintf("%s:%d:%d: %s: %s: %s", u.File, u.Line, u.Col, u.Path, f, u.What))
		}
		return out
	}
	// A nil engine executes nothing.
	if got := describe(s.Unsupported(nil)); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The engine is asked about every part, and what it runs is left out.
	partial := &engine{features: []Feature{FeatureSelector, FeatureMonkey, FeatureReads}}
	got := describe(s.Unsupported(partial))
	wantPartial := slices.DeleteFunc(slices.Clone(want), func(l string) bool {
		return strings.Contains(l, ": selector ") || strings.Contains(l, ": monkey: ") || strings.Contains(l, ": reads: ")
	})
	if !slices.Equal(got, wantPartial) {
		t.Errorf("with selectors, the monkey and reads: got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantPartial, "\n"))
	}
	for _, q := range []string{"action kill", "action s3-outage", "selector", "monkey", "abort", "app-env"} {
		if !slices.Contains(partial.asked, q) {
			t.Errorf("the engine was not asked about %s: %v", q, partial.asked)
		}
	}
	all := &engine{actions: true, features: Features()}
	if u := s.Unsupported(all); len(u) != 0 {
		t.Errorf("an engine that runs everything: %v", u)
	}
	if u := s.Unsupported(nil); u[0].Error() != "full.yaml:19:16: environment.app.instances: more than one app instance (2) is not executed by this build's engine yet" {
		t.Errorf("Error() = %q", u[0].Error())
	}

	// Built in code: paths only.
	code := &Scenario{Workload: Workload{ReadsPerSecond: 1}}
	if got := code.Unsupported(nil); len(got) != 1 || got[0].Error() != "workload.reads_per_second: a read workload is not executed by this build's engine yet" {
		t.Errorf("in code: %q", got)
	}
}

// Unsupported lists in file order, whatever the order of the fields.
func TestUnsupportedInFileOrder(t *testing.T) {
	s, err := LoadBytes("o.yaml", []byte(strings.Replace(base, "timeline:", "abort: [{metric: failed_writes, above: 10}]\ntimeline:", 1)))
	if err != nil {
		t.Fatal(err)
	}
	u := s.Unsupported(nil)
	if len(u) != 2 || u[0].Feature != FeatureAbort || u[1].Feature != FeatureAction || u[0].Line >= u[1].Line {
		t.Errorf("not in file order: %v", u)
	}
}

// Validate works on a clone: defaults applied to nested pointers and slices
// never reach the caller's scenario.
func TestValidateDoesNotChangeTheScenario(t *testing.T) {
	s, err := LoadBytes("full.yaml", []byte(fullScenario))
	if err != nil {
		t.Fatal(err)
	}
	spec.SetSource(s, nil) // as if built in code: zero fields are unset, not written
	s.Timeline.Faults[3].Selector.Mode = ""
	s.Timeline.Faults[2].Params.Grace = nil
	s.Monkey.Actions, s.Monkey.FaultDuration = nil, Duration{}
	before := spec.Clone(s)
	if err := Validate(s); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, before) {
		t.Error("Validate changed the scenario")
	}
}

// A fault whose at + stability_window reaches the end of the timeline is
// warned about at its at: its recovery cannot be confirmed while writes
// are sent. One that leaves room for the window is not. base runs 60s with
// the default 5s window.
func TestWarnings(t *testing.T) {
	for _, c := range []struct {
		at, window string
		warn       bool
	}{
		{"54s", "", false}, // 54 + 5 < 60
		{"55s", "", true},  // 55 + 5 = 60: even an instant recovery is confirmed after the writes stop
		{"59s", "", true},
		{"45s", "15s", true},
		{"44s", "15s", false},
	} {
		text := edit(map[int]string{21: "    - at: " + c.at})
		if c.window != "" {
			text = edit(map[int]string{10: "workload:\n  stability_window: " + c.window, 21: "    - at: " + c.at})
		}
		s, err := LoadBytes("w.yaml", []byte(text))
		if err != nil {
			t.Fatalf("at %s: %v", c.at, err)
		}
		w := s.Warnings()
		if (len(w) > 0) != c.warn {
			t.Errorf("at %s, window %q: warnings %v, want a warning: %v", c.at, c.window, w, c.warn)
			continue
		}
		if !c.warn {
			continue
		}
		line := 21
		if c.window != "" {
			line = 22
		}
		if w[0].File != "w.yaml" || w[0].Line != line || w[0].Col != 11 || w[0].Path != "timeline.faults[0].at" ||
			!strings.Contains(w[0].Msg, "its RTO will be inconclusive") {
			t.Errorf("at %s: %+v", c.at, w[0])
		}
		if got := w[0].String(); !strings.HasPrefix(got, fmt.Sprintf("w.yaml:%d:11: warning: timeline.faults[0].at: the fault at %s leaves ", line, c.at)) {
			t.Errorf("String() = %q", got)
		}
	}
	// Built in code: the path without a position.
	code := &Scenario{Timeline: Timeline{Duration: Duration{Duration: 10 * time.Second}, Faults: []Fault{{At: Duration{Duration: 8 * time.Second}}}},
		Workload: Workload{StabilityWindow: Duration{Duration: 5 * time.Second}}}
	if w := code.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0].String(), "warning: timeline.faults[0].at: the fault at 8s leaves 2s") {
		t.Errorf("in code: %v", w)
	}
	// No built-in is inconclusive by construction.
	for _, name := range BuiltinNames() {
		s, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		if w := s.Warnings(); len(w) > 0 {
			t.Errorf("built-in %s: %v", name, w)
		}
	}
}
