package spec

import (
	"maps"
	"slices"
	"strings"
)

// The services of a scenario's topology as written: their names, regions
// and roles, and the selector rule. The topology package builds the nodes
// of a run from them (docs/architecture.md, "One model of the topology").

// Service names, as used by Fault.Target and RegionOf. A replica's service
// name is "postgres." + its name.
const (
	TargetPrimary    = "postgres.primary"
	TargetAnyReplica = "postgres.replica"
	TargetStorage    = "storage"
	TargetApp        = "app"

	postgresPrefix = "postgres."
)

// ReplicaNames returns the names of the replicas, in the scenario's order.
func (s *Scenario) ReplicaNames() []string {
	names := make([]string, 0, len(s.Environment.Postgres.Replicas))
	for _, r := range s.Environment.Postgres.Replicas {
		names = append(names, r.Name)
	}
	return names
}

// Services returns the name of every service the environment runs:
// "postgres.primary", "postgres.<replica>" for each replica, "storage" and
// "app".
func (s *Scenario) Services() []string {
	out := []string{TargetPrimary}
	for _, r := range s.Environment.Postgres.Replicas {
		out = append(out, postgresPrefix+r.Name)
	}
	return append(out, TargetStorage, TargetApp)
}

// RegionOf returns the region a service is placed in: service is one of
// "postgres.primary" (the initial primary), "postgres.<replica>", "storage"
// or "app". Unset storage and app regions resolve to their defaults. It
// returns "" for an unknown service.
func (s *Scenario) RegionOf(service string) string {
	env := &s.Environment
	switch service {
	case TargetPrimary:
		return env.Postgres.Primary.Region
	case TargetStorage:
		if env.Storage.Region == "" && len(env.Regions) > 0 {
			return env.Regions[0]
		}
		return env.Storage.Region
	case TargetApp:
		if env.App.Region == "" {
			return env.Postgres.Primary.Region
		}
		return env.App.Region
	}
	if name, ok := strings.CutPrefix(service, postgresPrefix); ok && name != "" {
		i := slices.IndexFunc(env.Postgres.Replicas, func(r Replica) bool { return r.Name == name })
		if i >= 0 {
			return env.Postgres.Replicas[i].Region
		}
	}
	return ""
}

// String writes the selector as plan and reports show it:
// "selector role=replica region=east label tier=a mode=one".
func (s Selector) String() string {
	parts := []string{"selector"}
	if s.Role != "" {
		parts = append(parts, "role="+s.Role)
	}
	if s.Region != "" {
		parts = append(parts, "region="+s.Region)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		parts = append(parts, "label "+k+"="+s.Labels[k])
	}
	if s.Mode != "" {
		parts = append(parts, "mode="+s.Mode)
	}
	return strings.Join(parts, " ")
}

// service is one service of the environment as written, for selectors.
type service struct {
	name, region string
	roles        []string
	labels       map[string]string
}

// serviceList returns the services of the topology as written: the
// primary, the replicas, the storage (when enabled) and the app.
func (s *Scenario) serviceList() []service {
	env := &s.Environment
	out := []service{{name: TargetPrimary, region: env.Postgres.Primary.Region,
		roles: []string{RolePrimary, RolePostgres}, labels: env.Postgres.Primary.Labels}}
	for _, r := range env.Postgres.Replicas {
		out = append(out, service{name: postgresPrefix + r.Name, region: r.Region,
			roles: []string{RoleReplica, RolePostgres}, labels: r.Labels})
	}
	if env.Storage.IsEnabled() {
		out = append(out, service{name: TargetStorage, region: s.RegionOf(TargetStorage),
			roles: []string{RoleStorage}, labels: env.Storage.Labels})
	}
	return append(out, service{name: TargetApp, region: s.RegionOf(TargetApp),
		roles: []string{RoleApp}, labels: env.App.Labels})
}

// Matches returns the services a selector matches in the topology as
// written (the initial primary is postgres.primary), in the order of
// Services. At injection time role primary means whichever node is primary
// then.
func (s *Scenario) Matches(sel Selector) []string {
	var out []string
	for _, svc := range s.serviceList() {
		if sel.Match(svc.roles, svc.region, svc.labels) {
			out = append(out, svc.name)
		}
	}
	return out
}

// Match is the selector rule, the one the engine applies at injection time
// too: a service with these roles (e.g. postgres and replica), in this
// region, with these labels, matches when every field the selector gives
// matches (Mode is not part of matching).
func (sel Selector) Match(roles []string, region string, labels map[string]string) bool {
	if sel.Role != "" && !slices.Contains(roles, sel.Role) {
		return false
	}
	if sel.Region != "" && sel.Region != region {
		return false
	}
	for k, want := range sel.Labels {
		if got, ok := labels[k]; !ok || got != want {
			return false
		}
	}
	return true
}

// DescribeServices lists the services with their region and labels, for
// the hint of a selector that matches nothing.
func DescribeServices(s *Scenario) string {
	var parts []string
	for _, svc := range s.serviceList() {
		d := svc.name + " (" + svc.region
		for _, k := range sortedKeys(svc.labels) {
			d += ", " + k + "=" + svc.labels[k]
		}
		parts = append(parts, d+")")
	}
	return strings.Join(parts, ", ")
}

// HasBackup reports whether a backup of one of the kinds is scheduled.
func HasBackup(s *Scenario, kinds ...string) bool {
	return slices.ContainsFunc(s.DR.Backups, func(b Backup) bool { return slices.Contains(kinds, b.Kind) })
}
