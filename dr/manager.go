package dr

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/platform"
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
	// Endpoints is where the harness reaches a node's port: an HA stack's
	// watcher reads the stack's own state there (its REST API, its DCS,
	// its monitor).
	Endpoints Endpoints
}

// Endpoints is where the harness reaches a node's port ("host:port"), as
// the runtime gives it.
type Endpoints interface {
	Endpoint(ctx context.Context, node, port string) (string, error)
}

var _ Endpoints = platform.Runtime(nil)

// ManagerFactory builds a failover manager from the scenario's settings:
// a background part of the drill. A manager that provisions its own
// Postgres (Patroni, pg_auto_failover) will also need the runtime.
type ManagerFactory func(cfg scenarios.Failover, deps ManagerDeps) (firedrill.Part, error)

var (
	managersMu sync.Mutex
	managers   = map[string]ManagerFactory{
		ManagerBuiltin: newBuiltin,
	}
)

// RegisterManager adds a failover manager to the registry, from the init
// of its package (dr/stackwatch: the HA stacks' watchers). A name taken
// twice is a programming error.
func RegisterManager(name string, f ManagerFactory) {
	managersMu.Lock()
	defer managersMu.Unlock()
	if _, dup := managers[name]; dup {
		panic("dr: failover manager " + name + " registered twice")
	}
	managers[name] = f
}

// NewManager builds the named failover manager.
func NewManager(name string, cfg scenarios.Failover, deps ManagerDeps) (firedrill.Part, error) {
	managersMu.Lock()
	f, ok := managers[name]
	names := slices.Sorted(maps.Keys(managers))
	managersMu.Unlock()
	if !ok {
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
