package resultschema

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/internal/jsonschema"
)

var update = flag.Bool("update", false, "rewrite docs.go, docs/result.schema.json and docs/result.md's reference from the source")

const (
	rootDir    = "../.."
	schemaFile = rootDir + "/docs/result.schema.json"
	resultDoc  = rootDir + "/docs/result.md"
)

// sourceDocs are the doc comments of the types result.json is made of,
// from the source of package firedrill.
func sourceDocs(t *testing.T) map[string]string {
	t.Helper()
	types := jsonschema.Reachable(reflect.TypeFor[firedrill.Result](), func(t reflect.Type) bool { return t == reflect.TypeFor[time.Time]() })
	docs, err := jsonschema.SourceDocs(rootDir, types)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// writeOrCompare rewrites path with want under -update, else checks it.
func writeOrCompare(t *testing.T, path string, want []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go test ./internal/resultschema -update", path)
	}
}

func TestDocsFile(t *testing.T) {
	want, err := jsonschema.DocsFile("TestDocsFile (go test ./internal/resultschema -update)", "resultschema", "fieldDocs",
		"// fieldDocs are the doc comments of result.json's types (\"Type\") and their\n// fields (\"Type.Field\"): the descriptions of its JSON Schema.\n", sourceDocs(t))
	if err != nil {
		t.Fatal(err)
	}
	writeOrCompare(t, "docs.go", want)
}

// TestSchemaFile keeps docs/result.schema.json equal to the generator's
// output, and Generate (the committed docs) equal to it too.
func TestSchemaFile(t *testing.T) {
	want, err := Build(sourceDocs(t))
	if err != nil {
		t.Fatal(err)
	}
	writeOrCompare(t, schemaFile, want)
	if got, err := Generate(); err != nil || !bytes.Equal(got, want) {
		t.Errorf("Generate() differs from the source's docs (%v): run go test ./internal/resultschema -update", err)
	}
}

// Every property and every object has a description; moreDocs describes
// only fields that exist.
func TestEveryFieldDescribed(t *testing.T) {
	data, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	objects := map[string]any{"Result": root}
	for name, def := range root["$defs"].(map[string]any) {
		objects[name] = def
	}
	var missing []string
	for name, obj := range objects {
		for prop, ps := range obj.(map[string]any)["properties"].(map[string]any) {
			if ps.(map[string]any)["description"] == nil {
				missing = append(missing, name+"."+prop)
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("%s has no description: add a doc comment, or an entry to more.go", m)
	}
	_, order, _ := build(fieldDocs)
	fields := map[string]bool{}
	for _, typ := range order {
		fields[typ.Name()] = true
		for _, p := range properties(typ) {
			fields[typ.Name()+"."+p.field.Name] = true
		}
	}
	for k := range moreDocs {
		if !fields[k] {
			t.Errorf("more.go describes %s, which result.json does not hold", k)
		}
	}
}

// TestResultDoc keeps the field reference of docs/result.md equal to
// Reference.
func TestResultDoc(t *testing.T) {
	ref, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(resultDoc)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := bytes.Cut(doc, []byte(ReferenceBegin))
	_, after, ok2 := bytes.Cut(rest, []byte(ReferenceEnd))
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the markers %q and %q", resultDoc, ReferenceBegin, ReferenceEnd)
	}
	want := string(before) + ReferenceBegin + "\n" + ref + "\n" + ReferenceEnd + string(after)
	writeOrCompare(t, resultDoc, []byte(want))
}
