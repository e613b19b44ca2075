package resultschema

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/internal/jsonschema"
)

// ID is the schema's $id; the canonical copy is docs/result.schema.json.
const ID = "https://github.com/firedrill/firedrill/docs/result.schema.json"

// Generate returns the JSON Schema (draft 2020-12) of result.json,
// indented, ending with a newline, with the descriptions of docs.go and
// more.go.
func Generate() ([]byte, error) { return Build(fieldDocs) }

// Build generates the schema with the given doc comments, keyed "Type"
// and "Type.Field" (the test passes them as they are in the source, so
// that one -update run refreshes docs.go, the schema and docs/result.md).
func Build(docs map[string]string) (out []byte, err error) {
	root, _, err := build(docs)
	if err != nil {
		return nil, err
	}
	out, err = jsonschema.Encode(root)
	if err != nil {
		return nil, fmt.Errorf("the result.json schema: %w", err)
	}
	return out, nil
}

// build is the schema as a value, with the struct types in the order
// they are first met from Result (the order docs/result.md lists them).
func build(docs map[string]string) (root map[string]any, order []reflect.Type, err error) {
	defer func() {
		// The generator panics on a type it has no rule for: a bug, but
		// `firedrill schema --result` should say so rather than crash.
		if r := recover(); r != nil {
			err = fmt.Errorf("generate the result.json schema: %v", r)
		}
	}()
	all := map[string]string{}
	for k, v := range docs {
		all[k] = v
	}
	for k, v := range moreDocs {
		all[k] = v
	}
	g := &gen{docs: all, defs: jsonschema.Defs{}}
	rootType := reflect.TypeFor[firedrill.Result]()
	g.order = append(g.order, rootType)
	root = g.object(rootType)
	root["$schema"] = jsonschema.Draft
	root["$id"] = ID
	root["title"] = fmt.Sprintf("firedrill result.json (schema_version %d)", firedrill.ResultSchemaVersion)
	root["$defs"] = g.defs
	return root, g.order, nil
}

type gen struct {
	docs  map[string]string
	defs  jsonschema.Defs
	order []reflect.Type
}

// property is one field of a struct as encoding/json writes it.
type property struct {
	name      string
	field     reflect.StructField
	omitempty bool
}

// properties are t's fields as encoding/json writes them, in order:
// a field tagged "-" is never written.
func properties(t reflect.Type) []property {
	var out []property
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, property{name: name, field: f, omitempty: strings.Contains(","+opts+",", ",omitempty,")})
	}
	return out
}

// neverNull are the lists reports.WriteJSON writes as [] when empty.
var neverNull = map[string]bool{"Result.Objectives": true, "Result.Faults": true, "Result.Events": true}

// enums are the string types whose values are a closed set: a value added
// changes what readers must handle, so it raises the schema version
// (docs/result.md, "Versioning").
var enums = map[reflect.Type][]string{
	reflect.TypeFor[firedrill.Verdict](): {string(firedrill.VerdictPass), string(firedrill.VerdictFail), string(firedrill.VerdictInconclusive)},
	reflect.TypeFor[firedrill.ObjectiveStatus](): {string(firedrill.StatusMet), string(firedrill.StatusMissed),
		string(firedrill.StatusNoData), string(firedrill.StatusReported)},
	reflect.TypeFor[firedrill.Recovery](): {string(firedrill.RecoveryRecovered), string(firedrill.RecoveryNever),
		string(firedrill.RecoveryUnconfirmed), string(firedrill.RecoveryNoData), string(firedrill.RecoveryOverlapped),
		string(firedrill.RecoveryNotInjected), string(firedrill.RecoverySkipped)},
}

// object is the schema of a struct type: every property it may hold
// (additionalProperties false), those always written required.
func (g *gen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for _, p := range properties(t) {
		s := g.typeSchema(p.field.Type)
		key := t.Name() + "." + p.field.Name
		kind := p.field.Type.Kind()
		switch {
		case key == "Result.SchemaVersion":
			s["const"] = firedrill.ResultSchemaVersion
		case p.omitempty:
			// Absent when empty, never null.
		case kind == reflect.Pointer,
			(kind == reflect.Slice || kind == reflect.Map) && !neverNull[key]:
			s = nullable(s)
		}
		if !p.omitempty {
			required = append(required, p.name)
		}
		if d := jsonNames(t, g.description(t, p.field)); d != "" {
			s["description"] = d
		}
		props[p.name] = s
	}
	obj := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if d := g.docs[t.Name()]; d != "" {
		obj["description"] = jsonNames(t, d)
	}
	if len(required) > 0 {
		obj["required"] = required
	}
	return obj
}

// description is a field's doc: its own, its type's, or else the
// comment of an earlier field of the struct that names it (Go doc
// comments describe a group of fields in the first one's: "Sent counts
// the reads sent; each ended OK, Stale, Failed or Indeterminate").
func (g *gen) description(owner reflect.Type, f reflect.StructField) string {
	if d := jsonschema.Description(g.docs, owner, f); d != "" {
		return d
	}
	// A figure in ms mirrors a duration the JSON leaves out ("AtMS" for
	// "At", tagged "-"), whose comment describes it.
	if base, ok := strings.CutSuffix(f.Name, "MS"); ok {
		if d, ok := owner.FieldByName(base); ok && d.Tag.Get("json") == "-" && g.docs[owner.Name()+"."+base] != "" {
			return g.docs[owner.Name()+"."+base] + " In milliseconds."
		}
	}
	word := regexp.MustCompile(`\b` + regexp.QuoteMeta(f.Name) + `\b`)
	for i := f.Index[0] - 1; i >= 0; i-- {
		if d := g.docs[owner.Name()+"."+owner.Field(i).Name]; d != "" {
			if word.MatchString(d) {
				return d
			}
			return ""
		}
	}
	return ""
}

// nullable lets s be null too: a measurement that could not be made
// (docs/result.md, "Null, absent and zero").
func nullable(s map[string]any) map[string]any {
	if typ, ok := s["type"].(string); ok {
		s["type"] = []string{typ, "null"}
		return s
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

var timeType = reflect.TypeFor[time.Time]()

func (g *gen) typeSchema(t reflect.Type) map[string]any {
	t = jsonschema.Deref(t)
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.Struct:
		return g.defs.Ref(t, func() map[string]any {
			g.order = append(g.order, t)
			return g.object(t)
		})
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.typeSchema(t.Elem())}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			panic("resultschema: a map keyed by " + t.Key().String())
		}
		return map[string]any{"type": "object", "additionalProperties": g.typeSchema(t.Elem())}
	}
	s, ok := jsonschema.Scalar(t)
	if !ok {
		panic("resultschema: no schema for type " + t.String())
	}
	if values, ok := enums[t]; ok {
		s["enum"] = values
	}
	return s
}

var goIdent = regexp.MustCompile(`\b[A-Z][A-Za-z]*[A-Z][A-Za-z]*\b`)

// jsonNames writes the Go names of t's fields in a doc comment ("RTOMS",
// "PendingMS") as their JSON names ("rto_ms"), for readers of the JSON.
// Names of one capital only ("Lost", "Error") are English words too and
// stay.
func jsonNames(t reflect.Type, doc string) string {
	names := map[string]string{}
	for _, p := range properties(t) {
		names[p.field.Name] = p.name
	}
	return goIdent.ReplaceAllStringFunc(doc, func(w string) string {
		if n, ok := names[w]; ok && len(w) > 2 { // "DR" and "ID" are words too
			return n
		}
		return w
	})
}
