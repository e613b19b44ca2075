package firedrill

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// citation is a code comment's reference to a section of one of the
// project's documents: (docs/measurement.md, "Charging").
var citation = regexp.MustCompile(`(docs/[a-z]+\.md),\s+"([^"]+)"`)

// Every section a comment cites exists, as a heading of the document it
// names: comments cite the project's own design, and a renamed section
// must not leave them pointing nowhere.
func TestCitedSectionsExist(t *testing.T) {
	headings := map[string]map[string]bool{}
	heading := func(doc string) map[string]bool {
		if h, ok := headings[doc]; ok {
			return h
		}
		h := map[string]bool{}
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Errorf("a comment cites %s, which cannot be read: %v", doc, err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " "); ok && strings.HasPrefix(line, "#") {
				h[strings.TrimSpace(title)] = true
			}
		}
		headings[doc] = h
		return h
	}
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// A citation may wrap across comment lines.
		text := regexp.MustCompile(`\n\s*//\s*`).ReplaceAllString(string(b), " ")
		for _, m := range citation.FindAllStringSubmatch(text, -1) {
			n++
			doc, section := m[1], m[2]
			if !heading(doc)[section] {
				t.Errorf("%s cites %s, %q: no such section", path, doc, section)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("found only %d citations: the pattern no longer matches how comments cite the docs", n)
	}
}
