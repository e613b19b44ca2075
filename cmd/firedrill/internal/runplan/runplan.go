package runplan

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/scenarios"
)

// ParseManagers reads --manager: manager names separated by commas, each
// one of scenarios.Managers, none twice.
func ParseManagers(list string) ([]string, error) {
	var out, unknown []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return nil, fmt.Errorf("--manager %q: an empty name; write the managers separated by commas: %s", list, strings.Join(scenarios.Managers, ","))
		case !slices.Contains(scenarios.Managers, name):
			unknown = append(unknown, fmt.Sprintf("%q", name))
		case slices.Contains(out, name):
			return nil, fmt.Errorf("--manager %q: %s is named twice", list, name)
		default:
			out = append(out, name)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("--manager: unknown failover manager %s; the managers are %s",
			strings.Join(unknown, ", "), strings.Join(scenarios.Managers, ", "))
	}
	return out, nil
}

// builtinFields are the builtin manager's own fields (docs/scenario.md,
// "Failover managers"): with a stack they are dropped, with a note.
var builtinFields = []string{"dr.failover.check_interval", "dr.failover.check_timeout", "dr.failover.failures_before_action", "dr.failover.fencing"}

// Override makes scn run manager: dr.failover.manager is set to it, and
// enabled to whether it is not none. A stack's settings block the scenario
// does not have is that stack's defaults; the blocks of the other stacks,
// and with a stack the builtin manager's fields, are dropped, each named
// in a note (file:line:col where the scenario wrote it). The scenario as
// overridden is validated again: what is then invalid (a coordination
// target of another stack, say) is returned, every problem at once, and
// scn must not run.
func Override(scn *scenarios.Scenario, manager string) (notes []string, err error) {
	f := &scn.DR.Failover
	from := f.Manager
	if from == manager {
		return nil, nil
	}
	f.Manager = manager
	on := manager != scenarios.ManagerNone
	f.Enabled = &on
	if f.Patroni != nil && manager != scenarios.ManagerPatroni {
		f.Patroni = nil
		notes = append(notes, blockNote(scn, "dr.failover."+scenarios.ManagerPatroni, manager))
	}
	if f.PgAutoFailover != nil && manager != scenarios.ManagerPgAutoFailover {
		f.PgAutoFailover = nil
		notes = append(notes, blockNote(scn, "dr.failover."+scenarios.ManagerPgAutoFailover, manager))
	}
	if scenarios.IsStack(manager) {
		f.CheckInterval, f.CheckTimeout, f.FailuresBeforeAction, f.Fencing = scenarios.Duration{}, scenarios.Duration{}, 0, ""
	}
	scn.ApplyDefaults() // the new manager's defaults; idempotent for the rest
	var es scenarios.Errors
	if verr := scenarios.Validate(scn); !errors.As(verr, &es) {
		if verr != nil {
			return notes, fmt.Errorf("with --manager %s: %w", manager, verr)
		}
		return notes, nil
	}
	var problems scenarios.Errors
	for _, e := range es {
		if scenarios.IsStack(manager) && slices.Contains(builtinFields, e.Path) {
			// The builtin field the scenario wrote: dropped above.
			notes = append(notes, fmt.Sprintf("%s: the builtin manager's setting, which %s does not use: left out of the %s runs",
				position(e), manager, manager))
			continue
		}
		problems = append(problems, e)
	}
	if len(problems) > 0 {
		return notes, fmt.Errorf("with --manager %s (the scenario's manager is %s):\n%w", manager, from, problems)
	}
	return notes, nil
}

// blockNote names a stack's settings block dropped for another manager.
func blockNote(scn *scenarios.Scenario, path, manager string) string {
	return fmt.Sprintf("%s: %s: the %s settings, which %s does not use: left out of the %s runs",
		scn.File, path, strings.TrimPrefix(path, "dr.failover."), manager, manager)
}

// position is an error's file:line:col: path, without its message.
func position(e *scenarios.Error) string {
	c := *e
	c.Msg, c.Hint = "", ""
	return strings.TrimSuffix(strings.TrimSpace(c.Error()), ":")
}

// Label names a drill in summaries and output directories: the scenario's
// name, and with --manager the manager's after it ("primary-kill-patroni").
func Label(name, manager string, byManager bool) string {
	if !byManager {
		return name
	}
	return name + "-" + manager
}

// OutputDirs chooses each drill's output directory from its label: ""
// (the default, firedrill-out/<label>-<run id>, chosen when the run id is
// known), out itself for a single drill, out/<label> (-2, -3... for a label
// given twice) for several; numbered (--repeat): out/<label>-1, -2... for
// every drill.
func OutputDirs(out string, labels []string, numbered bool) []string {
	dirs := make([]string, len(labels))
	if out == "" {
		return dirs
	}
	if len(labels) == 1 && !numbered {
		dirs[0] = out
		return dirs
	}
	seen := map[string]int{}
	for i, label := range labels {
		seen[label]++
		name := label
		if n := seen[label]; n > 1 || numbered {
			name = fmt.Sprintf("%s-%d", label, n)
		}
		dirs[i] = filepath.Join(out, name)
	}
	return dirs
}
