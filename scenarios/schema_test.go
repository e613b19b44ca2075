package scenarios

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill/internal/jsonschema"
	"github.com/firedrill/firedrill/scenarios/internal/schema"
	"github.com/firedrill/firedrill/scenarios/internal/spec"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

var update = flag.Bool("update", false, "rewrite internal/schema/docs.go and schema.json from the source")

// The doc comments are read from the types' packages, and the generated
// descriptions go to the schema generator's.
var typesDirs = []string{"internal/spec", "internal/failover"}

const docsGo = "internal/schema/docs.go"

// sourceDocs reads the doc comments of the scenario types reachable from
// Scenario, and of their fields, from the source of packages spec and failover: the
// single source of the schema's descriptions.
func sourceDocs(t *testing.T) map[string]string {
	t.Helper()
	docs := map[string]string{}
	for _, dir := range typesDirs {
		found, err := jsonschema.SourceDocs(dir, reachableTypes())
		if err != nil {
			t.Fatal(err)
		}
		maps.Copy(docs, found)
	}
	return docs
}

// reachableTypes are the names of the struct types a scenario is made of.
func reachableTypes() map[string]bool {
	return jsonschema.Reachable(reflect.TypeFor[Scenario](), func(t reflect.Type) bool { return t == reflect.TypeFor[Duration]() })
}

func docsFile(docs map[string]string) ([]byte, error) {
	return jsonschema.DocsFile("TestSchemaDocs (go test ./scenarios -update)", "schema", "fieldDocs",
		"// fieldDocs are the doc comments of the scenario types (\"Type\") and their\n// fields (\"Type.Field\"): the descriptions of the JSON Schema.\n", docs)
}

// TestSchemaDocs keeps internal/schema/docs.go equal to the doc comments.
func TestSchemaDocs(t *testing.T) {
	want, err := docsFile(sourceDocs(t))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(docsGo, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(docsGo)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error(docsGo + " is stale: run go test ./scenarios -update")
	}
}

// TestSchemaFile keeps schema.json (and its embedded copy) equal to the
// generator's output.
func TestSchemaFile(t *testing.T) {
	// From the docs as they are in the source, so that one -update run
	// refreshes both generated files consistently.
	want, err := schema.Build(sourceDocs(t))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("schema.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("schema.json is stale: run go test ./scenarios -update")
	}
	if !bytes.Equal(SchemaJSON, got) {
		t.Error("the embedded schema differs from schema.json: rebuild")
	}
	fromTable, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromTable, want) {
		t.Error("Schema() differs from schema.json: run go test ./scenarios -update")
	}
}

func TestSchemaShape(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(SchemaJSON, &s); err != nil {
		t.Fatal(err)
	}
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema %v", s["$schema"])
	}
	defs := s["$defs"].(map[string]any)
	fault := defs["Fault"].(map[string]any)
	if fault["additionalProperties"] != false {
		t.Error("Fault allows unknown fields")
	}
	enum := fault["properties"].(map[string]any)["action"].(map[string]any)["enum"]
	if !reflect.DeepEqual(enum, toAny(ActionNames())) {
		t.Errorf("action enum %v", enum)
	}
	wl := defs["Workload"].(map[string]any)["properties"].(map[string]any)
	if d := wl["timeout"].(map[string]any)["default"]; d != "1s" {
		t.Errorf("timeout default %v", d)
	}
	if d := wl["writes_per_second"].(map[string]any)["default"]; d != 50.0 {
		t.Errorf("writes_per_second default %v", d)
	}
	if !strings.Contains(wl["timeout"].(map[string]any)["description"].(string), "indeterminate") {
		t.Error("timeout has no description from its doc comment")
	}
	// Every property of every object has a description.
	for name, def := range defs {
		props, _ := def.(map[string]any)["properties"].(map[string]any)
		for p, ps := range props {
			if ps.(map[string]any)["description"] == nil {
				t.Errorf("%s.%s has no description", name, p)
			}
		}
	}
	for p, ps := range s["properties"].(map[string]any) {
		if ps.(map[string]any)["description"] == nil {
			t.Errorf("%s has no description", p)
		}
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// yamlToJSON reads YAML as the JSON value an editor's schema checker sees.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(j, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The built-in scenarios, as written and as loaded with their defaults,
// satisfy the schema.
func TestSchemaAcceptsBuiltins(t *testing.T) {
	sc := newSchemaChecker(t, SchemaJSON)
	for _, name := range BuiltinNames() {
		data, err := library.ReadFile("library/" + name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		if errs := sc.check(yamlToJSON(t, data)); len(errs) > 0 {
			t.Errorf("%s as written: %s", name, strings.Join(errs, "\n"))
		}
		s, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := yaml.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if errs := sc.check(yamlToJSON(t, out)); len(errs) > 0 {
			t.Errorf("%s with defaults: %s", name, strings.Join(errs, "\n"))
		}
	}
	for _, doc := range []string{base, fullScenario} {
		if errs := sc.check(yamlToJSON(t, []byte(doc))); len(errs) > 0 {
			t.Errorf("%s", strings.Join(errs, "\n"))
		}
	}
}

// The schema rejects the mistakes a schema can see.
func TestSchemaRejects(t *testing.T) {
	sc := newSchemaChecker(t, SchemaJSON)
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown field", edit(map[int]string{11: "  writes_per_sec: 50"}), "workload: unknown property writes_per_sec"},
		{"bare duration", edit(map[int]string{19: "  duration: 60"}), "timeline.duration: want string"},
		{"bad duration", edit(map[int]string{12: "  timeout: 15 seconds"}), "workload.timeout: does not match"},
		{"unknown action", edit(map[int]string{22: "      action: kil"}), "timeline.faults[0].action: not one of"},
		{"kill with for", edit(map[int]string{23: "      target: postgres.primary\n      for: 10s"}), "timeline.faults[0].for: not allowed"},
		{"stop without for", edit(map[int]string{22: "      action: stop"}), `timeline.faults[0]: missing "for"`},
		{"latency without delay", edit(map[int]string{22: "      action: latency\n      for: 5s\n      params: {jitter: 1ms}"}), `timeline.faults[0].params: missing "delay"`},
		{"param of another action", edit(map[int]string{22: "      action: loss\n      for: 5s\n      params: {delay: 1s}"}), "timeline.faults[0].params: property name delay"},
		{"target and selector", edit(map[int]string{23: "      target: postgres.primary\n      selector: {role: replica}"}), "timeline.faults[0]: matches 2 of oneOf"},
		{"region target for kill", edit(map[int]string{23: "      target: region.east"}), "timeline.faults[0].target: does not match"},
		{"reserved env", edit(map[int]string{9: "        region: west\n  app:\n    env: {FIREDRILL_X: y}"}), "environment.app.env: property name FIREDRILL_X"},
		{"negative writes", edit(map[int]string{11: "  writes_per_second: -1"}), "workload.writes_per_second: not >= 0.001"},
		{"too many replicas", edit(map[int]string{9: "        region: west" + strings.Repeat("\n      - {name: rx, region: west}", MaxReplicas)}), "environment.postgres.replicas: more than 9 items"},
		{"long replica name", edit(map[int]string{8: "      - name: " + strings.Repeat("r", MaxReplicaNameLength+1)}), "environment.postgres.replicas[0].name: longer than 17 characters"},
		{"too many regions", edit(map[int]string{4: "  regions: [" + strings.Repeat("a, ", spec.MaxRegions) + "east, west]"}), "environment.regions: more than 12 items"},
		{"long region", edit(map[int]string{4: "  regions: [east, west, " + strings.Repeat("r", spec.MaxNameLength+1) + "]"}), "environment.regions[2]: longer than 63 characters"},
		{"reserved bucket suffix", edit(map[int]string{9: "        region: west\n  storage: {bucket: my-s3alias}"}), "environment.storage.bucket: matches not"},
		{"bucket as an IP address", edit(map[int]string{9: "        region: west\n  storage: {bucket: 10.0.0.1}"}), "environment.storage.bucket: matches not"},
		{"too many instances", edit(map[int]string{9: "        region: west\n  app: {instances: 17}"}), "environment.app.instances: not <= 16"},
		{"unknown step", edit(map[int]string{17: "    fencing: stop\n  recovery: {database: [restore-latest]}"}), "dr.recovery.database[0]: not one of"},
		{"missing name", edit(map[int]string{2: "# no name"}), `(root): missing "name"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := sc.check(yamlToJSON(t, []byte(tc.yaml)))
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tc.want) }) {
				t.Errorf("want %q among:\n%s", tc.want, strings.Join(errs, "\n"))
			}
		})
	}
}

// schemaChecker checks a JSON value against the subset of JSON Schema
// 2020-12 that Schema generates; enough to test the shipped schema without
// a dependency. Unknown keywords fail the test, so the checker cannot
// silently skip what the generator starts using.
type schemaChecker struct {
	t    *testing.T
	root map[string]any
}

func newSchemaChecker(t *testing.T, data []byte) *schemaChecker {
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	return &schemaChecker{t: t, root: root}
}

func (c *schemaChecker) check(v any) []string { return c.validate(c.root, v, "") }

var knownKeywords = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "title": true, "description": true, "default": true,
	"$ref": true, "type": true, "properties": true, "additionalProperties": true, "required": true,
	"enum": true, "const": true, "pattern": true, "minimum": true, "maximum": true, "exclusiveMinimum": true,
	"items": true, "minItems": true, "maxItems": true, "maxLength": true, "propertyNames": true, "maxProperties": true, "anyOf": true,
	"oneOf": true, "allOf": true, "if": true, "then": true, "not": true,
}

func (c *schemaChecker) validate(schema any, v any, at string) []string {
	where := at
	if where == "" {
		where = "(root)"
	}
	fail := func(format string, args ...any) []string {
		return []string{where + ": " + fmt.Sprintf(format, args...)}
	}
	switch s := schema.(type) {
	case bool:
		if !s {
			return fail("not allowed")
		}
		return nil
	case map[string]any:
		var errs []string
		for k := range s {
			if !knownKeywords[k] {
				c.t.Fatalf("schema checker: unknown keyword %s at %s", k, where)
			}
		}
		if ref, ok := s["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/$defs/")
			def, ok := c.root["$defs"].(map[string]any)[name]
			if !ok {
				c.t.Fatalf("schema checker: dangling $ref %s", ref)
			}
			errs = append(errs, c.validate(def, v, at)...)
		}
		if typ, ok := s["type"].(string); ok && !hasType(v, typ) {
			return append(errs, fail("want %s, got %v", typ, v)...)
		}
		if types := asSlice(s["type"]); types != nil &&
			!slices.ContainsFunc(types, func(typ any) bool { return hasType(v, typ.(string)) }) {
			return append(errs, fail("want one of %v, got %v", types, v)...)
		}
		if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return reflect.DeepEqual(x, v) }) {
			errs = append(errs, fail("not one of %v: %v", e, v)...)
		}
		if cst, ok := s["const"]; ok && !reflect.DeepEqual(cst, v) {
			errs = append(errs, fail("not %v", cst)...)
		}
		if m, ok := s["maxLength"].(float64); ok {
			if str, ok := v.(string); ok && float64(utf8.RuneCountInString(str)) > m {
				errs = append(errs, fail("longer than %v characters", m)...)
			}
		}
		if p, ok := s["pattern"].(string); ok {
			if str, ok := v.(string); ok && !regexp.MustCompile(p).MatchString(str) {
				errs = append(errs, fail("does not match %s: %q", p, str)...)
			}
		}
		if n, ok := v.(float64); ok {
			if m, ok := s["minimum"].(float64); ok && n < m {
				errs = append(errs, fail("not >= %v", m)...)
			}
			if m, ok := s["maximum"].(float64); ok && n > m {
				errs = append(errs, fail("not <= %v", m)...)
			}
			if m, ok := s["exclusiveMinimum"].(float64); ok && n <= m {
				errs = append(errs, fail("not > %v", m)...)
			}
		}
		if obj, ok := v.(map[string]any); ok {
			props, _ := s["properties"].(map[string]any)
			for _, r := range asSlice(s["required"]) {
				if _, ok := obj[r.(string)]; !ok {
					errs = append(errs, fail("missing %q", r)...)
				}
			}
			for _, k := range sortedKeys(obj) {
				sub := yamlpos.JoinPath(at, k)
				if ps, ok := props[k]; ok {
					errs = append(errs, c.validate(ps, obj[k], sub)...)
				} else if ap, ok := s["additionalProperties"]; ok {
					if ap == false {
						errs = append(errs, fail("unknown property %s", k)...)
					} else {
						errs = append(errs, c.validate(ap, obj[k], sub)...)
					}
				}
				if pn, ok := s["propertyNames"]; ok && len(c.validate(pn, k, sub)) > 0 {
					errs = append(errs, fail("property name %s is not allowed", k)...)
				}
			}
			if m, ok := s["maxProperties"].(float64); ok && float64(len(obj)) > m {
				errs = append(errs, fail("more than %v properties", m)...)
			}
		}
		if arr, ok := v.([]any); ok {
			if m, ok := s["minItems"].(float64); ok && float64(len(arr)) < m {
				errs = append(errs, fail("fewer than %v items", m)...)
			}
			if m, ok := s["maxItems"].(float64); ok && float64(len(arr)) > m {
				errs = append(errs, fail("more than %v items", m)...)
			}
			if items, ok := s["items"]; ok {
				for i, el := range arr {
					errs = append(errs, c.validate(items, el, fmt.Sprintf("%s[%d]", at, i))...)
				}
			}
		}
		for _, sub := range asSlice(s["allOf"]) {
			errs = append(errs, c.validate(sub, v, at)...)
		}
		if anyOf := asSlice(s["anyOf"]); anyOf != nil &&
			!slices.ContainsFunc(anyOf, func(sub any) bool { return len(c.validate(sub, v, at)) == 0 }) {
			errs = append(errs, fail("matches none of anyOf")...)
		}
		if one := asSlice(s["oneOf"]); one != nil {
			n := 0
			for _, sub := range one {
				if len(c.validate(sub, v, at)) == 0 {
					n++
				}
			}
			if n != 1 {
				errs = append(errs, fail("matches %d of oneOf", n)...)
			}
		}
		if cond, ok := s["if"]; ok && len(c.validate(cond, v, at)) == 0 {
			if then, ok := s["then"]; ok {
				errs = append(errs, c.validate(then, v, at)...)
			}
		}
		if not, ok := s["not"]; ok && len(c.validate(not, v, at)) == 0 {
			errs = append(errs, fail("matches not")...)
		}
		return errs
	}
	c.t.Fatalf("schema checker: schema at %s is %T", where, schema)
	return nil
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func hasType(v any, typ string) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	}
	return false
}
