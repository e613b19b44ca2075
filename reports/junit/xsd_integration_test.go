//go:build integration

package junit

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The schema check of the golden JUnit files against testdata/junit.xsd
// (the format CI test reporters read) with xmllint. It is in the
// integration tier so that the unit tier needs no tool; scripts/setup.sh
// test installs xmllint for it.

const xsd = "testdata/junit.xsd"

func xmllint(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatalf("xmllint is missing: install the Debian package libxml2-utils (scripts/setup.sh test does): %v", err)
	}
	return path
}

func TestGoldenJUnitMatchesTheSchema(t *testing.T) {
	bin := xmllint(t)
	goldens, err := filepath.Glob(filepath.Join("testdata", "*.xml.golden"))
	if err != nil || len(goldens) < len(goldenCases(t)) {
		t.Fatalf("%d golden files for %d cases (%v): run go test ./reports/junit -update", len(goldens), len(goldenCases(t)), err)
	}
	out, err := exec.Command(bin, append([]string{"--noout", "--schema", xsd}, goldens...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

// The check can fail: a document that is not JUnit is rejected, for the
// reasons planted in it.
func TestSchemaRejectsInvalidJUnit(t *testing.T) {
	bin := xmllint(t)
	out, err := exec.Command(bin, "--noout", "--schema", xsd, filepath.Join("testdata", "invalid.xml")).CombinedOutput()
	if err == nil {
		t.Fatalf("xmllint accepted testdata/invalid.xml:\n%s", out)
	}
	for _, want := range []string{"'tests' is required", "'fast' is not a valid value", "'name' is required", "Element content is not allowed"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("xmllint did not say %q:\n%s", want, out)
		}
	}
}
