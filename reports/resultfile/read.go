package resultfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/firedrill/firedrill"
)

// RunInfoFile is the file every drill's output directory holds next to
// result.json (its run id and seed): JSON, but not a result, so a walk
// passes over it without a warning.
const RunInfoFile = "run.json"

// Error is what is wrong with one input file.
type Error struct {
	File string
	Msg  string
	Hint string
	// NotResult: the file is not a firedrill result at all (not JSON, or
	// JSON of another kind), as opposed to a result that cannot be read.
	NotResult bool
}

func (e *Error) Error() string {
	if e.Hint == "" {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s: %s (hint: %s)", e.File, e.Msg, e.Hint)
}

// Set is what Read found: the results in the order read, each with the
// file it came from.
type Set struct {
	Results []firedrill.Result
	// Files[i] is where Results[i] was read: a path, with "[n]" for an
	// element of an array.
	Files []string
	// Warnings name the files a directory walk skipped, and why.
	Warnings []string
	// Duplicates counts the results read twice (the same scenario and run
	// id: a drill's result.json and its --history copy), kept once.
	Duplicates int
}

// hintResult says where results come from, for a file that is not one.
const hintResult = "give a result.json written by 'firedrill run', the JSON array of 'firedrill run --json', or a directory holding them"

// Read reads every path: a file is a result or an array of results; a
// directory is searched recursively for *.json files (result.json and
// history copies). Every problem of every path is returned at once,
// joined; the results read are returned with them.
func Read(paths []string) (Set, error) {
	var set Set
	seen := map[string]string{}
	var errs []error
	add := func(file string, results []firedrill.Result) {
		for i, r := range results {
			name := file
			if len(results) > 1 {
				name = fmt.Sprintf("%s[%d]", file, i)
			}
			if r.RunID != "" {
				key := r.Scenario + "\x00" + r.RunID
				if _, dup := seen[key]; dup {
					set.Duplicates++
					continue
				}
				seen[key] = name
			}
			set.Results = append(set.Results, r)
			set.Files = append(set.Files, name)
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, &Error{File: p, Msg: "cannot read it: " + reason(err), Hint: hintResult})
			continue
		}
		if !st.IsDir() {
			results, err := readFile(p, st)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			add(p, results)
			continue
		}
		before := len(set.Results) + set.Duplicates
		walkErrs := walk(p, &set, add)
		errs = append(errs, walkErrs...)
		if len(walkErrs) == 0 && len(set.Results)+set.Duplicates == before {
			errs = append(errs, &Error{File: p, Msg: "no firedrill result in this directory or below it", Hint: hintResult})
		}
	}
	return set, errors.Join(errs...)
}

// walk reads the results under dir. A file that is not a result is a
// warning; a result this build cannot read (a newer schema, a broken
// field) is an error, since leaving it out would change the figures.
func walk(dir string, set *Set, add func(string, []firedrill.Result)) []error {
	var errs []error
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, &Error{File: path, Msg: "cannot read it: " + reason(err)})
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || filepath.Ext(path) != ".json" || d.Name() == RunInfoFile {
			return nil
		}
		st, err := os.Stat(path)
		if err != nil {
			set.Warnings = append(set.Warnings, fmt.Sprintf("%s: skipped: %s", path, reason(err)))
			return nil
		}
		results, err := readFile(path, st)
		var rerr *Error
		switch {
		case err == nil:
			add(path, results)
		case errors.As(err, &rerr) && rerr.NotResult:
			set.Warnings = append(set.Warnings, fmt.Sprintf("%s: skipped: %s", path, rerr.Msg))
		default:
			errs = append(errs, err)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, &Error{File: dir, Msg: "cannot walk it: " + reason(err)})
	}
	return errs
}

// readFile reads one file: a result object or an array of them.
func readFile(path string, st fs.FileInfo) ([]firedrill.Result, error) {
	if !st.Mode().IsRegular() {
		return nil, &Error{File: path, Msg: "not a regular file", Hint: hintResult}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read it: " + reason(err)}
	}
	trimmed := bytes.TrimSpace(b)
	if !json.Valid(trimmed) {
		return nil, &Error{File: path, Msg: "not JSON" + syntaxWhere(trimmed), Hint: hintResult, NotResult: true}
	}
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, &Error{File: path, Msg: "a JSON array, but not of results: " + err.Error(), Hint: hintResult, NotResult: true}
		}
		var results []firedrill.Result
		var errs []error
		for i, raw := range raws {
			r, err := decode(fmt.Sprintf("%s[%d]", path, i), raw)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			results = append(results, r)
		}
		if len(errs) > 0 && len(results) == 0 && allNotResults(errs) {
			return nil, &Error{File: path, Msg: "a JSON array, but not of firedrill results", Hint: hintResult, NotResult: true}
		}
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return results, nil
	}
	r, err := decode(path, trimmed)
	if err != nil {
		return nil, err
	}
	return []firedrill.Result{r}, nil
}

// decode reads one result object. It is a firedrill result when it has
// the fields every result.json has (scenario, run_id, verdict); its
// schema_version must be one this build knows (a result written before
// schema_version existed has none, and reads as version 1).
func decode(name string, raw json.RawMessage) (firedrill.Result, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return firedrill.Result{}, &Error{File: name, Msg: "not a firedrill result: not a JSON object", Hint: hintResult, NotResult: true}
	}
	var missing []string
	for _, k := range []string{"scenario", "run_id", "verdict"} {
		if _, ok := fields[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return firedrill.Result{}, &Error{File: name, Msg: "not a firedrill result: no " + strings.Join(missing, ", "), Hint: hintResult, NotResult: true}
	}
	if v, ok := fields["schema_version"]; ok {
		var version int
		if err := json.Unmarshal(v, &version); err != nil {
			return firedrill.Result{}, &Error{File: name, Msg: fmt.Sprintf("schema_version: %s is not a whole number", v)}
		}
		if version > firedrill.ResultSchemaVersion {
			return firedrill.Result{}, &Error{File: name,
				Msg:  fmt.Sprintf("schema_version %d is newer than this build reads (%d)", version, firedrill.ResultSchemaVersion),
				Hint: "read it with a firedrill at least as new as the one that wrote it"}
		}
	}
	var r firedrill.Result
	if err := json.Unmarshal(raw, &r); err != nil {
		return firedrill.Result{}, &Error{File: name, Msg: "a firedrill result with a broken field: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	switch r.Verdict {
	case firedrill.VerdictPass, firedrill.VerdictFail, firedrill.VerdictInconclusive:
	default:
		return firedrill.Result{}, &Error{File: name, Msg: fmt.Sprintf("verdict %q: want pass, fail or inconclusive", r.Verdict)}
	}
	return r, nil
}

func allNotResults(errs []error) bool {
	for _, err := range errs {
		var e *Error
		if !errors.As(err, &e) || !e.NotResult {
			return false
		}
	}
	return true
}

// syntaxWhere says where a JSON syntax error is, when the decoder knows.
func syntaxWhere(b []byte) string {
	var v any
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		return fmt.Sprintf(" (line %d: %s)", line, se.Error())
	}
	if len(b) == 0 {
		return " (the file is empty)"
	}
	return ""
}

// reason is an error without the path the caller already names.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file or directory"
	}
	return err.Error()
}
