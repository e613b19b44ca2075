package scenarios

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill/scenarios/internal/spec"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// library holds the built-in scenarios, one per file, named by file name.
//
//go:embed library/*.yaml
var library embed.FS

// MaxFileSize is the largest scenario file the loader reads.
const MaxFileSize = 1 << 20

// Load reads, decodes, completes with defaults and validates the scenario
// in the file at path. A scenario with problems returns Errors listing all
// of them; a file that cannot be read returns Errors with one entry that
// wraps the cause (errors.Is(err, fs.ErrNotExist) works).
//
// Only a regular file of at most MaxFileSize bytes is read: a FIFO, a
// device or a directory is refused without reading from it (a FIFO would
// block until someone writes), and the size is checked before reading.
func Load(path string) (*Scenario, error) {
	if err := checkRegular(path, os.Stat); err != nil {
		return nil, err
	}
	// O_NONBLOCK: should the path have become a FIFO since the Stat, the
	// open returns at once instead of waiting for a writer; the Stat of
	// the open file below then refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, readError(path, err)
	}
	defer f.Close()
	if err := checkRegular(path, func(string) (fs.FileInfo, error) { return f.Stat() }); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, readError(path, err)
	}
	return LoadBytes(path, data)
}

// checkRegular refuses what is not a regular file of at most MaxFileSize
// bytes, going by stat.
func checkRegular(path string, stat func(string) (fs.FileInfo, error)) error {
	fi, err := stat(path)
	if err != nil {
		return readError(path, err)
	}
	if !fi.Mode().IsRegular() {
		what := "not a regular file"
		switch {
		case fi.IsDir():
			what = "a directory"
		case fi.Mode()&fs.ModeNamedPipe != 0:
			what = "a named pipe (FIFO)"
		case fi.Mode()&fs.ModeDevice != 0:
			what = "a device"
		case fi.Mode()&fs.ModeSocket != 0:
			what = "a socket"
		}
		// 1:1: the file as a whole is wrong, and tools want a line.
		return Errors{{File: path, Line: 1, Col: 1, Msg: "the scenario is " + what + ", not a regular file",
			Hint: "name a .yaml file; firedrill validate also takes a directory"}}
	}
	if fi.Size() > MaxFileSize {
		return Errors{{File: path, Line: 1, Col: 1, Msg: sizeMessage(fi.Size()), Hint: sizeHint}}
	}
	return nil
}

func sizeMessage(size int64) string {
	return fmt.Sprintf("the scenario is larger than %d KiB (%d bytes)", MaxFileSize>>10, size)
}

const sizeHint = "a scenario is a page or two of YAML: split it into several drills"

func readError(file string, err error) error {
	msg := err.Error()
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		msg = pe.Err.Error() // the path is already in File
	}
	return Errors{yamlpos.WithCause(&Error{File: file, Msg: "cannot read the scenario: " + msg}, err)}
}

// LoadBytes is Load for a scenario already in memory; name stands for the
// file in error positions.
//
// The pipeline: parse into a yaml.Node tree (a syntax error stops here),
// decode the tree strictly into a Scenario (every unknown field, wrong type
// and bad duration, each at its node), apply the defaults, validate (every
// semantic problem, at the node of the offending field). All problems come
// back together as Errors, sorted by position.
func LoadBytes(name string, data []byte) (*Scenario, error) {
	root, errs := parse(name, data)
	if errs != nil {
		return nil, errs.Err(0)
	}
	if root.Kind != yaml.MappingNode {
		return nil, Errors{{File: name, Line: root.Line, Col: root.Column,
			Msg:  "a scenario is a mapping of fields, got " + yamlpos.DescribeNode(root),
			Hint: "start with apiVersion: " + APIVersion}}
	}
	s := &Scenario{File: name}
	d := yamlpos.NewDecoder(name, reflect.TypeFor[Scenario]())
	d.Decode(root, reflect.ValueOf(s).Elem())
	if d.Exhausted() {
		// Half a scenario: checking it would report what was not read.
		return nil, d.Errs.Err(d.More)
	}
	spec.SetSource(s, d.Src)
	s.ApplyDefaults()
	errs = append(d.Errs, validate(s, d.Src.Defaulted)...)
	if err := errs.Err(d.More); err != nil {
		return nil, err
	}
	return s, nil
}

// parse reads the one YAML document of a scenario into a node tree.
func parse(file string, data []byte) (*yaml.Node, Errors) {
	one := func(line, col int, msg, hint string) Errors {
		return Errors{{File: file, Line: line, Col: col, Msg: msg, Hint: hint}}
	}
	if len(data) > MaxFileSize {
		return nil, one(1, 1, sizeMessage(int64(len(data))), sizeHint)
	}
	if off, msg, hint := badText(data); msg != "" {
		line, col := lineCol(data, off)
		return nil, one(line, col, msg, hint)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := decodeNode(dec, &doc)
	if err == io.EOF || (err == nil && isEmpty(&doc)) {
		return nil, one(0, 0, "the scenario is empty", "start with apiVersion: "+APIVersion)
	}
	if err != nil {
		return nil, syntaxError(file, data, err)
	}
	for {
		var extra yaml.Node
		err := decodeNode(dec, &extra)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, syntaxError(file, data, err)
		}
		if !isEmpty(&extra) {
			return nil, one(extra.Line, extra.Column, "a file holds one scenario, but a second YAML document starts here",
				"remove the --- separator, or split the file in two")
		}
	}
	return doc.Content[0], nil
}

func isEmpty(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	n := doc.Content[0]
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// decodeNode guards against a panic inside the YAML library: bad input is
// an error, never a crash.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: internal parser error: %v", r)
		}
	}()
	return dec.Decode(n)
}

var syntaxRE = regexp.MustCompile(`(?s)^yaml: (?:line (\d+): )?(.*)$`)

// syntaxError places a YAML syntax error. The parser reports a line but no
// column: Col is the first non-blank character of that line.
func syntaxError(file string, data []byte, err error) Errors {
	msg, line := err.Error(), 0
	if m := syntaxRE.FindStringSubmatch(msg); m != nil {
		msg = m[2]
		if m[1] != "" {
			if n, err := strconv.Atoi(m[1]); err == nil {
				line = n
			}
		}
	}
	col := 0
	if line == 0 {
		// The parser leaves the line out when it is the first one, and for
		// an unknown anchor: find its first use.
		line = 1
		if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
			name, _, _ = strings.Cut(name, "'")
			if off := findAlias(data, name); off >= 0 {
				line, col = lineCol(data, off)
			}
		}
	}
	if strings.Contains(msg, "tab character") {
		// The parser names the line where the construct began; point at
		// the tab itself.
		if l, c := findIndentTab(data, line); l > 0 {
			line, col = l, c
		}
	}
	if col == 0 {
		col = firstNonBlank(data, line)
	}
	return Errors{{File: file, Line: line, Col: col, Msg: "YAML syntax error: " + msg, Hint: syntaxHint(msg)}}
}

func syntaxHint(msg string) string {
	switch {
	case strings.Contains(msg, "tab character"):
		return "indent with spaces, not tabs"
	case strings.Contains(msg, "mapping values are not allowed"):
		return "quote a value that contains \": \", and check the indentation"
	case strings.Contains(msg, "did not find expected key"), strings.Contains(msg, "did not find expected '-'"):
		return "check the indentation of this line and the ones around it"
	case strings.Contains(msg, "did not find expected ',' or"):
		return "close the [ or { opened here"
	case strings.Contains(msg, "unknown anchor"):
		return "define the anchor with &name before using *name"
	case strings.Contains(msg, "found unexpected end of stream"):
		return "close the quote or bracket opened earlier"
	}
	return ""
}

// findAlias returns the offset of the first "*name" in data, or -1.
func findAlias(data []byte, name string) int {
	needle := []byte("*" + name)
	for base := 0; ; {
		i := bytes.Index(data[base:], needle)
		if i < 0 || name == "" {
			return -1
		}
		end := base + i + len(needle)
		if end == len(data) || strings.IndexByte(" \t\r\n,]}", data[end]) >= 0 {
			return base + i
		}
		base += i + 1
	}
}

// lineCol converts a byte offset into a 1-based line and column (in
// characters, as the YAML parser counts them).
func lineCol(data []byte, off int) (line, col int) {
	off = min(off, len(data))
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return bytes.Count(data[:start], []byte("\n")) + 1, utf8.RuneCount(data[start:off]) + 1
}

// findIndentTab returns the position of the first tab in the indentation
// of a line at or after line from, or 0, 0.
func findIndentTab(data []byte, from int) (line, col int) {
	for i, l := range bytes.Split(data, []byte("\n")) {
		if i+1 < from {
			continue
		}
		indent := l[:len(l)-len(bytes.TrimLeft(l, " \t"))]
		if j := bytes.IndexByte(indent, '\t'); j >= 0 {
			return i + 1, j + 1
		}
	}
	return 0, 0
}

// firstNonBlank returns the column of the first non-blank character of a
// 1-based line, or 1.
func firstNonBlank(data []byte, line int) int {
	for i := 1; i < line; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return 1
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	n := len(data) - len(bytes.TrimLeft(data, " \t"))
	if n == len(data) {
		return 1
	}
	return n + 1
}

// badText finds the first byte that is not valid UTF-8 or is a character
// YAML forbids (control characters other than tab and line breaks).
func badText(data []byte) (off int, msg, hint string) {
	for off < len(data) {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size <= 1 {
			return off, "the scenario is not valid UTF-8", "save the file as UTF-8"
		}
		if !printable(r) {
			return off, fmt.Sprintf("the scenario contains the control character %U", r), "remove it"
		}
		off += size
	}
	return 0, "", ""
}

func printable(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7e:
		return true
	case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

// BuiltinNames returns the names of the built-in scenarios, sorted.
func BuiltinNames() []string {
	files, _ := fs.Glob(library, "library/*.yaml")
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, strings.TrimSuffix(path.Base(f), ".yaml"))
	}
	slices.Sort(names)
	return names
}

// Builtin loads the built-in scenario name (library/<name>.yaml, embedded
// in the binary). Its File, and the file in its error positions, is
// "builtin:<name>".
func Builtin(name string) (*Scenario, error) {
	names := BuiltinNames()
	if !slices.Contains(names, name) {
		return nil, Errors{yamlpos.WithCause(&Error{Msg: fmt.Sprintf("no built-in scenario %s", yamlpos.QuoteValue(name)),
			Hint: yamlpos.DidYouMean(name, names, "built-ins are")}, fs.ErrNotExist)}
	}
	data, err := library.ReadFile("library/" + name + ".yaml")
	if err != nil {
		return nil, readError("builtin:"+name, err)
	}
	return LoadBytes("builtin:"+name, data)
}

// Resolve loads a built-in scenario by name, or a scenario file by path.
// An argument with a path separator or a .yaml/.yml extension is a path;
// otherwise a built-in of that name wins over a file of that name (write
// ./name for the file).
func Resolve(nameOrPath string) (*Scenario, error) {
	if strings.ContainsAny(nameOrPath, `/\`) || strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml") {
		return Load(nameOrPath)
	}
	names := BuiltinNames()
	if slices.Contains(names, nameOrPath) {
		return Builtin(nameOrPath)
	}
	if _, err := os.Stat(nameOrPath); err == nil {
		return Load(nameOrPath)
	}
	return nil, Errors{yamlpos.WithCause(&Error{Msg: fmt.Sprintf("%s is neither a built-in scenario nor a file", yamlpos.QuoteValue(nameOrPath)),
		Hint: yamlpos.DidYouMean(nameOrPath, names, "built-ins are")}, fs.ErrNotExist)}
}
