package resultschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The schema is checked with a full JSON Schema 2020-12 validator
// (santhosh-tekuri/jsonschema, a test-only dependency: it passes the
// JSON-Schema-Test-Suite), not a checker of our own, so that what it
// accepts is what any reader's validator accepts.

func compiled(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(ID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(ID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// goldenResults are every result.json the repository pins: score's
// fixtures, the renderers' DR drill, and the array of several results.
func goldenResults(t *testing.T) map[string]any {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(rootDir, "reports", "score", "testdata", "*.json.golden"))
	more, _ := filepath.Glob(filepath.Join(rootDir, "reports", "markdown", "testdata", "*.json*"))
	if len(paths) == 0 || len(more) == 0 {
		t.Fatal("no golden result.json found")
	}
	out := map[string]any{}
	for _, p := range append(paths, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if list, ok := v.([]any); ok { // an array of results
			for i, r := range list {
				out[fmt.Sprintf("%s[%d]", filepath.Base(p), i)] = r
			}
			continue
		}
		out[filepath.Base(p)] = v
	}
	return out
}

func TestGoldenResultsMatchTheSchema(t *testing.T) {
	s := compiled(t)
	for name, v := range goldenResults(t) {
		if err := s.Validate(v); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The schema refuses what a reader must not take for a result.json of
// this version.
func TestSchemaRejects(t *testing.T) {
	s := compiled(t)
	base, err := os.ReadFile(filepath.Join(rootDir, "reports", "score", "testdata", "fail.json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"another schema version", `"schema_version": 1`, `"schema_version": 2`, "value must be 1"},
		{"an unknown field", `"scenario":`, `"scenari0": "x", "scenario":`, "additional properties"},
		{"an unknown verdict", `"verdict": "fail"`, `"verdict": "failed"`, "value must be one of"},
		{"a missing field", `"run_id": "r-test",`, ``, "missing propert"},
		{"null for a count", `"attempted": 200`, `"attempted": null`, "got null"},
		{"a string for a number", `"duration_ms": 20000`, `"duration_ms": "20s"`, "got string"},
		{"null objectives", `"objectives": [`, `"objectives": null, "x": [`, "got null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(string(base), tc.from, tc.to, 1)
			if doc == string(base) {
				t.Fatalf("%q is not in fail.json.golden", tc.from)
			}
			var v any
			if err := json.Unmarshal([]byte(doc), &v); err != nil {
				t.Fatal(err)
			}
			err := s.Validate(v)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("want an error saying %q, got %v", tc.want, err)
			}
		})
	}
}
