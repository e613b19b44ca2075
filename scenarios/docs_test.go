package scenarios

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios/internal/schema"
	"github.com/firedrill/firedrill/scenarios/internal/spec"
)

// The docs reference every field of the language by its full path, and
// every action, step, metric, backup kind and role by name.
func TestDocsCoverEveryField(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenario.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range schema.Paths() {
		if !bytes.Contains(doc, []byte("`"+p+"`")) {
			t.Errorf("docs/scenario.md does not document `%s`", p)
		}
	}
	for _, names := range [][]string{ActionNames(), StepNames(), MetricNames(), spec.BackupKinds, spec.Roles, spec.Fencings} {
		for _, n := range names {
			if !bytes.Contains(doc, []byte("`"+n+"`")) {
				t.Errorf("docs/scenario.md does not mention `%s`", n)
			}
		}
	}
}

var yamlBlockRE = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// Every whole scenario in the docs loads: a reader can start from any of
// them.
func TestDocsExamplesLoad(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenario.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := newSchemaChecker(t, SchemaJSON)
	for _, m := range yamlBlockRE.FindAllSubmatch(doc, -1) {
		if !bytes.Contains(m[1], []byte("apiVersion: firedrill/v1")) {
			continue // a fragment
		}
		n++
		if _, err := LoadBytes("docs/scenario.md example", m[1]); err != nil {
			t.Errorf("example %d does not load:\n%v\n%s", n, err, m[1])
		}
		if errs := sc.check(yamlToJSON(t, m[1])); len(errs) > 0 {
			t.Errorf("example %d does not satisfy the schema:\n%s", n, strings.Join(errs, "\n"))
		}
	}
	if n < 2 {
		t.Errorf("found %d whole examples", n)
	}
}
