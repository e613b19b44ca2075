package dr

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// ManagerBuiltin is firedrill's own failover manager (failover.go).
const ManagerBuiltin = "builtin"

// ManagerDeps is what a failover manager is built with.
type ManagerDeps struct {
	Topology *topology.Topology
	Cluster  Cluster
	Timeline *firedrill.Timeline
	Logger   *slog.Logger
	// Seed is the run's seed (the health-check phase is drawn from it).
	Seed int64
	// Vantage is where the manager judges health from: the clients' side
	// (a SidecarVantage in the app's namespace). nil: the harness.
	Vantage Vantage
	// Hold, when set, is shared with the recovery engine: the manager
	// stands down while a plan holds it.
	Hold *Hold
}

// ManagerFactory builds a failover manager from the scenario's settings:
// a background part of the drill. A manager that provisions its own
// Postgres (Patroni, pg_auto_failover) will also need the runtime.
type ManagerFactory func(cfg scenarios.Failover, deps ManagerDeps) (firedrill.Part, error)

var managers = map[string]ManagerFactory{
	ManagerBuiltin: newBuiltin,
}

// NewManager builds the named failover manager.
func NewManager(name string, cfg scenarios.Failover, deps ManagerDeps) (firedrill.Part, error) {
	f, ok := managers[name]
	if !ok {
		names := make([]string, 0, len(managers))
		for n := range managers {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("unknown failover manager %q (known: %s)", name, strings.Join(names, ", "))
	}
	return f(cfg, deps)
}

func newBuiltin(cfg scenarios.Failover, deps ManagerDeps) (firedrill.Part, error) {
	var opts []FailoverOption
	if deps.Vantage != nil {
		opts = append(opts, WithVantage(deps.Vantage))
	}
	if deps.Hold != nil {
		opts = append(opts, WithHold(deps.Hold))
	}
	return NewFailover(FailoverConfig{
		Primary:              topology.NodePrimary,
		Standbys:             deps.Topology.Standbys(),
		Interval:             cfg.CheckInterval.Duration,
		Timeout:              cfg.CheckTimeout.Duration,
		FailuresBeforeAction: cfg.FailuresBeforeAction,
		Fencing:              cfg.Fencing,
		Phase:                PhaseFor(deps.Seed, cfg.CheckInterval.Duration),
	}, deps.Cluster, deps.Timeline, deps.Logger, opts...), nil
}
