package yamlpos

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in a scenario, placed at the YAML node that caused it.
type Error struct {
	// File is where the scenario came from: a path, "builtin:<name>", or
	// the name given to LoadBytes.
	File string
	// Line and Col are 1-based; 0 when unknown (a scenario built in code).
	Line, Col int
	// Path is the field path, such as timeline.faults[0].at; empty for a
	// problem with the file as a whole.
	Path string
	// Msg says what is wrong, Hint (optional) how to fix it.
	Msg  string
	Hint string

	err error // underlying cause, for errors.Is (a missing file)
}

// Error formats the problem as "file:line:col: path: msg (hint: ...)",
// leaving out the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%d:%d", e.Line, e.Col)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (hint: ")
		b.WriteString(e.Hint)
		b.WriteByte(')')
	}
	return b.String()
}

// WithCause sets the underlying cause of e, for errors.Is, and returns e.
func WithCause(e *Error, err error) *Error {
	e.err = err
	return e
}

// Unwrap returns the underlying cause, if any (such as fs.ErrNotExist).
func (e *Error) Unwrap() error { return e.err }

// Errors is every problem found in a scenario, in file order. The loader
// and Validate return it as their error; use errors.As to get at it.
type Errors []*Error

// Error prints one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual errors.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// MaxErrors is how many problems a scenario reports at most; the rest are
// counted in one last entry ("… and N more problems"). A file of fifty
// thousand mistakes gets a readable answer, and quickly: past the cap the
// decoder stops computing hints.
const MaxErrors = 100

// Err returns es sorted by position as an error, or nil when empty. more
// counts the problems already dropped for the cap; past MaxErrors the last
// ones (in file order) are dropped too and counted in a final entry.
func (es Errors) Err(more int) error {
	if len(es) == 0 {
		return nil
	}
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	if len(es) > MaxErrors {
		more += len(es) - MaxErrors
		es = es[:MaxErrors]
	}
	if more > 0 {
		last := es[len(es)-1]
		es = append(es, &Error{File: last.File, Line: last.Line, Col: last.Col,
			Msg:  fmt.Sprintf("… and %d more problems", more),
			Hint: "fix the ones above and run validate again"})
	}
	return es
}

// Clip shortens s for quoting in a message.
func Clip(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit]) + "…"
}

// QuoteValue quotes a user's value for a message.
func QuoteValue(s string) string { return strconv.Quote(Clip(s)) }

// DescribeNode says what a YAML node is, for "expected X, got Y" messages.
func DescribeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return DescribeTag(n.ShortTag(), n.Value)
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	return "nothing"
}

// DescribeTag describes a scalar by its resolved tag and value.
func DescribeTag(tag, value string) string {
	switch tag {
	case "!!str":
		return "the string " + QuoteValue(value)
	case "!!int", "!!float":
		return "the number " + Clip(value)
	case "!!bool":
		return "the boolean " + Clip(value)
	case "!!null":
		return "nothing (null)"
	case "!!timestamp":
		return "the timestamp " + Clip(value)
	}
	return "a " + Clip(tag) + " value " + QuoteValue(value)
}
