package chaos

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Env is what faults need from an environment.
type Env interface {
	// CurrentPrimary asks the databases which node is the writable primary now.
	CurrentPrimary(ctx context.Context) (string, error)
	// PostgresNodes lists the Postgres nodes, primary first at start.
	PostgresNodes() []string
	// Running reports whether a node's container runs.
	Running(ctx context.Context, node string) (bool, error)
	// Kill SIGKILLs a node's container.
	Kill(ctx context.Context, node string) error
}

// Fault injects one failure into a running environment. Inject must return
// once the fault is in effect; it must not wait for recovery.
type Fault interface {
	Inject(ctx context.Context, env Env, node string) error
}

// Reverter is implemented by faults that can be undone. Revert must be
// idempotent and must work even if Inject failed part-way.
type Reverter interface {
	Revert(ctx context.Context, env Env, node string) error
}

// actions maps a scenario action name to its fault.
var actions = map[string]Fault{
	"kill": Kill{},
}

// Lookup returns the fault for a scenario action.
func Lookup(action string) (Fault, error) {
	f, ok := actions[action]
	if !ok {
		return nil, fmt.Errorf("unknown action %q (known: %s)", action, strings.Join(Actions(), ", "))
	}
	return f, nil
}

// Actions lists the known action names, sorted.
func Actions() []string {
	out := make([]string, 0, len(actions))
	for a := range actions {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Resolve turns a scenario target into a node name, now. Roles:
// postgres.primary (the current writable primary), postgres.replica (the
// first running Postgres node that is not the primary), or a node name as
// listed by the environment (pg-replica1, minio, app).
func Resolve(ctx context.Context, env Env, target string) (string, error) {
	switch target {
	case "postgres.primary":
		node, err := env.CurrentPrimary(ctx)
		if err != nil {
			return "", fmt.Errorf("resolve %s: %w", target, err)
		}
		return node, nil
	case "postgres.replica":
		primary, _ := env.CurrentPrimary(ctx)
		for _, n := range env.PostgresNodes() {
			if n == primary {
				continue
			}
			if ok, err := env.Running(ctx, n); err == nil && ok {
				return n, nil
			}
		}
		return "", fmt.Errorf("resolve %s: no running replica", target)
	case "storage":
		return "minio", nil
	case "app":
		return "app", nil
	}
	if rest, ok := strings.CutPrefix(target, "postgres."); ok {
		return "pg-" + rest, nil
	}
	return target, nil
}

// Kill sends SIGKILL to the target's container, like a host crash: no clean
// shutdown, no chance to flush. It cannot be reverted: the node stays down
// until the DR engine replaces it.
type Kill struct{}

// Inject kills node's container.
func (Kill) Inject(ctx context.Context, env Env, node string) error {
	return env.Kill(ctx, node)
}

var _ Fault = Kill{}
