package scenarios

import (
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios/internal/spec"
)

// coordinationYAML is a scenario over regions (the primary in the first,
// the replica and the app in the last) with the manager, whose timeline
// faults are the lines given, each a flow mapping, the first on line 18;
// monkey lines follow from the line after the last fault.
func coordinationYAML(regions []string, manager string, faults []string, monkey ...string) string {
	last := regions[len(regions)-1]
	var b strings.Builder
	b.WriteString("apiVersion: firedrill/v1\nname: t\nenvironment:\n")
	b.WriteString("  regions: [" + strings.Join(regions, ", ") + "]\n")
	b.WriteString("  postgres:\n    primary: {region: " + regions[0] + "}\n    replicas:\n      - name: r1\n        region: " + last + "\n")
	b.WriteString("  app: {region: " + regions[len(regions)/2] + "}\n")
	b.WriteString("workload: {writes_per_second: 50, timeout: 1s}\ndr:\n  failover:\n")
	b.WriteString("    manager: " + manager + "\n")
	b.WriteString("timeline:\n  duration: 60s\n  faults:\n")
	for _, f := range faults {
		b.WriteString("    - " + f + "\n")
	}
	for _, m := range monkey {
		b.WriteString(m + "\n")
	}
	b.WriteString("objectives: {rto: 15s, lost_writes: report}\n")
	return b.String()
}

var threeRegions = []string{"east", "west", "south"}

// Where a coordination target may be named, and what is said otherwise:
// every problem at once, each at its target.
var coordinationCases = []struct {
	name string
	yaml string
	want []wantErr
}{
	{"etcd with the builtin manager", coordinationYAML(threeRegions, "builtin", []string{
		"{at: 15s, action: kill, target: etcd.east}",
	}), []wantErr{
		{"18:39", "timeline.faults[0].target", "etcd.east names a member of Patroni's etcd, which runs only with dr.failover.manager: patroni", "set dr.failover.manager: patroni"},
	}},
	{"the monitor with patroni, etcd with pg_auto_failover", coordinationYAML(threeRegions, "patroni", []string{
		"{at: 15s, action: kill, target: monitor}",
		"{at: 20s, action: stop, target: etcd.east, for: 5s}",
	}), []wantErr{
		{"18:39", "timeline.faults[0].target", "monitor names pg_auto_failover's monitor, which runs only with dr.failover.manager: pg_auto_failover", "set dr.failover.manager: pg_auto_failover"},
	}},
	{"etcd alone, a region without a member, an action that takes no coordination", coordinationYAML([]string{"east", "west"}, "patroni", []string{
		"{at: 15s, action: kill, target: etcd}",
		"{at: 15s, action: kill, target: etcd.west}",
		"{at: 15s, action: sql, target: etcd.east, params: {statement: SELECT 1}}",
		"{at: 15s, action: region-drop, target: etcd.east, for: 5s}",
	}), []wantErr{
		{"18:39", "timeline.faults[0].target", `unknown etcd member "etcd"`, "one in the first region otherwise: the members are etcd.east"},
		{"19:39", "timeline.faults[1].target", `unknown etcd member "etcd.west"`, "the members are etcd.east"},
		{"20:38", "timeline.faults[2].target", "action sql cannot target etcd.east", "it applies to postgres.primary"},
		{"21:46", "timeline.faults[3].target", "action region-drop cannot target etcd.east", "region.east"},
	}},
	{"a partition's other side", coordinationYAML(threeRegions, "pg_auto_failover", []string{
		"{at: 15s, action: partition, target: postgres.primary, for: 5s, params: {to: [monitor, etcd.west]}}",
	}), []wantErr{
		{"18:94", "timeline.faults[0].params.to[1]", "etcd.west names a member of Patroni's etcd", ""},
	}},
	{"the monkey's targets", coordinationYAML(threeRegions, "builtin", []string{
		"{at: 15s, action: kill, target: postgres.primary}",
	}, "monkey:", "  mean_interval: 10s", "  targets: [postgres.primary, monitor]"), []wantErr{
		{"21:31", "monkey.targets[1]", "monitor names pg_auto_failover's monitor", "dr.failover.manager: pg_auto_failover"},
	}},
}

func TestCoordinationTargetProblems(t *testing.T) { checkCases(t, coordinationCases) }

// Valid with their manager: every etcd member over three regions, the one
// member over one, the monitor; for the process actions and the network
// actions, and as a partition's other side and a monkey target.
func TestCoordinationTargetsLoad(t *testing.T) {
	for _, tc := range []struct {
		name    string
		yaml    string
		targets []string
	}{
		{"patroni over three regions", coordinationYAML(threeRegions, "patroni", []string{
			"{at: 10s, action: kill, target: etcd.east}",
			"{at: 10s, action: pause, target: etcd.west, for: 5s}",
			"{at: 10s, action: partition, target: etcd.south, for: 5s, params: {to: [etcd.east]}}",
			"{at: 10s, action: loss, target: etcd.west, for: 5s}",
			"{at: 10s, action: latency, target: etcd.east, for: 5s, params: {delay: 100ms}}",
			"{at: 10s, action: bandwidth, target: etcd.east, for: 5s, params: {rate: 1mbit}}",
			"{at: 10s, action: region-drop, target: region.east, for: 5s}",
		}, "monkey:", "  mean_interval: 10s", "  targets: [etcd.east, postgres.primary]"),
			[]string{"etcd.east", "etcd.west", "etcd.south"}},
		{"patroni over one region", coordinationYAML([]string{"east"}, "patroni", []string{
			"{at: 10s, action: stop, target: etcd.east, for: 5s}",
			"{at: 10s, action: restart, target: etcd.east}",
		}), []string{"etcd.east"}},
		{"pg_auto_failover", coordinationYAML(threeRegions, "pg_auto_failover", []string{
			"{at: 10s, action: kill, target: monitor}",
			"{at: 10s, action: partition, target: postgres.primary, for: 5s, params: {to: [monitor]}}",
		}), []string{"monitor"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadBytes("t.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			all := spec.ValidTargets(s, true)
			for _, want := range tc.targets {
				if !slices.Contains(all, want) {
					t.Errorf("ValidTargets %v lacks %s", all, want)
				}
			}
			if n := len(slices.DeleteFunc(slices.Clone(all), func(t string) bool { return !strings.HasPrefix(t, "etcd.") && t != "monitor" })); n != len(tc.targets) {
				t.Errorf("ValidTargets %v: %d coordination targets, want %v", all, n, tc.targets)
			}
		})
	}
}

// The builtin manager's scenarios list no coordination target, so hints
// never offer one.
func TestNoCoordinationTargetsWithoutAStack(t *testing.T) {
	for _, m := range []string{"builtin", "none"} {
		s, err := LoadBytes("t.yaml", []byte(coordinationYAML(threeRegions, m, []string{"{at: 10s, action: kill, target: postgres.primary}"})))
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range spec.ValidTargets(s, true) {
			if strings.HasPrefix(target, "etcd") || target == "monitor" {
				t.Errorf("%s: ValidTargets offers %s", m, target)
			}
		}
	}
}
