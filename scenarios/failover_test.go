package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/scenarios/internal/failover"
	"github.com/firedrill/firedrill/scenarios/internal/spec"
)

// failoverYAML is base with its dr.failover block replaced by lines, each
// indented under failover: (line 14), the first on line 15.
func failoverYAML(lines ...string) string {
	const builtin = "  failover:\n    check_interval: 1s\n    check_timeout: 1s\n    fencing: stop\n"
	if !strings.Contains(base, builtin) {
		panic("base has no builtin failover block")
	}
	block := "  failover:\n"
	for _, l := range lines {
		block += "    " + l + "\n"
	}
	return strings.Replace(base, builtin, block, 1)
}

// The managers' fields: every problem at once, each at its own field.
var managerCases = []struct {
	name string
	yaml string
	want []wantErr
}{
	{"unknown manager", failoverYAML("manager: pg-auto-failover"), []wantErr{
		{"15:14", "dr.failover.manager", `unknown failover manager "pg-auto-failover"`, "did you mean pg_auto_failover?"},
	}},
	{"the builtin manager's fields with patroni", failoverYAML("manager: patroni", "check_interval: 1s", "failures_before_action: 3", "fencing: stop"), []wantErr{
		{"16:21", "dr.failover.check_interval", "check_interval belongs to the builtin manager, and the manager is patroni", "dr.failover.patroni.loop_wait"},
		{"17:29", "dr.failover.failures_before_action", "belongs to the builtin manager", "dr.failover.patroni.ttl"},
		{"18:14", "dr.failover.fencing", "fencing belongs to the builtin manager", "demotes the old primary itself"},
	}},
	{"the builtin manager's fields with pg_auto_failover", failoverYAML("manager: pg_auto_failover", "check_timeout: 2s"), []wantErr{
		{"16:20", "dr.failover.check_timeout", "check_timeout belongs to the builtin manager, and the manager is pg_auto_failover", "pg_auto_failover.health_check_timeout"},
	}},
	{"patroni's own ranges and units, all at once", failoverYAML("manager: patroni", "patroni:", "  ttl: 5s", "  loop_wait: 1500ms", "  retry_timeout: 2s", "  maximum_lag_on_failover: -1"), []wantErr{
		{"17:12", "dr.failover.patroni.ttl", "ttl must be from 7s to 168h0m0s, got 5s", "30s"},
		{"18:18", "dr.failover.patroni.loop_wait", "loop_wait is whole seconds for the stack, got 1.5s", "write 1s or 2s"},
		{"19:22", "dr.failover.patroni.retry_timeout", "retry_timeout must be from 3s", ""},
		{"20:32", "dr.failover.patroni.maximum_lag_on_failover", "bytes of WAL, >= 0, got -1", "1048576"},
	}},
	{"patroni's rule loop_wait + 2 × retry_timeout <= ttl", failoverYAML("manager: patroni", "patroni: {ttl: 25s, retry_timeout: 10s}"), []wantErr{
		{"16:20", "dr.failover.patroni.ttl", "loop_wait 10s + 2 × retry_timeout 10s is 30s, more than ttl 25s", "raise ttl to at least 30s"},
	}},
	{"the rule placed at what was written", failoverYAML("manager: patroni", "patroni: {retry_timeout: 15s}"), []wantErr{
		{"16:30", "dr.failover.patroni.retry_timeout", "is 40s, more than ttl 30s", ""},
	}},
	{"patroni's timings are durations, its lag bytes", failoverYAML("manager: patroni", "patroni: {ttl: 30, maximum_lag_on_failover: 1MiB}"), []wantErr{
		{"16:20", "dr.failover.patroni.ttl", "a duration needs a unit, got the bare number 30", "write 30s"},
		{"16:49", "dr.failover.patroni.maximum_lag_on_failover", "", ""},
	}},
	{"pg_auto_failover's own ranges and units", failoverYAML("manager: pg_auto_failover", "pg_auto_failover:", "  health_check_period: 1500us", "  health_check_max_retries: 101", "  node_considered_unhealthy_timeout: 0s"), []wantErr{
		{"17:28", "dr.failover.pg_auto_failover.health_check_period", "health_check_period is whole milliseconds for the stack, got 1.5ms", "write 1ms or 2ms"},
		{"18:33", "dr.failover.pg_auto_failover.health_check_max_retries", "health_check_max_retries must be from 1 to 100, got 101", ""},
		{"19:42", "dr.failover.pg_auto_failover.node_considered_unhealthy_timeout", "must be from 1ms to 168h0m0s, got 0s", "20s"},
	}},
	{"a stack's block with another manager", failoverYAML("manager: builtin", "patroni: {ttl: 30s}"), []wantErr{
		{"16:14", "dr.failover.patroni", "the patroni settings are for manager: patroni, and the manager is builtin", "write manager: patroni"},
	}},
	{"a stack's block with the manager left out", failoverYAML("pg_auto_failover: {health_check_period: 1s}"), []wantErr{
		{"15:23", "dr.failover.pg_auto_failover", "are for manager: pg_auto_failover, and the manager is builtin", "add manager: pg_auto_failover"},
	}},
	{"both stacks' blocks", failoverYAML("manager: patroni", "patroni: {ttl: 30s}", "pg_auto_failover: {health_check_period: 1s}"), []wantErr{
		{"17:23", "dr.failover.pg_auto_failover", "the manager is patroni", ""},
	}},
	{"enabled: false with a stack", failoverYAML("manager: patroni", "enabled: false"), []wantErr{
		{"16:14", "dr.failover.enabled", "enabled: false runs no failover manager, and manager is patroni", "remove enabled: false to run patroni"},
	}},
	{"enabled: false with builtin written", failoverYAML("manager: builtin", "enabled: false"), []wantErr{
		{"16:14", "dr.failover.enabled", "and manager is builtin", "write manager: none"},
	}},
	{"enabled: true with none", failoverYAML("manager: none", "enabled: true"), []wantErr{
		{"16:14", "dr.failover.enabled", "enabled: true runs a failover manager, and manager is none", "remove enabled"},
	}},
	{"patroni too slow for the timeline", failoverYAML("manager: patroni", "patroni: {ttl: 55s}"), []wantErr{
		{"16:20", "dr.failover.patroni.ttl", "could not act within the timeline (1m0s): its worst-case detection, ttl 55s + loop_wait 10s, is 1m5s", "lower dr.failover.patroni.ttl"},
	}},
	{"pg_auto_failover too slow for the timeline", failoverYAML("manager: pg_auto_failover", "pg_auto_failover: {node_considered_unhealthy_timeout: 2m}"), []wantErr{
		{"16:59", "dr.failover.pg_auto_failover.node_considered_unhealthy_timeout", "its worst-case detection, max(node_considered_unhealthy_timeout 2m0s, health_check_period 5s + (health_check_max_retries 2 + 1) × health_check_timeout 5s + 2 × health_check_retry_delay 2s), is 2m0s", ""},
	}},
	{"hostile: the largest values overflow nothing", failoverYAML("manager: pg_auto_failover", "pg_auto_failover: {health_check_period: 2562047h, health_check_timeout: 2562047h, health_check_max_retries: 9223372036854775807}"), []wantErr{
		{"16:45", "dr.failover.pg_auto_failover.health_check_period", "must be from 1ms to 168h0m0s", ""},
		{"16:77", "dr.failover.pg_auto_failover.health_check_timeout", "must be from 1ms to 168h0m0s", ""},
		{"16:113", "dr.failover.pg_auto_failover.health_check_max_retries", "must be from 1 to 100", ""},
	}},
}

func TestManagerFields(t *testing.T) { checkCases(t, managerCases) }

// Left out, each stack's settings are its own documented defaults, filled
// in by the loader; the builtin manager's stay empty beside a stack.
func TestManagerDefaults(t *testing.T) {
	load := func(lines ...string) *Scenario {
		t.Helper()
		s, err := LoadBytes("t.yaml", []byte(failoverYAML(lines...)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	f := load("manager: patroni").DR.Failover
	if p := f.Patroni; p == nil || p.TTL.Duration != 30*time.Second || p.LoopWait.Duration != 10*time.Second ||
		p.RetryTimeout.Duration != 10*time.Second || p.MaximumLagOnFailover != 1048576 {
		t.Errorf("patroni defaults %+v", p)
	}
	if f.CheckInterval.Duration != 0 || f.FailuresBeforeAction != 0 || f.Fencing != "" || f.PgAutoFailover != nil || !f.IsEnabled() {
		t.Errorf("beside patroni: %+v", f)
	}
	if d := f.Detection(); d.Worst != 40*time.Second || d.Formula != "ttl 30s + loop_wait 10s" {
		t.Errorf("patroni detection %+v", d)
	}

	// The tuned setting the managers are compared at (docs/benchmarks.md):
	// under the 3.x documentation's 20s floor, which Patroni 3.0.2 does
	// not enforce.
	f = load("manager: patroni", "patroni: {ttl: 10s, loop_wait: 1s, retry_timeout: 4s}").DR.Failover
	if d := f.Detection(); d.Worst != 11*time.Second || d.Formula != "ttl 10s + loop_wait 1s" {
		t.Errorf("tuned patroni detection %+v", d)
	}

	f = load("manager: pg_auto_failover", "pg_auto_failover: {health_check_max_retries: 1}").DR.Failover
	if p := f.PgAutoFailover; p == nil || p.HealthCheckPeriod.Duration != 5*time.Second || p.HealthCheckTimeout.Duration != 5*time.Second ||
		p.HealthCheckMaxRetries != 1 || p.HealthCheckRetryDelay.Duration != 2*time.Second || p.NodeConsideredUnhealthyTimeout.Duration != 20*time.Second {
		t.Errorf("pg_auto_failover defaults %+v", p)
	}
	// 5s + 2 × 5s + 1 × 2s = 17s, shorter than the keeper's 20s.
	if d := f.Detection(); d.Worst != 20*time.Second {
		t.Errorf("pg_auto_failover detection %+v", d)
	}
	if d := load("manager: pg_auto_failover").DR.Failover.Detection(); d.Worst != 24*time.Second {
		t.Errorf("pg_auto_failover default detection %+v", d)
	}

	for _, tc := range []struct {
		lines   []string
		manager string
		enabled bool
	}{
		{nil, ManagerBuiltin, true},
		{[]string{"enabled: false"}, ManagerNone, false},
		{[]string{"manager: none"}, ManagerNone, false},
		{[]string{"manager: none", "enabled: false"}, ManagerNone, false},
	} {
		f := load(tc.lines...).DR.Failover
		if f.Manager != tc.manager || f.IsEnabled() != tc.enabled || *f.Enabled != tc.enabled {
			t.Errorf("%v: manager %s, enabled %v", tc.lines, f.Manager, *f.Enabled)
		}
		if f.CheckInterval.Duration != DefaultCheckInterval || f.Fencing != DefaultFencing {
			t.Errorf("%v: the builtin manager's defaults are not kept: %+v", tc.lines, f)
		}
	}
}

// A stack this build's engine does not run is listed at the manager
// field; the builtin manager and none always run.
func TestUnsupportedManagers(t *testing.T) {
	for _, tc := range []struct {
		manager string
		feature Feature
	}{{ManagerPatroni, FeaturePatroni}, {ManagerPgAutoFailover, FeaturePgAutoFailover}} {
		s, err := LoadBytes("m.yaml", []byte(failoverYAML("manager: "+tc.manager)))
		if err != nil {
			t.Fatal(err)
		}
		u := s.Unsupported(&engine{actions: true})
		if len(u) != 1 || u[0].Feature != tc.feature || u[0].Detail != tc.manager || u[0].Line != 15 || u[0].Col != 14 {
			t.Fatalf("%s: %v", tc.manager, u)
		}
		if want := "m.yaml:15:14: dr.failover.manager: the failover manager " + tc.manager; !strings.HasPrefix(u[0].Error(), want) {
			t.Errorf("%s: %q", tc.manager, u[0].Error())
		}
		if u := s.Unsupported(&engine{actions: true, features: []Feature{tc.feature}}); len(u) != 0 {
			t.Errorf("%s: an engine that runs it: %v", tc.manager, u)
		}
	}
	for _, m := range []string{ManagerBuiltin, ManagerNone} {
		s, err := LoadBytes("m.yaml", []byte(failoverYAML("manager: "+m)))
		if err != nil {
			t.Fatal(err)
		}
		if u := s.Unsupported(&engine{actions: true}); len(u) != 0 {
			t.Errorf("%s: %v", m, u)
		}
	}
}

// A scenario built in code is checked the same way, without positions:
// a builtin field beside a stack is refused by its value.
func TestManagerInCode(t *testing.T) {
	s, err := LoadBytes("t.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	c := *s
	spec.SetSource(&c, nil) // as if built in code
	c.DR.Failover = Failover{Manager: ManagerPatroni, Fencing: FenceStop, Patroni: &Patroni{TTL: Duration{Duration: 30 * time.Second}}}
	err = Validate(&c)
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Path != "dr.failover.fencing" {
		t.Fatalf("got %v", err)
	}
}

// MaxSetting is the longest timeline, as its comment says.
func TestMaxSettingIsTheLongestTimeline(t *testing.T) {
	if failover.MaxSetting != MaxTimelineDuration {
		t.Errorf("failover.MaxSetting %s, MaxTimelineDuration %s", failover.MaxSetting, MaxTimelineDuration)
	}
}
