package scenarios

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill/scenarios/internal/spec"
)

// FuzzLoadBytes checks that the loader never panics and keeps its contract
// on any input: a scenario or Errors, never both; errors in file order and
// capped; a loaded scenario validates again, places its unsupported
// findings and warnings in the file, and survives a YAML round trip. An
// input that takes longer than maxLoadTime to load is a finding
// too: the loader's work is meant to be bounded, whatever the input.
//
//	go test ./scenarios -run '^$' -fuzz FuzzLoadBytes -fuzztime 2m
//
// maxLoadTime is far above what any input under the size limit takes (well
// under a second), so that a slow machine does not make it a finding.
const maxLoadTime = 2 * time.Second

func FuzzLoadBytes(f *testing.F) {
	for _, name := range BuiltinNames() {
		data, err := library.ReadFile("library/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(base))
	f.Add([]byte(fullScenario))
	for _, tc := range brokenCases {
		f.Add([]byte(tc.yaml))
	}
	f.Add([]byte("a: &a [*a]\nb: *a\n"))
	f.Add([]byte("environment: &e {postgres: *e, regions: [x]}\n"))
	f.Add([]byte("timeline: {faults: [&f {<<: *f}]}\n"))
	f.Add([]byte(mergeBomb(8, 4)))
	f.Add([]byte(unknownFields(MaxErrors + 5)))
	for _, tc := range absurdCases {
		f.Add([]byte(tc.yaml))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		s, err := LoadBytes("fuzz", data)
		if took := time.Since(start); took > maxLoadTime {
			t.Fatalf("loading %d bytes took %s, more than %s", len(data), took, maxLoadTime)
		}
		if (s == nil) == (err == nil) {
			t.Fatalf("scenario %v and error %v", s, err)
		}
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 || len(errs) > MaxErrors+1 {
				t.Fatalf("error %T %v is not a non-empty, capped Errors", err, err)
			}
			if !slices.IsSortedFunc(errs, func(a, b *Error) int {
				if a.Line != b.Line {
					return a.Line - b.Line
				}
				return a.Col - b.Col
			}) {
				t.Fatalf("errors out of order:\n%v", err)
			}
			for _, e := range errs {
				if e.File != "fuzz" || e.Msg == "" || e.Line < 0 || e.Col < 0 || (e.Line > 0) != (e.Col > 0) {
					t.Fatalf("malformed error %#v", e)
				}
			}
			_ = err.Error()
			return
		}
		if err := Validate(s); err != nil {
			t.Fatalf("a loaded scenario does not validate again: %v", err)
		}
		// What an engine is told and warned about is placed in the file.
		for _, u := range s.Unsupported(nil) {
			if u.File != "fuzz" || u.Path == "" || u.Line < 1 || u.Col < 1 || u.Feature == "" {
				t.Fatalf("malformed unsupported finding %#v", u)
			}
		}
		for _, w := range s.Warnings() {
			if w.File != "fuzz" || w.Path == "" || w.Line < 1 || w.Col < 1 || w.Msg == "" {
				t.Fatalf("malformed warning %#v", w)
			}
		}
		out, err := yaml.Marshal(s)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		back, err := LoadBytes("fuzz", out)
		if err != nil {
			t.Fatalf("reload of\n%s\nfailed: %v", out, err)
		}
		spec.SetSource(back, spec.Source(s))
		if !reflect.DeepEqual(back, s) {
			t.Fatalf("round trip differs:\n%#v\n%#v", s, back)
		}
	})
}
