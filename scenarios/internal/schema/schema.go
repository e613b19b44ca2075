package schema

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill/internal/jsonschema"
	"github.com/firedrill/firedrill/scenarios/internal/spec"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// ID is the schema's $id. The canonical copy is scenarios/schema.json in
// the repository.
const ID = "https://github.com/firedrill/firedrill/scenarios/schema.json"

// Generate returns the JSON Schema (draft 2020-12) of the scenario
// language, indented, ending with a newline, with the field descriptions of
// docs.go.
func Generate() ([]byte, error) { return Build(fieldDocs) }

// durationPattern matches what ParseDuration accepts: a Go duration with
// at least one unit (a bare number, even 0, has none).
const (
	durationUnits           = `(ns|us|µs|μs|ms|s|m|h)`
	durationPattern         = `^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)` + durationUnits + `)+$`
	nonNegDurationPattern   = `^\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)` + durationUnits + `)+$`
	reservedEnvPattern      = `^[Ff][Ii][Rr][Ee][Dd][Rr][Ii][Ll][Ll]_`
	durationDescription     = "A Go duration: numbers with units ns, us, ms, s, m or h, such as 500ms, 15s, 1m30s or 2h. A bare number is an error: it has no unit."
	nonNegDurationDescribed = "A Go duration that is not negative, such as 500ms, 15s, 1m30s or 2h."
)

// enums are the named value lists of `schema:"enum=..."`, with a
// description of each value when there is one.
var enums = map[string]func() (values []string, docs map[string]string){
	"apiVersions": func() ([]string, map[string]string) { return []string{spec.APIVersion}, nil },
	"managers": func() ([]string, map[string]string) {
		return spec.Managers, map[string]string{
			spec.ManagerBuiltin: "firedrill's own failover manager", spec.ManagerPatroni: "Patroni, with etcd as its store",
			spec.ManagerPgAutoFailover: "pg_auto_failover, with its monitor", spec.ManagerNone: "no failover manager (as enabled: false)",
		}
	},
	"fencings": func() ([]string, map[string]string) {
		return spec.Fencings, map[string]string{spec.FenceStop: "stop the old primary's container", spec.FenceDisconnect: "cut the old primary off its networks"}
	},
	"backupKinds": func() ([]string, map[string]string) {
		return spec.BackupKinds, map[string]string{
			spec.BackupLogical:  "pg_dump -F c of the database, restored with pg_restore",
			spec.BackupPhysical: "base backup plus WAL archiving: point-in-time recovery",
			spec.BackupFiles:    "tar.gz of the app's uploaded files",
		}
	},
	"actions": func() ([]string, map[string]string) {
		docs := map[string]string{}
		for _, a := range spec.Actions() {
			docs[a.Name] = a.Summary
		}
		return spec.ActionNames(), docs
	},
	"steps": func() ([]string, map[string]string) {
		docs := map[string]string{}
		for _, name := range spec.StepNames() {
			st, _ := spec.LookupStep(name)
			docs[name] = st.Summary
		}
		return spec.StepNames(), docs
	},
	"metrics": func() ([]string, map[string]string) {
		docs := map[string]string{}
		for _, name := range spec.MetricNames() {
			m, _ := spec.LookupMetric(name)
			docs[name] = m.Summary
		}
		return spec.MetricNames(), docs
	},
	"roles": func() ([]string, map[string]string) {
		return spec.Roles, map[string]string{
			spec.RolePrimary: "the primary (at injection time, whichever node is primary then)", spec.RoleReplica: "any replica",
			spec.RolePostgres: "any Postgres node", spec.RoleStorage: "the S3 storage", spec.RoleApp: "the app",
		}
	},
	"webhookFormats": func() ([]string, map[string]string) {
		return spec.WebhookFormats, map[string]string{spec.WebhookJSON: "firedrill's own event object", spec.WebhookSlack: "a Slack incoming-webhook message",
			spec.WebhookPagerDuty: "a PagerDuty Events API v2 event"}
	},
	"webhookEvents": func() ([]string, map[string]string) {
		return spec.WebhookEvents, map[string]string{spec.NotifyFailover: "a promotion by the failover manager", spec.NotifyRestore: "a restore from a backup, when it ends",
			spec.NotifyStepFailed: "a recovery plan step that failed", spec.NotifyObjectiveBreach: "an objective the drill missed"}
	},
	"modes": func() ([]string, map[string]string) {
		return spec.Modes, map[string]string{spec.ModeAll: "every matching service", spec.ModeOne: "one matching service, picked from the run's seed"}
	},
}

// fieldOptions are the options of a `schema:"..."` struct tag:
// required, enum=<table>, pattern=<name>, keyPattern=<name> (map keys),
// min=, max=, exclusiveMin= (numbers; for durations min=0 and
// exclusiveMin=0 mean not negative), maxLength= (strings), minItems=,
// maxItems= (lists). A bound is 0, 1 or the name of a limit in
// SchemaLimits, which the validator checks too.
type fieldOptions struct {
	required           bool
	enum               string
	pattern            string
	keyPattern         string
	min, max, exclMin  *float64
	maxLength          int
	minItems, maxItems int
}

// tagOptions parses the schema tag of f. A malformed tag is a bug in this
// package, caught by the schema tests: it panics.
func tagOptions(f reflect.StructField) fieldOptions {
	var o fieldOptions
	tag := f.Tag.Get("schema")
	if tag == "" {
		return o
	}
	for opt := range strings.SplitSeq(tag, ",") {
		key, val, _ := strings.Cut(opt, "=")
		num := func() *float64 {
			if x, ok := spec.SchemaLimits[val]; ok {
				return &x
			}
			x, err := strconv.ParseFloat(val, 64)
			if err != nil || (x != 0 && x != 1) {
				panic(fmt.Sprintf("scenarios: field %s: schema tag option %q: a bound is 0, 1 or a name in schemaLimits", f.Name, opt))
			}
			return &x
		}
		switch key {
		case "required":
			o.required = true
		case "enum":
			o.enum = val
		case "pattern":
			o.pattern = val
		case "keyPattern":
			o.keyPattern = val
		case "min":
			o.min = num()
		case "max":
			o.max = num()
		case "exclusiveMin":
			o.exclMin = num()
		case "minItems":
			o.minItems = int(*num())
		case "maxItems":
			o.maxItems = int(*num())
		case "maxLength":
			o.maxLength = int(*num())
		default:
			panic(fmt.Sprintf("scenarios: field %s: unknown schema tag option %q", f.Name, opt))
		}
	}
	return o
}

type schemaGen struct {
	docs     map[string]string
	defs     jsonschema.Defs
	defaults map[string]any // "Type.Field" → default value, as JSON
}

// Build generates the schema with the given descriptions, keyed "Type"
// and "Type.Field" (TestSchemaDocs passes the doc comments as they are in
// the source, so that one -update run refreshes docs.go and schema.json).
func Build(docs map[string]string) (out []byte, err error) {
	defer func() {
		// The generator panics on a malformed tag or table: a bug, but
		// `firedrill schema` should say so rather than crash.
		if r := recover(); r != nil {
			err = fmt.Errorf("generate the scenario schema: %v", r)
		}
	}()
	g := &schemaGen{docs: docs, defs: jsonschema.Defs{}, defaults: schemaDefaults()}
	root := g.object(reflect.TypeFor[spec.Scenario]())
	root["$schema"] = jsonschema.Draft
	root["$id"] = ID
	root["title"] = "firedrill scenario (" + spec.APIVersion + ")"
	g.defs["Duration"] = map[string]any{"type": "string", "pattern": durationPattern, "description": durationDescription}
	g.defs["NonNegativeDuration"] = map[string]any{"type": "string", "pattern": nonNegDurationPattern, "description": nonNegDurationDescribed}
	root["$defs"] = g.defs
	out, err = jsonschema.Encode(root)
	if err != nil {
		return nil, fmt.Errorf("the scenario schema: %w", err)
	}
	return out, nil
}

var durationType = reflect.TypeFor[spec.Duration]()

// object is the schema of a struct type, listing its fields.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	ft := yamlpos.Fields(t)
	for _, name := range ft.Names {
		f := t.FieldByIndex(ft.ByName[name].Index)
		opts := tagOptions(f)
		p := g.field(t, f, opts)
		if opts.required {
			required = append(required, name)
		}
		props[name] = p
	}
	obj := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if d := g.docs[t.Name()]; d != "" {
		obj["description"] = d
	}
	if len(required) > 0 {
		obj["required"] = required
	}
	if t == reflect.TypeFor[spec.Fault]() {
		g.faultRules(obj)
	}
	return obj
}

// field is the schema of one struct field.
func (g *schemaGen) field(owner reflect.Type, f reflect.StructField, opts fieldOptions) map[string]any {
	s := g.typeSchema(f.Type, opts, f.Tag.Get("null"))
	desc := jsonschema.Description(g.docs, owner, f)
	if opts.enum != "" {
		values, docs := g.enum(opts.enum)
		var lines []string
		for _, v := range values {
			if d := docs[v]; d != "" {
				lines = append(lines, "- "+v+": "+d)
			}
		}
		if len(lines) > 0 {
			desc = strings.TrimSpace(desc + "\n\n" + strings.Join(lines, "\n"))
		}
	}
	if desc != "" {
		s["description"] = desc
	}
	if d, ok := g.defaults[owner.Name()+"."+f.Name]; ok {
		s["default"] = d
	}
	return s
}

func (g *schemaGen) enum(name string) ([]string, map[string]string) {
	fn, ok := enums[name]
	if !ok {
		panic("scenarios: unknown schema enum " + name)
	}
	return fn()
}

// typeSchema is the schema of a value of type t; opts apply to it (to the
// items of a list).
func (g *schemaGen) typeSchema(t reflect.Type, opts fieldOptions, nullWord string) map[string]any {
	t = jsonschema.Deref(t)
	if t == durationType {
		if (opts.min != nil && *opts.min == 0) || (opts.exclMin != nil && *opts.exclMin == 0) {
			return map[string]any{"$ref": "#/$defs/NonNegativeDuration"}
		}
		return map[string]any{"$ref": "#/$defs/Duration"}
	}
	var s map[string]any
	switch t.Kind() {
	case reflect.Struct:
		return g.defs.Ref(t, func() map[string]any { return g.object(t) })
	case reflect.Slice:
		item := opts
		item.minItems, item.maxItems = 0, 0
		s = map[string]any{"type": "array", "items": g.typeSchema(t.Elem(), item, "")}
		if opts.minItems > 0 {
			s["minItems"] = opts.minItems
		}
		if opts.maxItems > 0 {
			s["maxItems"] = opts.maxItems
		}
		return s
	case reflect.Map:
		values := g.typeSchema(t.Elem(), fieldOptions{}, "")
		if t.Elem().Kind() == reflect.String {
			// The loader reads any scalar as a string: PORT: 8080 is fine.
			values = map[string]any{"type": []string{"string", "number", "boolean"}}
		}
		s = map[string]any{"type": "object", "additionalProperties": values}
		if opts.keyPattern != "" {
			names := map[string]any{"pattern": g.pattern(opts.keyPattern)}
			if opts.keyPattern == "envName" {
				names["not"] = map[string]any{"pattern": reservedEnvPattern}
			}
			s["propertyNames"] = names
		}
		return s
	case reflect.String:
		s, _ = jsonschema.Scalar(t)
		if opts.enum != "" {
			values, _ := g.enum(opts.enum)
			s["enum"] = values
		}
		if opts.pattern != "" {
			s["pattern"] = g.pattern(opts.pattern)
		}
		if opts.maxLength > 0 {
			s["maxLength"] = opts.maxLength
		}
		if opts.pattern == "bucket" {
			s["not"] = map[string]any{"pattern": spec.ReservedBucketPattern}
		}
	default:
		var ok bool
		if s, ok = jsonschema.Scalar(t); !ok {
			panic("scenarios: no schema for type " + t.String())
		}
	}
	if opts.min != nil {
		s["minimum"] = *opts.min
	}
	if opts.max != nil {
		s["maximum"] = *opts.max
	}
	if opts.exclMin != nil {
		s["exclusiveMinimum"] = *opts.exclMin
	}
	if nullWord != "" {
		return map[string]any{"anyOf": []any{s, map[string]any{"const": nullWord}}}
	}
	return s
}

func (g *schemaGen) pattern(name string) string {
	p, ok := spec.Patterns[name]
	if !ok {
		panic("scenarios: unknown schema pattern " + name)
	}
	return p
}

// targetPatterns match the targets of each kind, for the per-action rules.
var targetPatterns = map[string]string{
	spec.KindPostgres: `postgres\.[a-z0-9][a-z0-9-]*`,
	spec.KindStorage:  `storage`,
	spec.KindApp:      `app`,
	spec.KindEtcd:     `etcd\.[a-z0-9][a-z0-9-]*`,
	spec.KindMonitor:  `monitor`,
	spec.KindRegion:   `region\.[a-z0-9][a-z0-9-]*`,
}

func targetPattern(kinds []string) string {
	alts := make([]string, len(kinds))
	for i, k := range kinds {
		alts[i] = targetPatterns[k]
	}
	return "^(" + strings.Join(alts, "|") + ")$"
}

// faultRules adds to the Fault object what depends on the action: a target
// or a selector, the target kinds, `for`, and the params it takes.
func (g *schemaGen) faultRules(obj map[string]any) {
	props := obj["properties"].(map[string]any)
	props["target"].(map[string]any)["pattern"] = targetPattern(spec.TargetKinds)
	obj["oneOf"] = []any{
		map[string]any{"required": []string{"target"}},
		map[string]any{"required": []string{"selector"}},
	}
	var rules []any
	for _, name := range spec.ActionNames() {
		a, _ := spec.LookupAction(name)
		then := map[string]any{}
		var req []string
		params := map[string]any{}
		if len(a.Params) == 0 {
			params["maxProperties"] = 0
		} else {
			params["propertyNames"] = map[string]any{"enum": a.ParamNames()}
			if r := a.RequiredParams(); len(r) > 0 {
				params["required"] = r
				req = append(req, "params")
			}
		}
		thenProps := map[string]any{
			"params": params,
			"target": map[string]any{"pattern": targetPattern(a.Kinds)},
		}
		if a.Reversible {
			req = append(req, "for")
		} else {
			thenProps["for"] = false
		}
		then["properties"] = thenProps
		if len(req) > 0 {
			then["required"] = req
		}
		rules = append(rules, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"action": map[string]any{"const": name}}, "required": []string{"action"}},
			"then": then,
		})
	}
	obj["allOf"] = rules
}

// derivedDefaults are the defaults that depend on other fields: the schema
// leaves them to the descriptions.
var derivedDefaults = map[string]bool{
	"Storage.Region": true, // the first region
	"App.Region":     true, // the primary's region
	"Monkey.Targets": true, // the primary, and any replica when there is one
	"Window.End":     true, // timeline.duration
}

// schemaDefaults runs ApplyDefaults on sample scenarios that leave every
// defaulted field out, and returns the value each field received, keyed
// "Type.Field", as it would be written in YAML (a duration as "10s").
func schemaDefaults() map[string]any {
	samples := []*spec.Scenario{sampleScenario([]string{spec.ActionStop}), sampleScenario(nil), sampleScenario(nil), sampleScenario(nil)}
	// The stacks' blocks get their defaults with their manager only.
	samples[2].DR.Failover = spec.Failover{Manager: spec.ManagerPatroni}
	samples[3].DR.Failover = spec.Failover{Manager: spec.ManagerPgAutoFailover}
	out := map[string]any{}
	for _, s := range samples {
		for path := range spec.FillDefaults(s) {
			owner, f, v := walkPath(reflect.ValueOf(s).Elem(), path)
			key := owner.Name() + "." + f.Name
			if derivedDefaults[key] {
				continue
			}
			val := jsonValue(v)
			if old, dup := out[key]; dup && !reflect.DeepEqual(old, val) {
				panic(fmt.Sprintf("scenarios: field %s has two defaults, %v and %v: add it to derivedDefaults", key, old, val))
			}
			out[key] = val
		}
	}
	return out
}

// sampleScenario has one fault per action, a backup, a selector and a
// monkey with the given actions: every default applies to it.
func sampleScenario(monkeyActions []string) *spec.Scenario {
	s := &spec.Scenario{
		Environment: spec.Environment{Regions: []string{"a"}, Postgres: spec.Postgres{Primary: spec.Node{Region: "a"}, Replicas: []spec.Replica{{Name: "r", Region: "a"}}}},
		DR:          spec.DR{Backups: []spec.Backup{{Kind: spec.BackupLogical, Every: spec.Duration{Duration: time.Minute}}}},
		Timeline:    spec.Timeline{Duration: spec.Duration{Duration: time.Minute}},
		Monkey:      &spec.Monkey{Actions: monkeyActions},
	}
	for _, name := range spec.ActionNames() {
		s.Timeline.Faults = append(s.Timeline.Faults, spec.Fault{Action: name, Selector: &spec.Selector{Role: spec.RolePostgres}})
	}
	return s
}

var pathElemRE = regexp.MustCompile(`[^.\[\]]+|\[\d+\]`)

// walkPath follows a field path ("dr.backups[0].keep") from v, a
// Scenario, and returns the struct type holding the last field, the field
// and its value.
func walkPath(v reflect.Value, path string) (reflect.Type, reflect.StructField, reflect.Value) {
	var owner reflect.Type
	var field reflect.StructField
	for _, el := range pathElemRE.FindAllString(path, -1) {
		for v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if strings.HasPrefix(el, "[") {
			i, _ := strconv.Atoi(strings.Trim(el, "[]"))
			v = v.Index(i)
			continue
		}
		info, ok := yamlpos.Fields(v.Type()).ByName[el]
		if !ok {
			panic("scenarios: defaults path " + path + " does not name a field")
		}
		owner, field = v.Type(), v.Type().FieldByIndex(info.Index)
		v = v.FieldByIndex(info.Index)
	}
	return owner, field, v
}

// jsonValue is v as its YAML form would read in JSON.
func jsonValue(v reflect.Value) any {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Type() == durationType {
		return v.Interface().(spec.Duration).String()
	}
	if v.Kind() == reflect.Slice {
		out := []any{}
		for i := range v.Len() {
			out = append(out, jsonValue(v.Index(i)))
		}
		return out
	}
	return v.Interface()
}

// Paths lists every field path of the language, as
// "timeline.faults[].params.delay", in declaration order (for the docs
// test).
func Paths() []string {
	var out []string
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		t = jsonschema.Deref(t)
		switch {
		case t == durationType:
		case t.Kind() == reflect.Struct:
			ft := yamlpos.Fields(t)
			for _, name := range ft.Names {
				p := yamlpos.JoinPath(path, name)
				out = append(out, p)
				walk(t.FieldByIndex(ft.ByName[name].Index).Type, p)
			}
		case t.Kind() == reflect.Slice:
			walk(t.Elem(), path+"[]")
		}
	}
	walk(reflect.TypeFor[spec.Scenario](), "")
	return slices.Clip(out)
}
