package runplan

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill/scenarios"
)

// ParseManagers reads --manager: managers separated by commas, each one
// of scenarios.Managers, optionally with settings (a variant, see
// SplitManager), none twice.
func ParseManagers(list string) ([]string, error) {
	items, err := splitTopLevel(list)
	if err != nil {
		return nil, fmt.Errorf("--manager %q: %w", list, err)
	}
	var out, unknown []string
	for _, item := range items {
		item = strings.TrimSpace(item)
		name, settings := SplitManager(item)
		switch {
		case name == "":
			return nil, fmt.Errorf("--manager %q: an empty name; write the managers separated by commas: %s", list, strings.Join(scenarios.Managers, ","))
		case !slices.Contains(scenarios.Managers, name):
			unknown = append(unknown, fmt.Sprintf("%q", name))
		case slices.Contains(out, item):
			return nil, fmt.Errorf("--manager %q: %s is named twice", list, item)
		default:
			if settings != "" {
				if err := applySettings(&scenarios.Failover{}, name, settings); err != nil {
					return nil, fmt.Errorf("--manager %s: %w", item, err)
				}
			}
			out = append(out, item)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("--manager: unknown failover manager %s; the managers are %s",
			strings.Join(unknown, ", "), strings.Join(scenarios.Managers, ", "))
	}
	return out, nil
}

// SplitManager splits a --manager item into the manager's name and its
// settings: "patroni{ttl: 10s, loop_wait: 1s}" is patroni with its
// settings block (a YAML flow mapping, braces included) taking the place of
// the scenario's fields of the same names; "patroni" has none.
func SplitManager(item string) (name, settings string) {
	if i := strings.IndexByte(item, '{'); i >= 0 {
		return strings.TrimSpace(item[:i]), strings.TrimSpace(item[i:])
	}
	return strings.TrimSpace(item), ""
}

// splitTopLevel splits a list at the commas outside braces.
func splitTopLevel(list string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	for i, r := range list {
		switch r {
		case '{':
			depth++
		case '}':
			if depth--; depth < 0 {
				return nil, errors.New("a } without its {")
			}
		case ',':
			if depth == 0 {
				out = append(out, list[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, errors.New("a { without its }")
	}
	return append(out, list[start:]), nil
}

// applySettings sets a variant's settings on f: the stack's settings
// block, or the builtin manager's own fields; none has none. Unknown
// fields are errors.
func applySettings(f *scenarios.Failover, name, settings string) error {
	var target any
	switch name {
	case scenarios.ManagerPatroni:
		if f.Patroni == nil {
			f.Patroni = &scenarios.Patroni{}
		}
		target = f.Patroni
	case scenarios.ManagerPgAutoFailover:
		if f.PgAutoFailover == nil {
			f.PgAutoFailover = &scenarios.PgAutoFailover{}
		}
		target = f.PgAutoFailover
	case scenarios.ManagerBuiltin:
		var b struct {
			CheckInterval        *scenarios.Duration `yaml:"check_interval"`
			CheckTimeout         *scenarios.Duration `yaml:"check_timeout"`
			FailuresBeforeAction *int                `yaml:"failures_before_action"`
			Fencing              *string             `yaml:"fencing"`
		}
		if err := decodeStrict(settings, &b); err != nil {
			return err
		}
		for dst, src := range map[*scenarios.Duration]*scenarios.Duration{&f.CheckInterval: b.CheckInterval, &f.CheckTimeout: b.CheckTimeout} {
			if src != nil {
				*dst = *src
			}
		}
		if b.FailuresBeforeAction != nil {
			f.FailuresBeforeAction = *b.FailuresBeforeAction
		}
		if b.Fencing != nil {
			f.Fencing = *b.Fencing
		}
		return nil
	default:
		return fmt.Errorf("%s takes no settings", name)
	}
	return decodeStrict(settings, target)
}

// decodeStrict decodes YAML onto v, refusing fields v does not have.
func decodeStrict(text string, v any) error {
	d := yaml.NewDecoder(strings.NewReader(text))
	d.KnownFields(true)
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("its settings %s: %w", text, err)
	}
	return nil
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
func Override(scn *scenarios.Scenario, spec string) (notes []string, err error) {
	f := &scn.DR.Failover
	from := f.Manager
	manager, settings := SplitManager(spec)
	if from == manager && settings == "" {
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
	if settings != "" {
		if err := applySettings(f, manager, settings); err != nil {
			return notes, fmt.Errorf("--manager %s: %w", spec, err)
		}
		f.Label = manager + settings
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
// name, and with --manager the manager's after it ("primary-kill-patroni";
// a variant's settings spelt out for a file name:
// "primary-kill-patroni-ttl-10s-loop_wait-1s").
func Label(name, manager string, byManager bool) string {
	if !byManager {
		return name
	}
	return name + "-" + fileSafe(manager)
}

// fileSafe keeps letters, digits, dots, dashes and underscores, one dash
// for every other run.
func fileSafe(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
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

// ShellWord quotes s for a shell when it needs it (a manager's variant in
// a replay command: "patroni{ttl: 10s}").
func ShellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_-.") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
