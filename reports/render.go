package reports

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"

	"github.com/firedrill/firedrill"
)

// Renderer writes results in one format. It is built fresh for each use
// from Options (Format.New), and renders every result it is given: one
// drill, the drills of a suite, or the repeats of a game day, in the order
// they ran. A renderer decides no measurement: it writes what the results
// hold (docs/architecture.md, "Reports").
type Renderer interface {
	Render(w io.Writer, results []firedrill.Result) error
}

// Options configure a renderer. A renderer ignores what does not apply
// to its format.
type Options struct {
	// Color: ANSI colours in a terminal format. Set it only when the
	// output is a terminal and NO_COLOR is unset.
	Color bool
	// Title names a combined report (a suite, a game day); empty: the
	// renderer's own (the scenario's name for one drill).
	Title string
}

// Format is one output format in the registry.
type Format struct {
	// Name is what --format and the report flags call it: json, junit,
	// markdown, html, terminal.
	Name string
	// File is the file name the run command writes it under in a drill's
	// output directory ("" when it writes none: the terminal summary).
	File string
	// Doc is one line for --help.
	Doc string
	// New builds a renderer from its options.
	New func(Options) Renderer
}

var (
	formatsMu sync.RWMutex
	formats   = map[string]Format{}
)

// Register adds a format to the registry; a format package calls it from
// its init. It panics on a duplicate or incomplete format: a programming
// error, found by any test that imports the package.
func Register(f Format) {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	if f.Name == "" || f.New == nil {
		panic("reports: Register: a format needs a Name and New")
	}
	if _, dup := formats[f.Name]; dup {
		panic(fmt.Sprintf("reports: Register: format %q registered twice", f.Name))
	}
	formats[f.Name] = f
}

// Lookup returns the format called name.
func Lookup(name string) (Format, bool) {
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	f, ok := formats[name]
	return f, ok
}

// Formats lists the registered formats by name.
func Formats() []Format {
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	out := make([]Format, 0, len(formats))
	for _, f := range formats {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FormatNames lists the registered formats' names, sorted.
func FormatNames() []string {
	var names []string
	for _, f := range Formats() {
		names = append(names, f.Name)
	}
	return slices.Clip(names)
}

// RendererFunc adapts a function to Renderer.
type RendererFunc func(w io.Writer, results []firedrill.Result) error

// Render calls f.
func (f RendererFunc) Render(w io.Writer, results []firedrill.Result) error { return f(w, results) }

var _ Renderer = RendererFunc(nil)
