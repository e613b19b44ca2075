package scenarios

import (
	"slices"
	"strings"
)

// action describes a fault action a scenario may schedule. The chaos package
// implements them; this table is what the loader accepts. Add an entry here
// when an injector lands.
type action struct {
	// summary is a one-line description, for hints and listings.
	summary string
	// kinds are the kinds of target the action applies to ("postgres",
	// "storage", "app"); empty means every kind.
	kinds []string
}

var actions = map[string]action{
	"kill": {summary: "SIGKILL the target's container"},
}

// ActionNames returns the fault actions this build knows, sorted.
func ActionNames() []string {
	names := make([]string, 0, len(actions))
	for name := range actions {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// targetKind is the kind of service a target names: "postgres", "storage"
// or "app".
func targetKind(target string) string {
	if strings.HasPrefix(target, postgresPrefix) {
		return "postgres"
	}
	return target
}

// validTargets lists the targets a scenario may name, for hints.
func (s *Scenario) validTargets() []string {
	out := []string{TargetPrimary}
	if len(s.Environment.Postgres.Replicas) > 0 {
		out = append(out, TargetAnyReplica)
	}
	for _, r := range s.Environment.Postgres.Replicas {
		if r.Name != "" {
			out = append(out, postgresPrefix+r.Name)
		}
	}
	return append(out, TargetStorage, TargetApp)
}
