package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/score"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// goldenResults are the golden cases' Results as score pins them
// (reports/score/testdata/*.json.golden, made by score.GoldenCases), by
// case name.
func goldenResults(t *testing.T) map[string]firedrill.Result {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("score", "testdata", "*.json.golden"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden Results in score/testdata (%v)", err)
	}
	out := map[string]firedrill.Result{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var r firedrill.Result
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".json.golden")] = r
	}
	return out
}

func TestGoldenTerminal(t *testing.T) {
	results := goldenResults(t)
	for name, r := range results {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTerminal(&buf, r, TerminalOptions{}); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt.golden", buf.Bytes())
			for i, line := range bytes.Split(buf.Bytes(), []byte("\n")) {
				if n := len([]rune(string(line))); n > termWidth {
					t.Errorf("line %d is %d columns: %s", i+1, n, line)
				}
			}
			if bytes.Contains(buf.Bytes(), []byte("\x1b[")) {
				t.Error("ANSI escapes without Color")
			}
			if r.Reads == nil && bytes.Contains(buf.Bytes(), []byte("reads")) {
				t.Error("a summary without reads mentions them")
			}
		})
	}
	t.Run("color", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteTerminal(&buf, results["fail"], TerminalOptions{Color: true}); err != nil {
			t.Fatal(err)
		}
		golden(t, "fail-color.txt.golden", buf.Bytes())
	})
}

// result.json read back into a Result is written again byte for byte.
func TestGoldenJSON(t *testing.T) {
	for name, r := range goldenResults(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJSON(&buf, r); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("score", "testdata", name+".json.golden"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("written again, %s.json.golden differs:\n--- got\n%s\n--- want\n%s", name, buf.Bytes(), want)
			}
		})
	}
}

func TestWriteJSONCapsLostIDs(t *testing.T) {
	n := 1500
	r := firedrill.Result{Writes: firedrill.WriteStats{Lost: &n, LostIDs: make([]string, n)}}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var back firedrill.Result
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if *back.Writes.Lost != 1500 || len(back.Writes.LostIDs) != score.MaxLostIDs || len(r.Writes.LostIDs) != 1500 {
		t.Errorf("lost %d, %d ids written, caller's slice %d", *back.Writes.Lost, len(back.Writes.LostIDs), len(r.Writes.LostIDs))
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"objectives": []`)) || !bytes.Contains(buf.Bytes(), []byte(`"events": []`)) {
		t.Errorf("nil lists must be written as []:\n%s", buf.Bytes())
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./reports -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
