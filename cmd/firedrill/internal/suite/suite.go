package suite

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/scenarios"
)

// ListPrefix marks an argument that is a list file: @FILE.
const ListPrefix = "@"

// maxListFile bounds a list file: a list of scenario names is small; a
// bigger file is not one.
const maxListFile = 1 << 20

// Entry is one scenario to load.
type Entry struct {
	// Ref is what scenarios.Resolve takes: a built-in name or a path.
	Ref string
	// From says where the entry came from when it was not an argument
	// itself: "drills.list:3" for a list file's line; empty otherwise.
	From string
}

// Error is what is wrong with one argument or one line of a list file.
type Error struct {
	Where string // "drills/", "@ci.list", "ci.list:4"
	Msg   string
}

func (e *Error) Error() string { return e.Where + ": " + e.Msg }

// Expand expands args into the scenarios to run, in order. Every problem
// (a directory without scenarios, a list file that cannot be read, a bad
// line) is returned at once, joined; the entries that expanded are returned
// with them.
func Expand(args []string) ([]Entry, error) {
	var out []Entry
	var errs []error
	for _, a := range args {
		if list, ok := strings.CutPrefix(a, ListPrefix); ok {
			entries, err := readList(list)
			out = append(out, entries...)
			if err != nil {
				errs = append(errs, err)
			}
			continue
		}
		files, err := Dir(a)
		switch {
		case err != nil:
			errs = append(errs, &Error{Where: a, Msg: err.Error()})
		case files == nil:
			out = append(out, Entry{Ref: a})
		default:
			for _, f := range files {
				out = append(out, Entry{Ref: f})
			}
		}
	}
	return out, errors.Join(errs...)
}

// Dir lists the scenario files of the directory in, or returns nil when
// in is not a directory. A bare name that is also a built-in's is the
// built-in, as in scenarios.Resolve (write ./name for the directory).
func Dir(in string) ([]string, error) {
	fi, err := os.Stat(in)
	if err != nil || !fi.IsDir() {
		return nil, nil
	}
	if !strings.ContainsAny(in, `/\`) && slices.Contains(scenarios.BuiltinNames(), in) {
		return nil, nil
	}
	entries, err := os.ReadDir(in) // sorted by name
	if err != nil {
		return nil, fmt.Errorf("cannot read the directory: %w", err)
	}
	var files []string
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, filepath.Join(in, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, errors.New("the directory holds no .yaml or .yml file")
	}
	return files, nil
}

// readList reads a list file: one scenario a line (a built-in name, a
// file or a directory, paths relative to the list file), blank lines and
// lines starting with # ignored, a # after white space starting a comment.
func readList(path string) ([]Entry, error) {
	where := ListPrefix + path
	if path == "" {
		return nil, &Error{Where: where, Msg: "no file after @ (write @FILE: a list of scenarios, one a line)"}
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Where: where, Msg: "cannot read the list file: " + strings.TrimPrefix(err.Error(), "stat "+path+": ")}
	}
	if !st.Mode().IsRegular() || st.Size() > maxListFile {
		return nil, &Error{Where: where, Msg: fmt.Sprintf("not a list file (a regular file of at most %d KiB)", maxListFile>>10)}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Where: where, Msg: "cannot read the list file: " + err.Error()}
	}
	dir := filepath.Dir(path)
	var out []Entry
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		if i := strings.Index(line, "\t#"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		at := fmt.Sprintf("%s:%d", path, n)
		if strings.HasPrefix(line, ListPrefix) {
			errs = append(errs, &Error{Where: at, Msg: "a list file cannot name another list file; list its scenarios"})
			continue
		}
		ref := resolveLine(dir, line)
		files, err := Dir(ref)
		switch {
		case err != nil:
			errs = append(errs, &Error{Where: at, Msg: ref + ": " + err.Error()})
		case files == nil:
			out = append(out, Entry{Ref: ref, From: at})
		default:
			for _, f := range files {
				out = append(out, Entry{Ref: f, From: at})
			}
		}
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, &Error{Where: where, Msg: "the list file names no scenario"})
	}
	return out, errors.Join(errs...)
}

// resolveLine makes a list file's line a reference: a built-in's name
// stays one, as on the command line (write ./name for a file of that
// name); anything else is a path relative to the list file.
func resolveLine(dir, line string) string {
	if !strings.ContainsAny(line, `/\`) && slices.Contains(scenarios.BuiltinNames(), line) {
		return line
	}
	if filepath.IsAbs(line) {
		return line
	}
	rel := filepath.Join(dir, line)
	if !strings.ContainsAny(rel, `/\`) {
		rel = "." + string(filepath.Separator) + rel // a path, never taken for a built-in
	}
	return rel
}
