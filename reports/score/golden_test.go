package score_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/firedrill/firedrill/reports"
	"github.com/firedrill/firedrill/reports/score"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.json.golden files")

// TestGoldenResult pins each golden case's Result as result.json; the
// renderers' golden tests in reports render these files.
func TestGoldenResult(t *testing.T) {
	for name, in := range score.GoldenCases() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := reports.WriteJSON(&buf, score.Score(in)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".json.golden")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./reports/score -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from the golden file (go test ./reports/score -update to accept):\n--- got\n%s\n--- want\n%s", path, buf.Bytes(), want)
			}
		})
	}
}
