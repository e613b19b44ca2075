package scenarios

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
// implements scalarDecoder (Duration). A struct tag null:"word" on a
// pointer field makes the plain string word mean nil (lost_writes: report).

// scalarDecoder is implemented by types written as one YAML scalar with
// their own syntax.
type scalarDecoder interface {
	// decodeScalar sets the value from n, a scalar node, or returns a
	// message and a hint.
	decodeScalar(n *yaml.Node) (msg, hint string)
	// expected describes the syntax for "expected X" messages.
	expected() string
}

var scalarDecoderType = reflect.TypeFor[scalarDecoder]()

// maxVisits bounds the work of decoding one document beyond the nodes
// written in it: the nodes it expands to through aliases, plus every
// key/value pair merge keys copy in (a "billion laughs" document, or
// merges of merges of merges, is an error at the place the budget ran
// out, not a hang).
const maxVisits = 100_000

type pos struct{ line, col int }

func posOf(n *yaml.Node) pos { return pos{n.Line, n.Column} }

// source remembers, for a scenario read from YAML, where each field was
// written. Paths are field paths: "timeline.faults[0].at"; "" is the root.
type source struct {
	pos       map[string]pos  // field path → position of its value
	present   map[string]bool // fields written with a non-null value
	bad       map[string]bool // fields that failed to decode
	defaulted map[string]bool // fields filled by ApplyDefaults
	keys      map[string]pos  // map entry path → position of its key
}

func newSource() *source {
	return &source{
		pos:       map[string]pos{},
		present:   map[string]bool{},
		bad:       map[string]bool{},
		defaulted: map[string]bool{},
		keys:      map[string]pos{},
	}
}

// at returns the position of path, or of its nearest written ancestor.
func (s *source) at(path string) pos {
	if s == nil {
		return pos{}
	}
	for {
		if p, ok := s.pos[path]; ok {
			return p
		}
		if path == "" {
			return pos{}
		}
		path = parentPath(path)
	}
}

// isPresent reports whether path was written in the file with a value.
func (s *source) isPresent(path string) bool { return s != nil && s.present[path] }

// isBad reports whether path or one of its ancestors failed to decode:
// the validator stays quiet about it, the decoder has said what is wrong.
func (s *source) isBad(path string) bool {
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

// mapPath is the path of a map entry: env.DEBUG, or labels["a.b"] for a
// key that is not a plain word (so that parentPath still finds the map).
func mapPath(parent, key string) string {
	if plainKeyRE.MatchString(key) {
		return joinPath(parent, key)
	}
	return parent + "[" + strconv.Quote(key) + "]"
}

var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

type decoder struct {
	file   string
	src    *source
	errs   Errors
	more   int                 // problems past MaxErrors, counted only
	active map[*yaml.Node]bool // aliases being expanded, against cycles
	visits int
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, src: newSource(), active: map[*yaml.Node]bool{}}
}

// fail records a problem at node n for the field path; past MaxErrors it
// only counts it.
func (d *decoder) fail(n *yaml.Node, path, msg, hint string) {
	d.src.bad[path] = true
	if d.full() {
		d.more++
		return
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Col: n.Column, Path: path, Msg: msg, Hint: hint})
}

// full reports whether MaxErrors problems are recorded: further ones are
// counted, and their hints need not be computed.
func (d *decoder) full() bool { return len(d.errs) >= MaxErrors }

// exhausted reports whether the budget ran out: the scenario is then only
// partly decoded.
func (d *decoder) exhausted() bool { return d.visits > maxVisits }

// spend charges n units of work to the budget and reports whether it is
// exhausted; the first time it is, the problem is reported at node n.
func (d *decoder) spend(units int, at *yaml.Node, path string) bool {
	if d.exhausted() {
		return true
	}
	if d.visits += units; d.visits > maxVisits {
		d.fail(at, path, "the document is too large once its aliases and merge keys are expanded",
			"use fewer aliases and merge keys (<<), or write the values out")
		return true
	}
	return false
}

// deref follows an alias to the node it names. It returns nil (after
// reporting) for a cycle or an unknown anchor.
func (d *decoder) deref(n *yaml.Node, path string) (target *yaml.Node, done func()) {
	done = func() {}
	var held []*yaml.Node
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil || d.active[n] {
			d.fail(n, path, fmt.Sprintf("alias *%s refers to itself", clip(n.Value)), "an anchored value cannot contain an alias to itself")
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
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path, nullWord string) {
	// Only the nodes reached through an alias are charged: the others are
	// bounded by the size of the file.
	if (n.Kind == yaml.AliasNode || len(d.active) > 0) && d.spend(1, n, path) {
		return
	}
	d.src.pos[path] = posOf(n)
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
			d.src.present[path] = true
			return
		}
	}
	d.src.present[path] = true
	d.decodeInto(t, v, path, nullWord)
}

// decodeInto sets v from the non-null, non-alias node t.
func (d *decoder) decodeInto(t *yaml.Node, v reflect.Value, path, nullWord string) {
	if v.CanAddr() && v.Addr().Type().Implements(scalarDecoderType) {
		sd := v.Addr().Interface().(scalarDecoder)
		if t.Kind != yaml.ScalarNode {
			d.typeError(t, path, sd.expected(), "")
			return
		}
		if msg, hint := sd.decodeScalar(t); msg != "" {
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
				hint = "write [" + clip(t.Value) + "] for a list of one"
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
			d.fail(t, path, fmt.Sprintf("the number %s is out of range", clip(t.Value)), "")
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
			d.fail(t, path, fmt.Sprintf("the number %s is out of range", clip(t.Value)), "")
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
			d.fail(t, path, fmt.Sprintf("the number %s is out of range", clip(t.Value)), "")
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

func (d *decoder) typeError(t *yaml.Node, path, expected, hint string) {
	d.fail(t, path, fmt.Sprintf("expected %s, got %s", expected, describeNode(t)), hint)
}

func (d *decoder) decodeStruct(t *yaml.Node, v reflect.Value, path string) {
	fields := structFields(v.Type())
	if t.Kind != yaml.MappingNode {
		hint := ""
		if len(fields.required) == 1 && t.Kind == yaml.ScalarNode {
			hint = fmt.Sprintf("write {%s: %s}", fields.required[0], clip(t.Value))
		} else if len(fields.names) > 0 {
			hint = "its fields are " + strings.Join(fields.names, ", ")
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
		fpath := mapPath(path, name) // a field name that is not a plain word is quoted
		if first, dup := seen[name]; dup {
			d.fail(p.key, fpath, fmt.Sprintf("%s is set twice (first on line %d)", clip(name), first.Line), "remove one of them")
			continue
		}
		seen[name] = p.key
		f, ok := fields.byName[name]
		if !ok {
			d.unknownField(p.key, fpath, name, path, fields.names)
			continue
		}
		d.decode(p.val, v.FieldByIndex(f.index), fpath, f.nullWord)
	}
}

func (d *decoder) decodeMap(t *yaml.Node, v reflect.Value, path string) {
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
		kpath := mapPath(path, name)
		d.src.keys[kpath] = posOf(p.key)
		if first, dup := seen[name]; dup {
			d.fail(p.key, kpath, fmt.Sprintf("%s is set twice (first on line %d)", clip(name), first.Line), "remove one of them")
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
func (d *decoder) keyName(k *yaml.Node, path string) (string, bool) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		d.fail(k, path, fmt.Sprintf("a field name must be a plain word, got %s", describeNode(k)), "")
		return "", false
	}
	return k.Value, true
}

func (d *decoder) unknownField(k *yaml.Node, fpath, name, parent string, known []string) {
	hint := ""
	if d.full() {
		// Counted, not shown: spare the hint.
	} else if c := suggest(name, known); c != "" {
		hint = "did you mean " + c + "?"
	} else if elsewhere := fieldElsewhere(name, schemaPath(parent)); elsewhere != "" {
		hint = "did you mean " + elsewhere + "?"
	} else if len(known) > 0 {
		where := "here"
		if parent != "" {
			where = "in " + schemaPath(parent)
		}
		hint = "known fields " + where + ": " + strings.Join(known, ", ")
	}
	d.fail(k, fpath, fmt.Sprintf("unknown field %s", quoteValue(name)), hint)
}

// pair is one key and value of a mapping.
type pair struct{ key, val *yaml.Node }

// pairs lists a mapping's entries with YAML merge keys ("<<: *base")
// expanded: keys written in the mapping win over merged ones, and among
// merged mappings the first one wins.
func (d *decoder) pairs(m *yaml.Node, path string) []pair {
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

func (d *decoder) mergePairs(n *yaml.Node, path string) []pair {
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
				d.fail(el, path, "<< merges a mapping or a list of mappings, got "+describeNode(e), "")
			}
			done()
		}
		return out
	}
	d.fail(n, path, "<< merges a mapping or a list of mappings, got "+describeNode(t), "")
	return nil
}

// Field tables, by reflection.

type fieldInfo struct {
	index    []int
	nullWord string
}

type fieldTable struct {
	byName   map[string]fieldInfo
	names    []string // in declaration order, for hints
	required []string // the fields tagged schema:"required"
}

var fieldTables sync.Map // reflect.Type → *fieldTable

func structFields(t reflect.Type) *fieldTable {
	if ft, ok := fieldTables.Load(t); ok {
		return ft.(*fieldTable)
	}
	ft := &fieldTable{byName: map[string]fieldInfo{}}
	collectFields(t, nil, ft)
	fieldTables.Store(t, ft)
	return ft
}

func collectFields(t reflect.Type, prefix []int, ft *fieldTable) {
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
		if _, dup := ft.byName[name]; dup {
			continue
		}
		ft.byName[name] = fieldInfo{index: index, nullWord: f.Tag.Get("null")}
		ft.names = append(ft.names, name)
		if tagOptions(f).required {
			ft.required = append(ft.required, name)
		}
	}
}

// expectedOf describes what a value of type t is written as.
func expectedOf(t reflect.Type, nullWord string) string {
	var s string
	switch {
	case reflect.PointerTo(t).Implements(scalarDecoderType):
		s = reflect.New(t).Interface().(scalarDecoder).expected()
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
	schemaOnce  sync.Once
	schemaIndex map[string][]string // normalized field name → schema paths ("timeline.faults[].at")
	indexRE     = regexp.MustCompile(`\[\d+\]`)
)

// schemaPath turns a field path into its schema path: faults[2] → faults[].
func schemaPath(path string) string { return indexRE.ReplaceAllString(path, "[]") }

func fieldElsewhere(name, parent string) string {
	schemaOnce.Do(func() {
		schemaIndex = map[string][]string{}
		indexSchema(reflect.TypeFor[Scenario](), "", 0)
	})
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

func indexSchema(t reflect.Type, path string, depth int) {
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
		ft := structFields(t)
		for _, name := range ft.names {
			p := joinPath(path, name)
			schemaIndex[normalizeName(name)] = append(schemaIndex[normalizeName(name)], p)
			indexSchema(t.FieldByIndex(ft.byName[name].index).Type, p, depth+1)
		}
	case reflect.Slice:
		indexSchema(t.Elem(), path+"[]", depth+1)
	}
}
