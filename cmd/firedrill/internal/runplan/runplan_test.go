package runplan

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

func TestParseManagers(t *testing.T) {
	got, err := ParseManagers("builtin, patroni,none")
	if err != nil || !slices.Equal(got, []string{"builtin", "patroni", "none"}) {
		t.Fatalf("ParseManagers = %q, %v", got, err)
	}
	for list, want := range map[string]string{
		"builtin,patrony,pgaf": `unknown failover manager "patrony", "pgaf"; the managers are builtin, patroni, pg_auto_failover, none`,
		"builtin,,none":        "an empty name",
		"none,none":            "none is named twice",
	} {
		if _, err := ParseManagers(list); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseManagers(%q) = %v, want %q", list, err, want)
		}
	}
}

// tuned is a scenario that sets the builtin manager's check_interval.
const tuned = `apiVersion: firedrill/v1
name: tuned
objectives: {rto: 15s}
environment:
  regions: [east, west]
  postgres:
    primary: {region: east}
    replicas: [{name: r1, region: west}]
  app: {region: east}
timeline:
  duration: 60s
  faults:
    - {at: 10s, action: kill, target: postgres.primary}
dr:
  failover:
    check_interval: 500ms
`

func load(t *testing.T, text string) *scenarios.Scenario {
	t.Helper()
	scn, err := scenarios.LoadBytes("tuned.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return scn
}

func TestOverrideToAStackDropsTheBuiltinFieldsWithANote(t *testing.T) {
	scn := load(t, tuned)
	notes, err := Override(scn, scenarios.ManagerPatroni)
	if err != nil {
		t.Fatal(err)
	}
	f := scn.DR.Failover
	if f.Manager != scenarios.ManagerPatroni || !f.IsEnabled() || f.CheckInterval.Duration != 0 {
		t.Errorf("failover = %+v", f)
	}
	// The block the scenario does not have: Patroni's defaults.
	if f.Patroni == nil || f.Patroni.TTL.Duration.Seconds() != 30 {
		t.Errorf("patroni = %+v, want its defaults", f.Patroni)
	}
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "tuned.yaml:") || !strings.Contains(notes[0], "dr.failover.check_interval") {
		t.Errorf("notes = %q, want one for check_interval at its position", notes)
	}
	// The engine's Unsupported check names the manager (the path run refuses by).
	var named bool
	for _, u := range scn.Unsupported(nil) {
		named = named || u.Path == "dr.failover.manager"
	}
	if !named {
		t.Error("Unsupported does not name dr.failover.manager")
	}
}

func TestOverrideBackToBuiltinAndNone(t *testing.T) {
	scn := load(t, strings.Replace(tuned, "    check_interval: 500ms\n", "    manager: pg_auto_failover\n    pg_auto_failover: {health_check_period: 2s}\n", 1))
	notes, err := Override(scn, scenarios.ManagerBuiltin)
	if err != nil {
		t.Fatal(err)
	}
	f := scn.DR.Failover
	if f.PgAutoFailover != nil || f.CheckInterval.Duration != scenarios.DefaultCheckInterval || f.Fencing != scenarios.DefaultFencing {
		t.Errorf("failover = %+v, want builtin's defaults and no pg_auto_failover block", f)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "dr.failover.pg_auto_failover") {
		t.Errorf("notes = %q", notes)
	}
	none := load(t, tuned)
	if notes, err := Override(none, scenarios.ManagerNone); err != nil || len(notes) != 0 || none.DR.Failover.IsEnabled() {
		t.Errorf("none: notes %q, err %v, enabled %v", notes, err, none.DR.Failover.IsEnabled())
	}
	same := load(t, tuned)
	if notes, err := Override(same, scenarios.ManagerBuiltin); err != nil || notes != nil || same.DR.Failover.CheckInterval.Duration.Milliseconds() != 500 {
		t.Errorf("the scenario's own manager changed it: notes %q, err %v", notes, err)
	}
}

func TestOverrideRefusesWhatTheManagerCannotRun(t *testing.T) {
	// The monitor is pg_auto_failover's: with builtin it names nothing.
	text := strings.Replace(tuned, "    check_interval: 500ms\n", "    manager: pg_auto_failover\n", 1)
	text = strings.Replace(text, "target: postgres.primary}", "target: postgres.primary}\n    - {at: 20s, action: kill, target: monitor}", 1)
	_, err := Override(load(t, text), scenarios.ManagerBuiltin)
	if err == nil || !strings.Contains(err.Error(), "with --manager builtin") || !strings.Contains(err.Error(), "tuned.yaml:") {
		t.Errorf("err = %v, want the monitor target refused at its position", err)
	}
}

func TestLabelAndOutputDirs(t *testing.T) {
	if got := Label("pk", "patroni", true); got != "pk-patroni" {
		t.Errorf("Label = %q", got)
	}
	if got := Label("pk", "patroni", false); got != "pk" {
		t.Errorf("Label without --manager = %q", got)
	}
	if got := OutputDirs("", []string{"a", "b"}, false); got[0] != "" || got[1] != "" {
		t.Errorf("default dirs = %q", got)
	}
	if got := OutputDirs("res", []string{"a"}, false); got[0] != "res" {
		t.Errorf("one drill: %q", got)
	}
	got := OutputDirs("res", []string{"a", "b", "a"}, false)
	want := []string{filepath.Join("res", "a"), filepath.Join("res", "b"), filepath.Join("res", "a-2")}
	if !slices.Equal(got, want) {
		t.Errorf("dirs = %q, want %q", got, want)
	}
	// --manager with --repeat: <name>-<manager>-<n>.
	got = OutputDirs("res", []string{"pk-builtin", "pk-builtin", "pk-none", "pk-none"}, true)
	want = []string{filepath.Join("res", "pk-builtin-1"), filepath.Join("res", "pk-builtin-2"), filepath.Join("res", "pk-none-1"), filepath.Join("res", "pk-none-2")}
	if !slices.Equal(got, want) {
		t.Errorf("repeat dirs = %q, want %q", got, want)
	}
}

// A manager may carry settings, a variant compared as a manager of its
// own: its settings block as a YAML flow mapping, commas inside braces.
func TestManagerVariants(t *testing.T) {
	got, err := ParseManagers("builtin,patroni,patroni{ttl: 10s, loop_wait: 1s, retry_timeout: 4s},builtin{check_interval: 500ms}")
	want := []string{"builtin", "patroni", "patroni{ttl: 10s, loop_wait: 1s, retry_timeout: 4s}", "builtin{check_interval: 500ms}"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ParseManagers = %q, %v", got, err)
	}
	for list, want := range map[string]string{
		"patroni{ttl: 10s":         "a { without its }",
		"patroni}":                 "a } without its {",
		"patroni{tll: 10s}":        "field tll not found",
		"none{ttl: 10s}":           "none takes no settings",
		"builtin{ttl: 10s}":        "field ttl not found",
		"patroni{ttl: 1},patroni{": "a { without its }",
	} {
		if _, err := ParseManagers(list); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseManagers(%q) = %v, want %q", list, err, want)
		}
	}

	scn := load(t, tuned)
	if _, err := Override(scn, "patroni{ttl: 10s, loop_wait: 1s, retry_timeout: 4s}"); err != nil {
		t.Fatal(err)
	}
	f := scn.DR.Failover
	if f.Manager != scenarios.ManagerPatroni || f.Patroni.TTL.Duration != 10*time.Second || f.Patroni.LoopWait.Duration != time.Second ||
		f.Patroni.MaximumLagOnFailover != 1<<20 {
		t.Errorf("the variant's failover %+v %+v: want its settings, the rest Patroni's defaults", f, f.Patroni)
	}
	if f.Name() != "patroni{ttl: 10s, loop_wait: 1s, retry_timeout: 4s}" {
		t.Errorf("name %q", f.Name())
	}
	if got := Label("primary-kill", f.Name(), true); got != "primary-kill-patroni-ttl-10s-loop_wait-1s-retry_timeout-4s" {
		t.Errorf("label %q", got)
	}
	// Settings the validator refuses are refused as the scenario's are.
	if _, err := Override(load(t, tuned), "patroni{ttl: 10s, loop_wait: 5s}"); err == nil {
		t.Error("loop_wait + 2 × retry_timeout over ttl accepted")
	}
}

func TestShellWord(t *testing.T) {
	for in, want := range map[string]string{"patroni": "patroni", "patroni{ttl: 10s}": "'patroni{ttl: 10s}'", "a'b": `'a'\''b'`} {
		if got := ShellWord(in); got != want {
			t.Errorf("ShellWord(%q) = %s, want %s", in, got, want)
		}
	}
}
