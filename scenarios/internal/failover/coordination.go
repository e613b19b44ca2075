package failover

import (
	"slices"
	"strings"

	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// The HA stacks' own coordination as fault targets: Patroni's etcd members
// and pg_auto_failover's monitor, so that a drill can kill or cut off what
// decides the failover, not only the databases (docs/scenario.md, "Targets
// and selectors").

// Target kinds of the coordination.
const (
	KindEtcd    = "etcd"    // a member of Patroni's etcd cluster
	KindMonitor = "monitor" // pg_auto_failover's monitor
)

// CoordinationKinds are the target kinds of the stacks' coordination.
var CoordinationKinds = []string{KindEtcd, KindMonitor}

// Coordination targets: etcd.<region> names the etcd member in that
// region, monitor the monitor.
const (
	EtcdPrefix    = "etcd."
	TargetMonitor = "monitor"
)

// CoordinationKind is the kind of a coordination target, "" when target
// names no coordination.
func CoordinationKind(target string) string {
	switch {
	case strings.HasPrefix(target, EtcdPrefix):
		return KindEtcd
	case target == TargetMonitor:
		return KindMonitor
	}
	return ""
}

// EtcdRegions are the regions that hold a member of Patroni's etcd: every
// region when there are exactly three, so that the cluster keeps a
// majority when any one region is lost; otherwise the first region alone,
// since a second member would add a quorum member to lose, not a vote to
// spare (two members need both). None without a region.
func EtcdRegions(regions []string) []string {
	if len(regions) == 3 {
		return slices.Clone(regions)
	}
	if len(regions) == 0 {
		return nil
	}
	return regions[:1:1]
}

// MonitorRegion is the region of pg_auto_failover's monitor: the first
// region, like the single etcd member, so that a scenario's placement
// reads the same whichever stack runs.
func MonitorRegion(regions []string) string {
	if len(regions) == 0 {
		return ""
	}
	return regions[0]
}

// CoordinationTargets are the coordination targets a scenario with this
// manager and these regions may name: etcd.<region> per etcd member for
// patroni, monitor for pg_auto_failover, none for the others.
func CoordinationTargets(manager string, regions []string) []string {
	switch manager {
	case ManagerPatroni:
		var out []string
		for _, r := range EtcdRegions(regions) {
			out = append(out, EtcdPrefix+r)
		}
		return out
	case ManagerPgAutoFailover:
		return []string{TargetMonitor}
	}
	return nil
}

// CoordinationManager is the manager whose coordination a target of kind
// names, for the error that says which manager a target needs.
func CoordinationManager(kind string) string {
	switch kind {
	case KindEtcd:
		return ManagerPatroni
	case KindMonitor:
		return ManagerPgAutoFailover
	}
	return ""
}

// TargetProblem says what is wrong with a coordination target in a
// scenario with this manager and these regions: the target's manager is
// not the one chosen, or it names no etcd member (etcd alone, a region
// without one). ok is false when target names no coordination or is one
// the scenario may name, so that the caller's own checks go on.
func TargetProblem(target, manager string, regions []string) (msg, hint string, ok bool) {
	kind := CoordinationKind(target)
	if target == "etcd" {
		kind = KindEtcd
	}
	if kind == "" || slices.Contains(CoordinationTargets(manager, regions), target) {
		return "", "", false
	}
	need := CoordinationManager(kind)
	if manager != need {
		what := "pg_auto_failover's monitor"
		if kind == KindEtcd {
			what = "a member of Patroni's etcd"
		}
		return target + " names " + what + ", which runs only with dr.failover.manager: " + need,
			"set dr.failover.manager: " + need + ", or target what this manager runs (postgres.primary, for example)", true
	}
	members := CoordinationTargets(manager, regions)
	return "unknown etcd member " + yamlpos.QuoteValue(target),
		"etcd runs one member per region with three regions, one in the first region otherwise: the members are " + strings.Join(members, ", "), true
}
