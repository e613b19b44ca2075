package yamlpos

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// The decoder walks the yaml.Node tree against the Go types by reflection,
// reading the field names from the yaml struct tags. Unlike
// yaml.Decoder.KnownFields it does not stop at the first problem: every
// unknown field, wrong type and bad duration is reported at its own node,
// and every field's position is remembered for the validator.
//
// Supported field types: structs (as mappings; `yaml:",inline"` flattens),
// pointers (nil when absent or null), slices (as lists), maps with string
// keys, strings, bools, integers, floats, and any type whose pointer
// implements ScalarDecoder (Duration). A struct tag null:"word" on a
// pointer field makes the plain string word mean nil (lost_writes: report).

// ScalarDecoder is implemented by types written as one YAML scalar with
// their own syntax.
type ScalarDecoder interface {
	// DecodeScalar sets the value from n, a scalar node, or returns a
	// message and a hint.
	DecodeScalar(n *yaml.Node) (msg, hint string)
	// Expected describes the syntax for "expected X" messages.
	Expected() string
}

var scalarDecoderType = reflect.TypeFor[ScalarDecoder]()

// maxVisits bounds the work of decoding one document beyond the nodes
// written in it: the nodes it expands to through aliases, plus every
// key/value pair merge keys copy in (a "billion laughs" document, or
// merges of merges of merges, is an error at the place the budget ran
// out, not a hang).
const MaxVisits = 100_000

type Pos struct{ Line, Col int }

func posOf(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

// Source remembers, for a document read from YAML, where each field was
// written. Paths are field paths: "timeline.faults[0].at"; "" is the root.
type Source struct {
	pos       map[string]Pos  // field path → position of its value
	present   map[string]bool // fields written with a non-null value
	bad       map[string]bool // fields that failed to decode
	Defaulted map[string]bool // fields filled by ApplyDefaults
	Keys      map[string]Pos  // map entry path → position of its key
}

func newSource() *Source {
	return &Source{
		pos:       map[string]Pos{},
		present:   map[string]bool{},
		bad:       map[string]bool{},
		Defaulted: map[string]bool{},
		Keys:      map[string]Pos{},
	}
}

// At returns the position of path, or of its nearest written ancestor.
func (s *Source) At(path string) Pos {
	if s == nil {
		return Pos{}
	}
	for {
		if p, ok := s.pos[path]; ok {
			return p
		}
		if path == "" {
			return Pos{}
		}
		path = parentPath(path)
	}
}

// IsPresent reports whether path was written in the file with a value.
func (s *Source) IsPresent(path string) bool { return s != nil && s.present[path] }

// IsBad reports whether path or one of its ancestors failed to decode:
// the validator stays quiet about it, the decoder has said what is wrong.
func (s *Source) IsBad(path string) bool {
	if s == nil {
		return false
	}
	for {
		if s.bad[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parentPath(path)
	}
}

// parentPath strips the last element of a field path: a.b[2] → a.b → a → "".
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// MapPath is the path of a map entry: env.DEBUG, or labels["a.b"] for a
// key that is not a plain word (so that parentPath still finds the map).
func MapPath(parent, key string) string {
	if plainKeyRE.MatchString(key) {
		return JoinPath(parent, key)
	}
	return parent + "[" + strconv.Quote(key) + "]"
}

var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func JoinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

type Decoder struct {
	file   string
	Src    *Source
	Errs   Errors
	More   int                 // problems past MaxErrors, counted only
	active map[*yaml.Node]bool // aliases being expanded, against cycles
	visits int
	root   reflect.Type // the type of the document, for "did you mean" elsewhere
}

// NewDecoder returns a decoder of one document of the struct type root;
// file names it in the errors.
func NewDecoder(file string, root reflect.Type) *Decoder {
	return &Decoder{file: file, Src: newSource(), active: map[*yaml.Node]bool{}, root: root}
}

// Decode sets v, a value of the decoder's root type, from the document's
// root node n.
func (d *Decoder) Decode(n *yaml.Node, v reflect.Value) { d.decode(n, v, "", "") }

// fail records a problem at node n for the field path; past MaxErrors it
// only counts it.
func (d *Decoder) fail(n *yaml.Node, path, msg, hint string) {
	d.Src.bad[path] = true
	if d.full() {
		d.More++
		return
	}
	d.Errs = append(d.Errs, &Error{File: d.file, Line: n.Line, Col: n.Column, Path: path, Msg: msg, Hint: hint})
}

// full reports whether MaxErrors problems are recorded: further ones are
// counted, and their hints need not be computed.
func (d *Decoder) full() bool { return len(d.Errs) >= MaxErrors }

// Visits is the work done so far, in the units of MaxVisits.
func (d *Decoder) Visits() int { return d.visits }

// Exhausted reports whether the budget ran out: the scenario is then only
// partly decoded.
func (d *Decoder) Exhausted() bool { return d.visits > MaxVisits }

// spend charges n units of work to the budget and reports whether it is
// exhausted; the first time it is, the problem is reported at node n.
func (d *Decoder) spend(units int, at *yaml.Node, path string) bool {
	if d.Exhausted() {
		return true
	}
	if d.visits += units; d.visits > MaxVisits {
		d.fail(at, path, "the document is too large once its aliases and merge keys are expanded",
			"use fewer aliases and merge keys (<<), or write the values out")
		return true
	}
	return false
}

// deref follows an alias to the node it names. It returns nil (after
// reporting) for a cycle or an unknown anchor.
func (d *Decoder) deref(n *yaml.Node, path string) (target *yaml.Node, done func()) {
	done = func() {}
	var held []*yaml.Node
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil || d.active[n] {
			d.fail(n, path, fmt.Sprintf("alias *%s refers to itself", Clip(n.Value)), "an anchored value cannot contain an alias to itself")
			for _, h := range held {
				delete(d.active, h)
			}
			return nil, done
		}
		d.active[n] = true
		held = append(held, n)
		n = n.Alias
	}
	return n, func() {
		for _, h := range held {
			delete(d.active, h)
		}
	}
}

// decode sets v from node n; path names the field.
func (d *Decoder) decode(n *yaml.Node, v reflect.Value, path, nullWord string) {
	// Only the nodes reached through an alias are charged: the others are
	// bounded by the size of the file.
	if (n.Kind == yaml.AliasNode || len(d.active) > 0) && d.spend(1, n, path) {
		return
	}
	d.Src.pos[path] = posOf(n)
	t, done := d.deref(n, path)
	defer done()
	if t == nil {
		return
	}
	if t.Kind == yaml.ScalarNode {
		tag := t.ShortTag()
		if tag == "!!null" {
			// An explicit null is the same as leaving the field out.
			v.SetZero()
			return
		}
		if nullWord != "" && tag == "!!str" && t.Value == nullWord {
			v.SetZero()
			d.Src.present[path] = true
			return
		}
	}
	d.Src.present[path] = true
	d.decodeInto(t, v, path, nullWord)
}

// decodeInto sets v from the non-null, non-alias node t.
func (d *Decoder) decodeInto(t *yaml.Node, v reflect.Value, path, nullWord string) {
	if v.CanAddr() && v.Addr().Type().Implements(scalarDecoderType) {
		sd := v.Addr().Interface().(ScalarDecoder)
		if t.Kind != yaml.ScalarNode {
			d.typeError(t, path, sd.Expected(), "")
			return
		}
		if msg, hint := sd.DecodeScalar(t); msg != "" {
			if n, ok := strings.CutPrefix(hint, "write "); ok && strings.HasSuffix(n, "s") && isLatencyPath(path) {
				// A bare number of latency is most likely milliseconds.
				hint = "write " + strings.TrimSuffix(n, "s") + "ms, or " + n
			}
			d.fail(t, path, msg, hint)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		d.decodeInto(t, e.Elem(), path, nullWord)
		v.Set(e)
	case reflect.Struct:
		d.decodeStruct(t, v, path)
	case reflect.Slice:
		if t.Kind != yaml.SequenceNode {
			hint := "write [a, b] or one \"- item\" per line"
			if t.Kind == yaml.ScalarNode {
				hint = "write [" + Clip(t.Value) + "] for a list of one"
			}
			d.typeError(t, path, "a list", hint)
			return
		}
		if len(t.Content) == 0 {
			v.SetZero() // [] is nil, as when left out
			return
		}
		s := reflect.MakeSlice(v.Type(), len(t.Content), len(t.Content))
		for i, el := range t.Content {
			d.decode(el, s.Index(i), path+"["+strconv.Itoa(i)+"]", "")
		}
		v.Set(s)
	case reflect.Map:
		d.decodeMap(t, v, path)
	case reflect.String:
		if t.Kind != yaml.ScalarNode {
			d.typeError(t, path, "a string", "")
			return
		}
		v.SetString(t.Value)
	case reflect.Bool:
		var b bool
		if t.Kind != yaml.ScalarNode || t.ShortTag() != "!!bool" || t.Decode(&b) != nil {
			d.typeError(t, path, "true or false", "")
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		if t.Kind != yaml.ScalarNode || t.ShortTag() != "!!int" {
			d.typeError(t, path, expectedOf(v.Type(), nullWord), "")
			return
		}
		if t.Decode(&i) != nil || v.OverflowInt(i) {
			d.fail(t, path, fmt.Sprintf("the number %s is out of range", Clip(t.Value)), "")
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var u uint64
		if t.Kind != yaml.ScalarNode || t.ShortTag() != "!!int" {
			d.typeError(t, path, expectedOf(v.Type(), nullWord), "")
			return
		}
		if t.Decode(&u) != nil || v.OverflowUint(u) {
			d.fail(t, path, fmt.Sprintf("the number %s is out of range", Clip(t.Value)), "")
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		var f float64
		tag := t.ShortTag()
		if t.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || t.Decode(&f) != nil {
			d.typeError(t, path, "a number", percentHint(path, t))
			return
		}
		if v.OverflowFloat(f) {
			d.fail(t, path, fmt.Sprintf("the number %s is out of range", Clip(t.Value)), "")
			return
		}
		v.SetFloat(f)
	default:
		// A schema type this decoder does not know: a bug, not a user error.
		d.fail(t, path, fmt.Sprintf("internal error: cannot decode a field of type %s", v.Type()), "please report this")
	}
}

// isLatencyPath reports whether path is a duration measured in
// milliseconds more often than in seconds.
func isLatencyPath(path string) bool {
	return strings.HasSuffix(path, ".delay") || strings.HasSuffix(path, ".jitter")
}

// percentHint is the hint for a number written with a % sign: a share (an
// abort threshold) is written from 0 to 1, a percent without the sign.
func percentHint(path string, t *yaml.Node) string {
	n, ok := strings.CutSuffix(strings.TrimSpace(t.Value), "%")
	if !ok || t.Kind != yaml.ScalarNode {
		return ""
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
	if err != nil {
		return ""
	}
	if strings.HasPrefix(path, "abort[") {
		return "a share is written from 0 to 1: write " + strconv.FormatFloat(x/100, 'g', -1, 64)
	}
	return "write " + strconv.FormatFloat(x, 'g', -1, 64) + ", without %"
}

func (d *Decoder) typeError(t *yaml.Node, path, expected, hint string) {
	d.fail(t, path, fmt.Sprintf("expected %s, got %s", expected, DescribeNode(t)), hint)
}

func (d *Decoder) decodeStruct(t *yaml.Node, v reflect.Value, path string) {
	fields := Fields(v.Type())
	if t.Kind != yaml.MappingNode {
		hint := ""
		if len(fields.Required) == 1 && t.Kind == yaml.ScalarNode {
			hint = fmt.Sprintf("write {%s: %s}", fields.Required[0], Clip(t.Value))
		} else if len(fields.Names) > 0 {
			hint = "its fields are " + strings.Join(fields.Names, ", ")
		}
		d.typeError(t, path, "a mapping", hint)
		return
	}
	seen := map[string]*yaml.Node{}
	for _, p := range d.pairs(t, path) {
		name, ok := d.keyName(p.key, path)
		if !ok {
			continue
		}
		fpath := MapPath(path, name) // a field name that is not a plain word is quoted
		if first, dup := seen[name]; dup {
			d.fail(p.key, fpath, fmt.Sprintf("%s is set twice (first on line %d)", Clip(name), first.Line), "remove one of them")
			continue
		}
		seen[name] = p.key
		f, ok := fields.ByName[name]
		if !ok {
			d.unknownField(p.key, fpath, name, path, fields.Names)
			continue
		}
		d.decode(p.val, v.FieldByIndex(f.Index), fpath, f.NullWord)
	}
}

func (d *Decoder) decodeMap(t *yaml.Node, v reflect.Value, path string) {
	if v.Type().Key().Kind() != reflect.String {
		d.fail(t, path, fmt.Sprintf("internal error: cannot decode a field of type %s", v.Type()), "please report this")
		return
	}
	if t.Kind != yaml.MappingNode {
		d.typeError(t, path, "a mapping", "")
		return
	}
	m := reflect.MakeMap(v.Type())
	seen := map[string]*yaml.Node{}
	for _, p := range d.pairs(t, path) {
		name, ok := d.keyName(p.key, path)
		if !ok {
			continue
		}
		kpath := MapPath(path, name)
		d.Src.Keys[kpath] = posOf(p.key)
		if first, dup := seen[name]; dup {
			d.fail(p.key, kpath, fmt.Sprintf("%s is set twice (first on line %d)", Clip(name), first.Line), "remove one of them")
			continue
		}
		seen[name] = p.key
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(p.val, e, kpath, "")
		m.SetMapIndex(reflect.ValueOf(name).Convert(v.Type().Key()), e)
	}
	v.Set(m)
}

// keyName returns the text of a mapping key, which must be a scalar.
func (d *Decoder) keyName(k *yaml.Node, path string) (string, bool) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		d.fail(k, path, fmt.Sprintf("a field name must be a plain word, got %s", DescribeNode(k)), "")
		return "", false
	}
	return k.Value, true
}

func (d *Decoder) unknownField(k *yaml.Node, fpath, name, parent string, known []string) {
	hint := ""
	if d.full() {
		// Counted, not shown: spare the hint.
	} else if c := Suggest(name, known); c != "" {
		hint = "did you mean " + c + "?"
	} else if elsewhere := fieldElsewhere(d.root, name, schemaPath(parent)); elsewhere != "" {
		hint = "did you mean " + elsewhere + "?"
	} else if len(known) > 0 {
		where := "here"
		if parent != "" {
			where = "in " + schemaPath(parent)
		}
		hint = "known fields " + where + ": " + strings.Join(known, ", ")
	}
	d.fail(k, fpath, fmt.Sprintf("unknown field %s", QuoteValue(name)), hint)
}

// pair is one key and value of a mapping.
type pair struct{ key, val *yaml.Node }

// pairs lists a mapping's entries with YAML merge keys ("<<: *base")
// expanded: keys written in the mapping win over merged ones, and among
// merged mappings the first one wins.
func (d *Decoder) pairs(m *yaml.Node, path string) []pair {
	var out, merged []pair
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, val := m.Content[i], m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			more := d.mergePairs(val, path)
			if d.spend(len(more), k, path) {
				return out
			}
			merged = append(merged, more...)
			continue
		}
		out = append(out, pair{k, val})
	}
	if len(merged) == 0 {
		return out
	}
	have := map[string]bool{}
	for _, p := range out {
		if p.key.Kind == yaml.ScalarNode {
			have[p.key.Value] = true
		}
	}
	for _, p := range merged {
		if p.key.Kind == yaml.ScalarNode && !have[p.key.Value] {
			have[p.key.Value] = true
			out = append(out, p)
		}
	}
	return out
}

func (d *Decoder) mergePairs(n *yaml.Node, path string) []pair {
	if d.spend(1, n, path) {
		return nil
	}
	t, done := d.deref(n, path)
	defer done()
	if t == nil {
		return nil
	}
	switch t.Kind {
	case yaml.MappingNode:
		return d.pairs(t, path)
	case yaml.SequenceNode:
		var out []pair
		for _, el := range t.Content {
			if d.spend(1, el, path) {
				return out
			}
			e, done := d.deref(el, path)
			if e != nil && e.Kind == yaml.MappingNode {
				out = append(out, d.pairs(e, path)...)
			} else if e != nil {
				d.fail(el, path, "<< merges a mapping or a list of mappings, got "+DescribeNode(e), "")
			}
			done()
		}
		return out
	}
	d.fail(n, path, "<< merges a mapping or a list of mappings, got "+DescribeNode(t), "")
	return nil
}

// Field tables, by reflection.

type FieldInfo struct {
	Index    []int
	NullWord string
}

type FieldTable struct {
	ByName   map[string]FieldInfo
	Names    []string // in declaration order, for hints
	Required []string // the fields tagged schema:"required"
}

var fieldTables sync.Map // reflect.Type → *FieldTable

func Fields(t reflect.Type) *FieldTable {
	if ft, ok := fieldTables.Load(t); ok {
		return ft.(*FieldTable)
	}
	ft := &FieldTable{ByName: map[string]FieldInfo{}}
	collectFields(t, nil, ft)
	fieldTables.Store(t, ft)
	return ft
}

func collectFields(t reflect.Type, prefix []int, ft *FieldTable) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		index := append(slices.Clip(prefix), i)
		if slices.Contains(strings.Split(opts, ","), "inline") && f.Type.Kind() == reflect.Struct {
			collectFields(f.Type, index, ft)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, dup := ft.ByName[name]; dup {
			continue
		}
		ft.ByName[name] = FieldInfo{Index: index, NullWord: f.Tag.Get("null")}
		ft.Names = append(ft.Names, name)
		if schemaRequired(f) {
			ft.Required = append(ft.Required, name)
		}
	}
}

// schemaRequired reports whether the schema tag of f lists required (the
// schema generator, scenarios/schema, reads the rest of the tag).
func schemaRequired(f reflect.StructField) bool {
	return slices.Contains(strings.Split(f.Tag.Get("schema"), ","), "required")
}

// expectedOf describes what a value of type t is written as.
func expectedOf(t reflect.Type, nullWord string) string {
	var s string
	switch {
	case reflect.PointerTo(t).Implements(scalarDecoderType):
		s = reflect.New(t).Interface().(ScalarDecoder).Expected()
	default:
		switch t.Kind() {
		case reflect.Pointer:
			return expectedOf(t.Elem(), nullWord)
		case reflect.Struct, reflect.Map:
			s = "a mapping"
		case reflect.Slice:
			s = "a list"
		case reflect.String:
			s = "a string"
		case reflect.Bool:
			s = "true or false"
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			s = "a whole number"
		case reflect.Float32, reflect.Float64:
			s = "a number"
		default:
			s = t.String()
		}
	}
	if nullWord != "" {
		s += " or " + strconv.Quote(nullWord)
	}
	return s
}

// The schema index: where each field name can be written, for the hint on
// a field written at the wrong level ("regions" at the top →
// environment.regions).

var (
	schemaIndexes sync.Map // root reflect.Type → map[string][]string: normalized field name → schema paths ("timeline.faults[].at")
	indexRE       = regexp.MustCompile(`\[\d+\]`)
)

// schemaPath turns a field path into its schema path: faults[2] → faults[].
func schemaPath(path string) string { return indexRE.ReplaceAllString(path, "[]") }

func fieldElsewhere(root reflect.Type, name, parent string) string {
	idx, ok := schemaIndexes.Load(root)
	if !ok {
		schemaIndex := map[string][]string{}
		indexSchema(schemaIndex, root, "", 0)
		idx, _ = schemaIndexes.LoadOrStore(root, schemaIndex)
	}
	schemaIndex := idx.(map[string][]string)
	var found string
	for _, p := range schemaIndex[normalizeName(name)] {
		if parentPath(p) == parent {
			continue
		}
		if found != "" {
			return "" // ambiguous: several places have it
		}
		found = p
	}
	return found
}

func indexSchema(schemaIndex map[string][]string, t reflect.Type, path string, depth int) {
	if depth > 10 {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(scalarDecoderType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		ft := Fields(t)
		for _, name := range ft.Names {
			p := JoinPath(path, name)
			schemaIndex[normalizeName(name)] = append(schemaIndex[normalizeName(name)], p)
			indexSchema(schemaIndex, t.FieldByIndex(ft.ByName[name].Index).Type, p, depth+1)
		}
	case reflect.Slice:
		indexSchema(schemaIndex, t.Elem(), path+"[]", depth+1)
	}
}
