package markdown

import (
	"bytes"
	"flag"
	"testing"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports"
	goldenfiles "github.com/firedrill/firedrill/reports/markdown/golden"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

func TestGoldenMarkdown(t *testing.T) {
	names, results := goldenfiles.Fixtures(t)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, []firedrill.Result{results[name]}, ""); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".md.golden", buf.Bytes())
		})
	}
	t.Run("several", func(t *testing.T) {
		rs := goldenfiles.Several(t)
		var buf bytes.Buffer
		if err := Write(&buf, rs, "game day"); err != nil {
			t.Fatal(err)
		}
		golden(t, "several.md.golden", buf.Bytes())
		// The JSON of the same results: the array a run of several drills
		// writes (reports.WriteJSONArray), which the result.json schema
		// test checks too (internal/resultschema).
		var js bytes.Buffer
		if err := reports.WriteJSONArray(&js, rs); err != nil {
			t.Fatal(err)
		}
		golden(t, "several.json.golden", js.Bytes())
	})
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfiles.Check(t, *update, "./reports/markdown", name, got)
}
