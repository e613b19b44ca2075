// Package jsonschema holds what the generators of firedrill's JSON Schemas
// share (draft 2020-12): the scenario language's (scenarios/internal/schema)
// and result.json's (internal/resultschema). Both are made by reflection
// from the Go types that read or write the documents, so that a schema
// cannot drift from the code: struct types become objects defined once in
// $defs, slices arrays, maps objects of their values, scalars their JSON
// types; descriptions are the types' doc comments, read from the source
// by SourceDocs and kept in a generated docs.go beside each generator.
//
// What a document's fields are called, which are required and what
// further rules apply (the scenario's struct tags, result.json's json
// tags and nulls) is each generator's own.
package jsonschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// Draft is the $schema of every schema generated.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// Deref is t without its pointers.
func Deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// Defs are a schema's $defs: one object schema per struct type, by its
// name.
type Defs map[string]any

// Ref is the reference to the definition of struct type t, made by build
// the first time t is met (a recursive type meets itself in build: it gets
// the reference of the definition in progress).
func (d Defs) Ref(t reflect.Type, build func() map[string]any) map[string]any {
	if _, done := d[t.Name()]; !done {
		d[t.Name()] = nil // placeholder against recursion
		d[t.Name()] = build()
	}
	return map[string]any{"$ref": "#/$defs/" + t.Name()}
}

// Scalar is the schema of a string, boolean, integer or number kind;
// ok is false for any other kind.
func Scalar(t reflect.Type) (s map[string]any, ok bool) {
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}, true
	case reflect.Bool:
		return map[string]any{"type": "boolean"}, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}, true
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}, true
	}
	return nil, false
}

// Description is the description of field f of struct type owner from
// docs (keyed "Type.Field" and "Type"): the field's own, else its type's.
func Description(docs map[string]string, owner reflect.Type, f reflect.StructField) string {
	if d := docs[owner.Name()+"."+f.Name]; d != "" {
		return d
	}
	return docs[Deref(f.Type).Name()]
}

// Encode writes a schema as the generated files hold it: indented, keys
// sorted, "<" and ">" left as they are, one trailing newline.
func Encode(schema any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(schema); err != nil {
		return nil, fmt.Errorf("encode the schema: %w", err)
	}
	return buf.Bytes(), nil
}
