package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill/scenarios/internal/spec"
)

// base is a valid scenario; the broken cases below edit its lines, so the
// line numbers in their expectations are those of this text.
const base = `apiVersion: firedrill/v1
name: t
environment:
  regions: [east, west]
  postgres:
    primary: {region: east}
    replicas:
      - name: r1
        region: west
workload:
  writes_per_second: 50
  timeout: 1s
dr:
  failover:
    check_interval: 1s
    check_timeout: 1s
    fencing: stop
timeline:
  duration: 60s
  faults:
    - at: 15s
      action: kill
      target: postgres.primary
objectives:
  rto: 15s
  lost_writes: report
`

// edit replaces 1-based lines of base; a replacement may span several
// lines (shifting the ones after it).
func edit(repl map[int]string) string {
	lines := strings.Split(base, "\n")
	for n, text := range repl {
		lines[n-1] = text
	}
	return strings.Join(lines, "\n")
}

type wantErr struct {
	at   string // "line:col"
	path string
	msg  string // substring of Msg
	hint string // substring of Hint ("" = not checked)
}

var brokenCases = []struct {
	name string
	yaml string
	want []wantErr
}{
	{"unknown field with suggestion", edit(map[int]string{11: "  writes_per_sec: 50"}), []wantErr{
		{"11:3", "workload.writes_per_sec", `unknown field "writes_per_sec"`, "did you mean writes_per_second?"},
	}},
	{"unknown field, case and underscores", edit(map[int]string{11: "  writesPerSecond: 50"}), []wantErr{
		{"11:3", "workload.writesPerSecond", `unknown field "writesPerSecond"`, "did you mean writes_per_second?"},
	}},
	{"field at the wrong level", edit(map[int]string{2: "name: t\nregion: east"}), []wantErr{
		{"3:1", "region", `unknown field "region"`, "known fields here: apiVersion, name"},
	}},
	{"field under the wrong parent", edit(map[int]string{2: "name: t\nfaults: []"}), []wantErr{
		{"3:1", "faults", `unknown field "faults"`, "did you mean timeline.faults?"},
	}},
	{"unknown field and the required one it replaced", edit(map[int]string{19: "  durations: 60s"}), []wantErr{
		{"19:3", "timeline.durations", `unknown field "durations"`, "did you mean duration?"},
		{"19:3", "timeline.duration", "timeline.duration is required", "duration: 60s"},
	}},
	{"wrong type: string for a number", edit(map[int]string{11: "  writes_per_second: fast"}), []wantErr{
		{"11:22", "workload.writes_per_second", `expected a number, got the string "fast"`, ""},
	}},
	{"wrong type: scalar for a list", edit(map[int]string{4: "  regions: east"}), []wantErr{
		{"4:12", "environment.regions", `expected a list, got the string "east"`, "write [east]"},
	}},
	{"wrong type: scalar for a mapping", edit(map[int]string{6: "    primary: east"}), []wantErr{
		{"6:14", "environment.postgres.primary", `expected a mapping, got the string "east"`, "write {region: east}"},
	}},
	{"wrong type: bool", edit(map[int]string{15: "    check_interval: 1s\n    enabled: yes"}), []wantErr{
		{"16:14", "dr.failover.enabled", `expected true or false, got the string "yes"`, ""},
	}},
	{"bad duration", edit(map[int]string{12: "  timeout: 15 seconds"}), []wantErr{
		{"12:12", "workload.timeout", `invalid duration "15 seconds"`, "15s, 1m30s"},
	}},
	{"days are not a unit", edit(map[int]string{19: "  duration: 2d"}), []wantErr{
		{"19:13", "timeline.duration", `invalid duration "2d"`, "write 48h"},
	}},
	{"bare number duration", edit(map[int]string{19: "  duration: 60"}), []wantErr{
		{"19:13", "timeline.duration", "a duration needs a unit, got the bare number 60", "write 60s"},
	}},
	{"quoted bare number duration", edit(map[int]string{21: `    - at: "15"`}), []wantErr{
		{"21:11", "timeline.faults[0].at", "a duration needs a unit", "write 15s"},
	}},
	{"missing apiVersion", edit(map[int]string{1: "# no version"}), []wantErr{
		{"2:1", "apiVersion", "apiVersion is missing", "apiVersion: firedrill/v1"},
	}},
	{"wrong apiVersion", edit(map[int]string{1: "apiVersion: firedrill/v2"}), []wantErr{
		{"1:13", "apiVersion", `unsupported apiVersion "firedrill/v2"`, "firedrill/v1"},
	}},
	{"missing name", edit(map[int]string{2: "# no name"}), []wantErr{
		{"1:1", "name", "name is required", ""},
	}},
	{"bad name", edit(map[int]string{2: "name: Primary Kill"}), []wantErr{
		{"2:7", "name", `name "Primary Kill" must be lowercase letters, digits and dashes`, "primary-kill"},
	}},
	{"unknown region", edit(map[int]string{6: "    primary: {region: esat}"}), []wantErr{
		{"6:23", "environment.postgres.primary.region", `unknown region "esat"`, "did you mean east?"},
	}},
	{"empty region", edit(map[int]string{4: "  regions: [east, west, north]"}), []wantErr{
		{"4:25", "environment.regions[2]", `region "north" has nothing in it`, "remove the region"},
	}},
	{"duplicate region", edit(map[int]string{4: "  regions: [east, west, east]"}), []wantErr{
		{"4:25", "environment.regions[2]", `region "east" is listed twice`, ""},
	}},
	{"no regions", edit(map[int]string{4: "  regions: []"}), []wantErr{
		{"4:12", "environment.regions", "at least one region is required", ""},
	}},
	{"fault after the end", edit(map[int]string{21: "    - at: 75s"}), []wantErr{
		{"21:11", "timeline.faults[0].at", "the fault at 1m15s is not before the end of the timeline (1m0s)", "longer than 1m15s"},
	}},
	{"fault at the very end", edit(map[int]string{21: "    - at: 1m"}), []wantErr{
		{"21:11", "timeline.faults[0].at", "not before the end", ""},
	}},
	{"fault without at", edit(map[int]string{21: "    - target: postgres.primary", 23: "      # at is missing"}), []wantErr{
		{"21:7", "timeline.faults[0].at", "a fault needs at", "at: 0s"},
	}},
	{"unknown action", edit(map[int]string{22: "      action: kil"}), []wantErr{
		{"22:15", "timeline.faults[0].action", `unknown action "kil"`, "did you mean kill?"},
	}},
	{"unknown action, no close match", edit(map[int]string{22: "      action: explode"}), []wantErr{
		{"22:15", "timeline.faults[0].action", `unknown action "explode"`, "actions are: bandwidth, disk-fill, kill, latency, loss, partition, pause, region-drop, restart, s3-outage, sql, stop"},
	}},
	{"unknown target", edit(map[int]string{23: "      target: postgres.primay"}), []wantErr{
		{"23:15", "timeline.faults[0].target", `unknown target "postgres.primay"`, "did you mean postgres.primary?"},
	}},
	{"unknown target, listed", edit(map[int]string{23: "      target: database"}), []wantErr{
		{"23:15", "timeline.faults[0].target", `unknown target "database"`, "postgres.primary, postgres.replica, postgres.r1, storage, app"},
	}},
	{"duplicate replica names", edit(map[int]string{
		7: "    replicas: [{name: r1, region: west}, {name: r1, region: east}]", 8: "    # one line", 9: "    # above",
	}), []wantErr{
		{"7:49", "environment.postgres.replicas[1].name", `replica name "r1" is used twice (also replicas[0])`, ""},
	}},
	{"reserved replica name", edit(map[int]string{8: "      - name: replica"}), []wantErr{
		{"8:15", "environment.postgres.replicas[0].name", `replica name "replica" is reserved`, ""},
	}},
	{"synchronous replica", edit(map[int]string{9: "        region: west\n        synchronous: true"}), []wantErr{
		{"10:22", "environment.postgres.replicas[0].synchronous", "synchronous replicas are not supported yet", ""},
	}},
	{"failover without a replica", edit(map[int]string{7: "    # no replicas", 8: "", 9: ""}), []wantErr{
		{"4:19", "environment.regions[1]", `region "west" has nothing in it`, ""},
		{"6:5", "environment.postgres.replicas", "failover needs a replica", "dr.failover.enabled: false"},
	}},
	{"check_timeout longer than check_interval", edit(map[int]string{16: "    check_timeout: 2s"}), []wantErr{
		{"16:20", "dr.failover.check_timeout", "check_timeout 2s is longer than check_interval 1s", "check_timeout <= check_interval"},
	}},
	{"bad fencing", edit(map[int]string{17: "    fencing: shoot"}), []wantErr{
		{"17:14", "dr.failover.fencing", `unknown fencing "shoot"`, "stop, disconnect"},
	}},
	{"failures_before_action 0", edit(map[int]string{17: "    fencing: stop\n    failures_before_action: 0"}), []wantErr{
		{"18:29", "dr.failover.failures_before_action", "failures_before_action must be >= 1, got 0", ""},
	}},
	{"writes_per_second 0", edit(map[int]string{11: "  writes_per_second: 0"}), []wantErr{
		{"11:22", "workload.writes_per_second", "writes_per_second must be >= 0.001 and <= 2000, got 0", ""},
	}},
	{"writes_per_second too high", edit(map[int]string{11: "  writes_per_second: 5000"}), []wantErr{
		{"11:22", "workload.writes_per_second", "got 5000", ""},
	}},
	{"timeout 0", edit(map[int]string{12: "  timeout: 0s"}), []wantErr{
		{"12:12", "workload.timeout", "timeout must be > 0, got 0s", ""},
	}},
	{"negative objectives", edit(map[int]string{25: "  rto: -1s\n  rpo: -2s", 26: "  lost_writes: -1"}), []wantErr{
		{"25:8", "objectives.rto", "rto must be > 0, got -1s", ""},
		{"26:8", "objectives.rpo", "rpo must be >= 0, got -2s", ""},
		{"27:16", "objectives.lost_writes", "lost_writes must be >= 0, got -1", ""},
	}},
	{"lost_writes neither number nor report", edit(map[int]string{26: "  lost_writes: all"}), []wantErr{
		{"26:16", "objectives.lost_writes", `expected a whole number or "report", got the string "all"`, ""},
	}},
	{"field set twice", edit(map[int]string{12: "  timeout: 1s\n  timeout: 2s"}), []wantErr{
		{"13:3", "workload.timeout", "timeout is set twice (first on line 12)", ""},
	}},
	{"YAML syntax error", edit(map[int]string{12: "  timeout: 1s: 2s"}), []wantErr{
		{"12:3", "", "YAML syntax error: mapping values are not allowed in this context", "quote"},
	}},
	{"YAML tab indentation", edit(map[int]string{12: "\ttimeout: 1s"}), []wantErr{
		{"12:1", "", "YAML syntax error: found a tab character", "spaces, not tabs"},
	}},
	{"YAML unknown anchor", edit(map[int]string{12: "  timeout: *t"}), []wantErr{
		{"12:12", "", "YAML syntax error: unknown anchor 't' referenced", ""},
	}},
	{"two documents", base + "---\nname: other\n", []wantErr{
		{"27:1", "", "a second YAML document starts here", ""},
	}},
	{"not a mapping", "- apiVersion: firedrill/v1\n", []wantErr{
		{"1:1", "", "a scenario is a mapping of fields, got a list", ""},
	}},
	{"empty", "# nothing\n", []wantErr{
		{"0:0", "", "the scenario is empty", ""},
	}},
	{"control character", edit(map[int]string{2: "name: t\x07"}), []wantErr{
		{"2:8", "", "control character U+0007", ""},
	}},
	{"invalid UTF-8", edit(map[int]string{2: "name: \xff"}), []wantErr{
		{"2:7", "", "not valid UTF-8", ""},
	}},
	// The faults' for, target/selector and params.
	{"kill takes no for", edit(map[int]string{23: "      target: postgres.primary\n      for: 10s"}), []wantErr{
		{"24:12", "timeline.faults[0].for", "kill cannot be reverted, so it takes no for", "remove for"},
	}},
	{"reversible fault without for", edit(map[int]string{22: "      action: stop"}), []wantErr{
		{"22:15", "timeline.faults[0].action", "stop is reversible: the fault needs for, how long it lasts", "for: 30s"},
	}},
	{"for past the end of the timeline", edit(map[int]string{21: "    - at: 50s", 22: "      action: pause", 23: "      target: app\n      for: 20s"}), []wantErr{
		{"24:12", "timeline.faults[0].for", "the fault lasts until 1m10s, past the end of the timeline (1m0s)", "make for at most 10s, or timeline.duration at least 1m10s"},
	}},
	{"for not positive", edit(map[int]string{22: "      action: pause", 23: "      target: app\n      for: 0s"}), []wantErr{
		{"24:12", "timeline.faults[0].for", "for must be > 0, got 0s", ""},
	}},
	{"target and selector", edit(map[int]string{23: "      target: postgres.primary\n      selector: {role: replica}"}), []wantErr{
		{"24:17", "timeline.faults[0].selector", "a fault names a target or a selector, not both", "remove target or selector"},
	}},
	{"neither target nor selector", edit(map[int]string{23: "      # target forgotten"}), []wantErr{
		{"21:7", "timeline.faults[0].target", "a fault needs a target or a selector", "postgres.primary, postgres.replica, postgres.r1, storage, app"},
	}},
	{"selector matching nothing", edit(map[int]string{23: "      selector: {role: replica, region: east}"}), []wantErr{
		{"23:17", "timeline.faults[0].selector", "the selector matches no service", "postgres.r1 (west)"},
	}},
	{"selector with an unknown role", edit(map[int]string{23: "      selector: {role: replicas}"}), []wantErr{
		{"23:24", "timeline.faults[0].selector.role", `unknown role "replicas"`, "did you mean replica?"},
	}},
	{"empty selector", edit(map[int]string{23: "      selector: {}"}), []wantErr{
		{"23:17", "timeline.faults[0].selector", "a selector needs role, region or labels", ""},
	}},
	{"selector with an unknown label", edit(map[int]string{23: "      selector: {labels: {tier: gold}}"}), []wantErr{
		{"23:17", "timeline.faults[0].selector", "the selector matches no service", ""},
	}},
	{"selector picking a region-only action", edit(map[int]string{22: "      action: region-drop", 23: "      selector: {region: west}\n      for: 5s"}), []wantErr{
		{"23:17", "timeline.faults[0].selector", "region-drop applies to a region, which a selector cannot pick", "target: region.<name>"},
	}},
	{"param of another action", edit(map[int]string{22: "      action: loss", 23: "      target: app\n      for: 5s\n      params: {delay: 1s}"}), []wantErr{
		{"25:23", "timeline.faults[0].params.delay", "loss does not take delay", "loss takes percent"},
	}},
	{"params for kill", edit(map[int]string{23: "      target: app\n      params: {percent: 50}"}), []wantErr{
		{"24:25", "timeline.faults[0].params.percent", "kill takes no params", "remove it"},
	}},
	{"misspelt param", edit(map[int]string{22: "      action: latency", 23: "      target: app\n      for: 5s\n      params: {delays: 1s}"}), []wantErr{
		{"25:15", "timeline.faults[0].params", "latency needs params.delay", "params: {delay: 200ms}"},
		{"25:16", "timeline.faults[0].params.delays", `unknown field "delays"`, "did you mean delay?"},
	}},
	{"required param missing", edit(map[int]string{22: "      action: bandwidth", 23: "      target: app\n      for: 5s"}), []wantErr{
		{"22:15", "timeline.faults[0].action", "bandwidth needs params.rate", "params: {rate: 1mbit}"},
	}},
	{"percent out of range", edit(map[int]string{22: "      action: loss", 23: "      target: app\n      for: 5s\n      params: {percent: 150}"}), []wantErr{
		{"25:25", "timeline.faults[0].params.percent", "percent must be > 0 and <= 100, got 150", ""},
	}},
	{"jitter larger than delay", edit(map[int]string{22: "      action: latency", 23: "      target: app\n      for: 5s\n      params: {delay: 10ms, jitter: 50ms}"}), []wantErr{
		{"25:37", "timeline.faults[0].params.jitter", "jitter 50ms is larger than delay 10ms", "make jitter <= delay"},
	}},
	{"rate in bytes", edit(map[int]string{22: "      action: bandwidth", 23: "      target: app\n      for: 5s\n      params: {rate: 1mbps}"}), []wantErr{
		{"25:22", "timeline.faults[0].params.rate", `invalid rate "1mbps"`, "write 1mbit"},
	}},
	{"disk-fill with percent and size", edit(map[int]string{22: "      action: disk-fill", 23: "      target: postgres.r1\n      for: 5s\n      params: {percent: 50, size: 1GiB}"}), []wantErr{
		{"25:35", "timeline.faults[0].params.size", "disk-fill takes percent or size, not both", ""},
	}},
	{"action on the wrong kind of target", edit(map[int]string{22: "      action: region-drop", 23: "      target: postgres.primary\n      for: 5s"}), []wantErr{
		{"23:15", "timeline.faults[0].target", "action region-drop cannot target postgres.primary", "it applies to region.east, region.west"},
	}},
	{"unknown region target", edit(map[int]string{22: "      action: region-drop", 23: "      target: region.esat\n      for: 5s"}), []wantErr{
		{"23:15", "timeline.faults[0].target", `unknown target "region.esat"`, "did you mean region.east?"},
	}},
	{"partition to itself", edit(map[int]string{22: "      action: partition", 23: "      target: region.east\n      for: 5s\n      params: {to: [region.west, region.east]}"}), []wantErr{
		{"25:34", "timeline.faults[0].params.to[1]", "region.east is the fault's target: a partition needs two sides", ""},
	}},
	{"s3-outage without storage", edit(map[int]string{9: "        region: west\n  storage: {enabled: false}", 22: "      action: s3-outage", 23: "      target: storage\n      for: 5s"}), []wantErr{
		{"24:15", "timeline.faults[0].target", "the storage is disabled (environment.storage.enabled: false)", ""},
	}},
	{"fault objective not positive", edit(map[int]string{23: "      target: app\n      objectives: {rto: 0s}"}), []wantErr{
		{"24:25", "timeline.faults[0].objectives.rto", "rto must be > 0, got 0s", ""},
	}},
	{"lost_writes per fault", edit(map[int]string{23: "      target: app\n      objectives: {lost_writes: 0}"}), []wantErr{
		{"24:20", "timeline.faults[0].objectives.lost_writes", `unknown field "lost_writes"`, "did you mean objectives.lost_writes?"},
	}},

	// The environment's new fields.
	{"reserved app environment variable", edit(map[int]string{9: "        region: west\n  app:\n    env: {DEBUG: 1, FIREDRILL_APP_LISTEN: x}"}), []wantErr{
		{"11:21", "environment.app.env.FIREDRILL_APP_LISTEN", `environment variable "FIREDRILL_APP_LISTEN" is reserved`, "choose another name"},
	}},
	{"bad environment variable name", edit(map[int]string{9: "        region: west\n  app:\n    env: {1X: y}"}), []wantErr{
		{"11:11", "environment.app.env.1X", `invalid environment variable name "1X"`, ""},
	}},
	{"app instances out of range", edit(map[int]string{9: "        region: west\n  app: {instances: 0}"}), []wantErr{
		{"10:20", "environment.app.instances", "instances must be >= 1 and <= 16, got 0", ""},
	}},
	{"bad label key", edit(map[int]string{6: "    primary: {region: east, labels: {Tier: hot}}"}), []wantErr{
		{"6:38", "environment.postgres.primary.labels.Tier", `invalid label key "Tier"`, ""},
	}},
	{"region only the disabled storage was in", edit(map[int]string{4: "  regions: [east, west, south]", 9: "        region: west\n  storage: {enabled: false, region: south}"}), []wantErr{
		{"4:25", "environment.regions[2]", `region "south" has nothing in it`, ""},
	}},
	{"negative reads", edit(map[int]string{12: "  timeout: 1s\n  reads_per_second: -5"}), []wantErr{
		{"13:21", "workload.reads_per_second", "reads_per_second must be >= 0 and <= 2000, got -5", ""},
	}},

	// Backups and recovery plans.
	{"unknown backup kind", edit(map[int]string{13: "dr:\n  backups: [{kind: logicl, every: 1h}]"}), []wantErr{
		{"14:20", "dr.backups[0].kind", `unknown backup kind "logicl"`, "did you mean logical?"},
	}},
	{"backup without every", edit(map[int]string{13: "dr:\n  backups: [{kind: logical}]"}), []wantErr{
		{"14:13", "dr.backups[0].every", "a backup needs every, the time between two backups", "every: 15m"},
	}},
	{"retention written as in other tools", edit(map[int]string{13: "dr:\n  backups: [{kind: logical, every: 1h, retention: 7}]"}), []wantErr{
		{"14:40", "dr.backups[0].retention", `unknown field "retention"`, "known fields in dr.backups[]: kind, every, keep"},
	}},
	{"duplicate backup schedule", edit(map[int]string{13: "dr:\n  backups: [{kind: files, every: 1h}, {kind: files, every: 60m}]"}), []wantErr{
		{"14:39", "dr.backups[1]", "the same schedule as backups[0] (files every 1h0m0s)", ""},
	}},
	{"physical backups without storage", edit(map[int]string{9: "        region: west\n  storage: {enabled: false}", 13: "dr:\n  backups: [{kind: physical, every: 1h}]"}), []wantErr{
		{"15:20", "dr.backups[0].kind", "physical backups go to the storage, which is disabled", "enable the storage"},
	}},
	{"unknown recovery step", edit(map[int]string{17: "    fencing: stop\n  recovery: {complete: [promote-replica, healthcheck]}"}), []wantErr{
		{"18:42", "dr.recovery.complete[1]", `unknown recovery step "healthcheck"`, "did you mean health-check?"},
	}},
	{"restore without a backup", edit(map[int]string{17: "    fencing: stop\n  recovery:\n    database: [restore-latest-backup]\n    complete: [restore-files]"}), []wantErr{
		{"19:16", "dr.recovery.database[0]", "restore-latest-backup needs a logical or physical backup to restore", "dr.backups"},
		{"20:16", "dr.recovery.complete[0]", "restore-files needs a files backup to restore", "{kind: files, every: 1h}"},
	}},
	{"promote without a replica", edit(map[int]string{7: "    # no replicas", 8: "", 9: "", 14: "  failover: {enabled: false}\n  recovery: {database: [promote-replica]}", 15: "", 16: "", 17: ""}), []wantErr{
		{"4:19", "environment.regions[1]", `region "west" has nothing in it`, ""},
		{"15:25", "dr.recovery.database[0]", "promote-replica needs a replica", ""},
	}},

	// The monkey.
	{"monkey window past the end", base + "monkey:\n  between: {start: 10s, end: 2m}\n", []wantErr{
		{"28:30", "monkey.between.end", "the monkey's window ends at 2m0s, after the end of the timeline (1m0s)", "make end at most 1m0s"},
	}},
	{"monkey window starting after the end", base + "monkey:\n  between: {start: 90s}\n", []wantErr{
		{"28:20", "monkey.between.start", "the monkey's window starts at 1m30s, not before the end of the timeline (1m0s)", ""},
	}},
	{"monkey action needing params", base + "monkey:\n  actions: [kill, latency, kil]\n", []wantErr{
		{"28:19", "monkey.actions[1]", "the monkey cannot use latency: it needs params.delay", "timeline.faults"},
		{"28:28", "monkey.actions[2]", `unknown action "kil"`, "did you mean kill?"},
	}},
	{"monkey target unknown", base + "monkey:\n  targets: [postgres.r2]\n", []wantErr{
		{"28:13", "monkey.targets[0]", `unknown target "postgres.r2"`, "did you mean postgres.r1?"},
	}},
	{"monkey action fitting no target", base + "monkey:\n  actions: [s3-outage]\n  targets: [app]\n", []wantErr{
		{"28:13", "monkey.actions[0]", "no monkey target fits s3-outage: it applies to storage", ""},
		{"29:13", "monkey.targets[0]", "none of the monkey's actions applies to app", ""},
	}},
	{"monkey selector with mode", base + "monkey:\n  selectors: [{role: replica, mode: one}]\n", []wantErr{
		{"28:37", "monkey.selectors[0].mode", "the monkey always picks one target at random: mode is not allowed here", "remove mode"},
	}},
	{"monkey fault_duration without a reversible action", base + "monkey:\n  fault_duration: 5s\n", []wantErr{
		{"28:19", "monkey.fault_duration", "fault_duration applies to reversible actions, and the monkey has none", ""},
	}},
	{"monkey seed not a number", base + "monkey:\n  seed: lucky\n", []wantErr{
		{"28:9", "monkey.seed", `expected a whole number, got the string "lucky"`, ""},
	}},

	// Abort conditions.
	{"abort metric misspelt", base + "abort:\n  - {metric: write_sucess_rate, below: 0.5}\n", []wantErr{
		{"28:14", "abort[0].metric", `unknown metric "write_sucess_rate"`, "did you mean write_success_rate?"},
	}},
	{"abort with below and above", base + "abort:\n  - {metric: write_success_rate, below: 0.5, above: 0.1}\n", []wantErr{
		{"28:53", "abort[0].above", "an abort condition takes below or above, not both", ""},
	}},
	{"abort without a threshold", base + "abort:\n  - {metric: failed_writes}\n", []wantErr{
		{"28:5", "abort[0]", "an abort condition needs below or above, the threshold of failed_writes", ""},
	}},
	{"abort below on a count", base + "abort:\n  - {metric: failed_writes, below: 10, for: 5s}\n", []wantErr{
		{"28:36", "abort[0].below", "failed_writes only grows, so below would abort at once", "use above"},
		{"28:45", "abort[0].for", "failed_writes never goes down, so for changes nothing", "remove for"},
	}},
	{"abort on reads without reads", base + "abort:\n  - {metric: read_success_rate, below: 0.9}\n", []wantErr{
		{"28:14", "abort[0].metric", "read_success_rate needs reads, and the workload sends none", "workload.reads_per_second"},
	}},
	{"abort rate out of range", base + "abort:\n  - {metric: write_success_rate, below: 50}\n", []wantErr{
		{"28:41", "abort[0].below", "below must be > 0 and <= 1, got 50", "0.5 means half"},
	}},
	{"latency without a unit", edit(map[int]string{22: "      action: latency", 23: "      target: app\n      for: 5s\n      params: {delay: 100}"}), []wantErr{
		{"25:23", "timeline.faults[0].params.delay", "a duration needs a unit, got the bare number 100", "write 100ms, or 100s"},
	}},
	{"percent with a % sign", edit(map[int]string{22: "      action: loss", 23: "      target: app\n      for: 5s\n      params: {percent: 30%}"}), []wantErr{
		{"25:25", "timeline.faults[0].params.percent", `expected a number, got the string "30%"`, "write 30, without %"},
	}},
	{"abort share as a percentage", base + "abort:\n  - {metric: write_success_rate, below: 50%}\n", []wantErr{
		{"28:41", "abort[0].below", `expected a number, got the string "50%"`, "a share is written from 0 to 1: write 0.5"},
	}},
	{"several errors in the new sections at once", base + `monkey:
  actions: [kil]
  between: {end: 2m}
abort:
  - {metric: failed_writes, below: 1}
`, []wantErr{
		{"28:13", "monkey.actions[0]", `unknown action "kil"`, "did you mean kill?"},
		{"29:18", "monkey.between.end", "after the end of the timeline", ""},
		{"31:36", "abort[0].below", "failed_writes only grows", ""},
	}},
	{"several errors at once", edit(map[int]string{
		1:  "# apiVersion forgotten",
		6:  "    primary: {region: esat}",
		11: "  writes_per_sec: 50",
		12: "  timeout: 15",
		17: "    fencing: shoot",
		21: "    - at: 90s",
		23: "      target: postgres.r2",
	}), []wantErr{
		{"2:1", "apiVersion", "apiVersion is missing", ""},
		{"6:23", "environment.postgres.primary.region", `unknown region "esat"`, ""},
		{"11:3", "workload.writes_per_sec", `unknown field "writes_per_sec"`, ""},
		{"12:12", "workload.timeout", "bare number 15", "write 15s"},
		{"17:14", "dr.failover.fencing", `unknown fencing "shoot"`, ""},
		{"21:11", "timeline.faults[0].at", "not before the end", ""},
		{"23:15", "timeline.faults[0].target", `unknown target "postgres.r2"`, "did you mean postgres.r1?"},
	}},
}

func TestBaseIsValid(t *testing.T) {
	if _, err := LoadBytes("base.yaml", []byte(base)); err != nil {
		t.Fatal(err)
	}
}

func TestBroken(t *testing.T) {
	checkCases(t, brokenCases)
}

// checkCases loads each case and compares its errors with the wanted ones,
// in order.
func checkCases(t *testing.T, cases []struct {
	name string
	yaml string
	want []wantErr
}) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadBytes("t.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("loaded without error:\n%s", tc.yaml)
			}
			if s != nil {
				t.Error("a scenario came back with the error")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, not Errors: %v", err, err)
			}
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(tc.want), err)
			}
			for i, w := range tc.want {
				e := errs[i]
				if e.File != "t.yaml" {
					t.Errorf("error %d: file %q", i, e.File)
				}
				if at := fmt.Sprintf("%d:%d", e.Line, e.Col); at != w.at {
					t.Errorf("error %d at %s, want %s: %v", i, at, w.at, e)
				}
				if e.Path != w.path {
					t.Errorf("error %d path %q, want %q: %v", i, e.Path, w.path, e)
				}
				if !strings.Contains(e.Msg, w.msg) {
					t.Errorf("error %d message %q, want it to contain %q", i, e.Msg, w.msg)
				}
				if !strings.Contains(e.Hint, w.hint) {
					t.Errorf("error %d hint %q, want it to contain %q", i, e.Hint, w.hint)
				}
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "drill.yaml", Line: 12, Col: 14, Path: "timeline.faults[0].at", Msg: "a duration needs a unit, got the bare number 15", Hint: "write 15s"}
	want := "drill.yaml:12:14: timeline.faults[0].at: a duration needs a unit, got the bare number 15 (hint: write 15s)"
	if got := e.Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "f", Msg: "m"}, "f: m"},
		{Error{Path: "name", Msg: "m"}, "name: m"},
		{Error{Line: 3, Col: 4, Msg: "m", Hint: "h"}, "3:4: m (hint: h)"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	errs := Errors{e, {File: "f", Msg: "m"}}
	if got := errs.Error(); got != want+"\nf: m" {
		t.Errorf("Errors: %q", got)
	}
	var one *Error
	if !errors.As(error(errs), &one) || one != e {
		t.Error("errors.As does not reach an *Error")
	}
}

func TestBuiltins(t *testing.T) {
	names := BuiltinNames()
	if !slices.Equal(names, []string{"app-pause", "backup-restore", "chaos-monkey", "complete-failure", "disk-full", "network-partition", "pitr", "primary-kill", "primary-kill-no-failover", "primary-kill-strict", "region-drop", "replica-kill", "replica-loss", "replica-restart", "seed-sla", "slow-network", "storage-outage"}) {
		t.Fatalf("built-ins: %v", names)
	}
	for _, name := range names {
		s, err := Builtin(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Name != name {
			t.Errorf("%s: name %q differs from the file name", name, s.Name)
		}
		if s.File != "builtin:"+name {
			t.Errorf("%s: File %q", name, s.File)
		}
		if s.Description == "" {
			t.Errorf("%s: no description", name)
		}
		if err := Validate(s); err != nil {
			t.Errorf("%s: Validate after load: %v", name, err)
		}
		// Editors find the schema through the first line.
		data, _ := library.ReadFile("library/" + name + ".yaml")
		if !bytes.HasPrefix(data, []byte("# yaml-language-server: $schema=../schema.json\n")) {
			t.Errorf("%s: no yaml-language-server schema line at the top", name)
		}
		// Built-ins use builtinFeatures and nothing else an engine could
		// lack (drill's TestEngineRunsTheBuiltins checks it runs them).
		if u := s.Unsupported(&engine{actions: true, features: builtinFeatures}); len(u) > 0 {
			t.Errorf("%s: %v", name, u)
		}
	}

	s, _ := Builtin("primary-kill")
	env := s.Environment
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("primary-kill %s = %v, want %v", what, got, want)
		}
	}
	check("regions", env.Regions, []string{"east", "west"})
	check("primary region", env.Postgres.Primary.Region, "east")
	check("replicas", env.Postgres.Replicas, []Replica{{Name: "replica1", Region: "west"}})
	check("storage region", env.Storage.Region, "east")
	check("app region", env.App.Region, "east")
	check("postgres image", env.Postgres.Image, "postgres:15")
	check("storage image", env.Storage.Image, "minio/minio")
	check("bucket", env.Storage.Bucket, "firedrill")
	check("workload", s.Workload, Workload{WritesPerSecond: 50, Timeout: Duration{Duration: time.Second}, StabilityWindow: Duration{Duration: 5 * time.Second}})
	f := s.DR.Failover
	check("failover enabled", f.IsEnabled(), true)
	check("check_interval", f.CheckInterval.Duration, time.Second)
	check("check_timeout", f.CheckTimeout.Duration, time.Second)
	check("failures_before_action", f.FailuresBeforeAction, 2)
	check("fencing", f.Fencing, "stop")
	check("timeline", s.Timeline, Timeline{Duration: Duration{Duration: time.Minute}, Faults: []Fault{{At: Duration{Duration: 15 * time.Second}, Action: "kill", Target: "postgres.primary"}}})
	check("rto", *s.Objectives.RTO, Duration{Duration: 15 * time.Second})
	check("rpo", s.Objectives.RPO, (*Duration)(nil))
	check("lost_writes", s.Objectives.LostWrites, (*int)(nil))

	nf, _ := Builtin("primary-kill-no-failover")
	check("no-failover enabled", nf.DR.Failover.IsEnabled(), false)
	check("no-failover manager", nf.DR.Failover.Manager, ManagerNone)
	if !strings.Contains(nf.Description, "never recovers") {
		t.Errorf("no-failover description: %q", nf.Description)
	}
	// Apart from the switch and the texts, the two drills are the same.
	nf.DR.Failover.Enabled, nf.DR.Failover.Manager = new(true), ManagerBuiltin
	nf.Name, nf.Description, nf.File = s.Name, s.Description, s.File
	spec.SetSource(nf, spec.Source(s))
	if !reflect.DeepEqual(nf, s) {
		t.Error("primary-kill-no-failover differs from primary-kill in more than failover")
	}
}

func TestBuiltinUnknown(t *testing.T) {
	_, err := Builtin("primary-kil")
	if err == nil || !strings.Contains(err.Error(), "did you mean primary-kill?") {
		t.Errorf("got %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("not fs.ErrNotExist")
	}
}

func TestResolve(t *testing.T) {
	s, err := Resolve("primary-kill")
	if err != nil || s.File != "builtin:primary-kill" {
		t.Fatalf("built-in: %v %v", s, err)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "drill.yaml")
	if err := os.WriteFile(path, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Resolve(path)
	if err != nil || s.File != path || s.Name != "t" {
		t.Fatalf("file: %v %v", s, err)
	}

	t.Chdir(dir)
	if err := os.WriteFile("bare", []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := Resolve("bare"); err != nil || s.File != "bare" {
		t.Fatalf("bare file name: %v %v", s, err)
	}

	_, err = Resolve("primary-kil")
	if err == nil || !strings.Contains(err.Error(), "neither a built-in scenario nor a file") || !strings.Contains(err.Error(), "did you mean primary-kill?") {
		t.Errorf("unknown name: %v", err)
	}
	_, err = Resolve(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "missing.yaml")+": cannot read the scenario: ") {
		t.Errorf("missing file message: %v", err)
	}

	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte(edit(map[int]string{19: "  duration: 60"})), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(broken)
	if err == nil || !strings.HasPrefix(err.Error(), broken+":19:13: timeline.duration: ") {
		t.Errorf("broken file: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	s, err := LoadBytes("min.yaml", []byte(`apiVersion: firedrill/v1
name: min
environment:
  regions: [west, east]
  postgres:
    primary: {region: east}
    replicas: [{name: r1, region: east}]
dr:
  failover:
    check_interval: 500ms
    enabled: ~
workload:
  timeout:
timeline:
  duration: 10s
`))
	if err != nil {
		t.Fatal(err)
	}
	env := s.Environment
	if env.Postgres.Image != "postgres:15" || env.Storage.Image != "minio/minio" || env.Storage.Bucket != "firedrill" {
		t.Errorf("images/bucket: %+v", env)
	}
	if env.Storage.Region != "west" {
		t.Errorf("storage region %q, want the first region", env.Storage.Region)
	}
	if env.App.Region != "east" {
		t.Errorf("app region %q, want the primary's", env.App.Region)
	}
	if env.App.Image != "" {
		t.Errorf("app image %q", env.App.Image)
	}
	w := s.Workload
	if w.WritesPerSecond != 50 || w.Timeout.Duration != time.Second || w.StabilityWindow.Duration != 5*time.Second {
		t.Errorf("workload %+v", w)
	}
	f := s.DR.Failover
	if f.Enabled == nil || !*f.Enabled || f.CheckInterval.Duration != 500*time.Millisecond ||
		f.CheckTimeout.Duration != 500*time.Millisecond || f.FailuresBeforeAction != 2 || f.Fencing != "stop" {
		t.Errorf("failover %+v (check_timeout must be capped to the interval)", f)
	}
	if s.Objectives != (Objectives{}) {
		t.Errorf("objectives %+v", s.Objectives)
	}
	if !slices.Equal(s.Services(), []string{"postgres.primary", "postgres.r1", "storage", "app"}) {
		t.Errorf("services %v", s.Services())
	}
}

// A stability window of 0s written out is kept: only absent fields default.
func TestExplicitZeroKept(t *testing.T) {
	s, err := LoadBytes("z.yaml", []byte(edit(map[int]string{12: "  timeout: 1s\n  stability_window: 0s"})))
	if err != nil {
		t.Fatal(err)
	}
	if s.Workload.StabilityWindow.Duration != 0 {
		t.Errorf("stability_window %v", s.Workload.StabilityWindow)
	}
	if _, err := LoadBytes("z.yaml", []byte(edit(map[int]string{17: `    fencing: ""`}))); err == nil || !strings.Contains(err.Error(), `17:14: dr.failover.fencing: unknown fencing ""`) {
		t.Errorf("empty fencing: %v", err)
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	s, err := LoadBytes("m.yaml", []byte(`apiVersion: firedrill/v1
name: merged
environment:
  regions: [east, west]
  postgres:
    primary: {region: east}
    replicas:
      - &r {name: r1, region: west}
      - <<: *r
        name: r2
timeline:
  duration: 1m
  faults:
    - &kill {at: 10s, action: kill, target: postgres.r1}
    - <<: [*kill, {target: app}]
      at: 20s
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.ReplicaNames(); !slices.Equal(got, []string{"r1", "r2"}) {
		t.Errorf("replicas %v", got)
	}
	if s.RegionOf("postgres.r2") != "west" {
		t.Errorf("r2 region %q", s.RegionOf("postgres.r2"))
	}
	want := []Fault{
		{At: Duration{Duration: 10 * time.Second}, Action: "kill", Target: "postgres.r1"},
		{At: Duration{Duration: 20 * time.Second}, Action: "kill", Target: "postgres.r1"},
	}
	if !reflect.DeepEqual(s.Timeline.Faults, want) {
		t.Errorf("faults %+v", s.Timeline.Faults)
	}
}

func TestProgrammatic(t *testing.T) {
	s := &Scenario{
		APIVersion: APIVersion,
		Name:       "code",
		Environment: Environment{
			Regions:  []string{"a", "b"},
			Postgres: Postgres{Primary: Node{Region: "a"}, Replicas: []Replica{{Name: "r1", Region: "b"}}},
		},
		Timeline:   Timeline{Duration: Duration{Duration: time.Minute}, Faults: []Fault{{At: Duration{}, Action: "kill", Target: TargetAnyReplica}}},
		Objectives: Objectives{RTO: NewDuration(10 * time.Second)},
	}
	if err := Validate(s); err != nil {
		t.Fatalf("valid scenario: %v", err)
	}
	if s.Workload.WritesPerSecond != 0 || s.Environment.Postgres.Image != "" {
		t.Error("Validate changed the scenario")
	}
	if s.RegionOf(TargetStorage) != "a" || s.RegionOf(TargetApp) != "a" || s.RegionOf("postgres.r1") != "b" ||
		s.RegionOf(TargetPrimary) != "a" || s.RegionOf("postgres.nope") != "" || s.RegionOf("postgres.") != "" {
		t.Error("RegionOf before defaults")
	}
	s.ApplyDefaults()
	if s.Workload.WritesPerSecond != 50 || s.Environment.Storage.Region != "a" || !s.DR.Failover.IsEnabled() {
		t.Errorf("ApplyDefaults: %+v", s)
	}

	s.Environment.Postgres.Replicas = append(s.Environment.Postgres.Replicas, Replica{Name: "r1", Region: "c"})
	s.Timeline.Faults[0].At = Duration{Duration: 2 * time.Minute}
	err := Validate(s)
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 3 {
		t.Fatalf("got %v", err)
	}
	for i, want := range []string{
		`environment.postgres.replicas[1].region: unknown region "c" (hint: regions are: a, b)`,
		`environment.postgres.replicas[1].name: replica name "r1" is used twice`,
		`timeline.faults[0].at: the fault at 2m0s is not before the end`,
	} {
		if !strings.HasPrefix(errs[i].Error(), want) || errs[i].Line != 0 {
			t.Errorf("error %d: %v, want %s", i, errs[i], want)
		}
	}
}

// Validate on a loaded scenario that was then changed in code still places
// errors at the fields' positions.
func TestValidateAfterLoadKeepsPositions(t *testing.T) {
	s, err := LoadBytes("t.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	s.Timeline.Faults[0].Action = "explode"
	if err := Validate(s); err == nil || err.Error() != `t.yaml:22:15: timeline.faults[0].action: unknown action "explode" (hint: actions are: bandwidth, disk-fill, kill, latency, loss, partition, pause, region-drop, restart, s3-outage, sql, stop)` {
		t.Errorf("got %v", err)
	}
}

func TestDurationRoundTrip(t *testing.T) {
	for _, in := range []string{"0s", "1ns", "500ms", "15s", "1m30s", "1h0m0s", "-5s", "2h45m0.5s"} {
		d, err := ParseDuration(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("%s → %s → %v (%v)", in, d, back, err)
		}
		text, _ := d.MarshalText()
		var fromText Duration
		if err := fromText.UnmarshalText(text); err != nil || fromText != d {
			t.Errorf("text %s: %v %v", text, fromText, err)
		}
		out, err := yaml.Marshal(struct{ D Duration }{d})
		if err != nil {
			t.Fatal(err)
		}
		var fromYAML struct{ D Duration }
		if err := yaml.Unmarshal(out, &fromYAML); err != nil || fromYAML.D != d {
			t.Errorf("yaml %q: %v %v", out, fromYAML.D, err)
		}
	}
	for _, bad := range []string{"15", "1.5", "15 seconds", "1d", "", " 1s"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	var d Duration
	if err := yaml.Unmarshal([]byte("15"), &d); err == nil || !strings.Contains(err.Error(), "write 15s") {
		t.Errorf("yaml bare number: %v", err)
	}
}

// A loaded scenario, marshalled back to YAML and loaded again, is the same.
// The built-ins and the scenario using the whole language are checked.
func TestScenarioRoundTrip(t *testing.T) {
	full, err := LoadBytes("full.yaml", []byte(fullScenario))
	if err != nil {
		t.Fatal(err)
	}
	loaded := map[string]*Scenario{"full.yaml": full}
	names := append(BuiltinNames(), "full.yaml")
	for _, name := range names {
		s, ok := loaded[name]
		if !ok {
			if s, err = Builtin(name); err != nil {
				t.Fatal(err)
			}
		}
		out, err := yaml.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := LoadBytes("out.yaml", out)
		if err != nil {
			t.Fatalf("%s: reload: %v\n%s", name, err, out)
		}
		back.File = s.File
		spec.SetSource(back, spec.Source(s))
		if !reflect.DeepEqual(back, s) {
			t.Errorf("%s: round trip differs:\n%s", name, out)
		}
	}
}
