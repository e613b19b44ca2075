package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Hostile and absurd input: every case is refused with positions, and the
// work done on it is bounded by counts (never by timing assertions).

// mergeBomb nests merge keys: each level merges the one below fanout
// times, so expanding it naively costs fanout^levels.
func mergeBomb(levels, fanout int) string {
	var b strings.Builder
	b.WriteString("x-defs:\n  a0: &a0 {k0: v}\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d {<<: [", i, i)
		for j := range fanout {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		fmt.Fprintf(&b, "], k%d: v}\n", i)
	}
	b.WriteString(strings.Replace(base, "  postgres:\n", fmt.Sprintf("  app:\n    env: {<<: *a%d}\n  postgres:\n", levels), 1))
	return b.String()
}

func loadErrors(t *testing.T, name, yaml string) Errors {
	t.Helper()
	_, err := LoadBytes(name, []byte(yaml))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want Errors, got %v", err)
	}
	return errs
}

func TestMergeKeyBombIsRefused(t *testing.T) {
	yaml := mergeBomb(30, 10)
	d := newDecoder("bomb.yaml")
	root, perrs := parse("bomb.yaml", []byte(yaml))
	if perrs != nil {
		t.Fatal(perrs)
	}
	var s Scenario
	d.decode(root, reflectValue(&s), "", "")
	if d.visits > maxVisits+len(yaml) {
		t.Errorf("decoding did %d units of work, the budget is %d", d.visits, maxVisits)
	}
	errs := loadErrors(t, "bomb.yaml", yaml)
	found := false
	for _, e := range errs {
		if strings.Contains(e.Msg, "too large once its aliases and merge keys are expanded") {
			found = true
			if e.Line == 0 || e.Path != "environment.app.env" {
				t.Errorf("budget error at %d:%d %s, want a position in environment.app.env", e.Line, e.Col, e.Path)
			}
		}
	}
	if !found {
		t.Errorf("no budget error:\n%v", errs)
	}
}

// A small merge within the budget still works, merged keys and all.
func TestMergeKeysWithinBudget(t *testing.T) {
	errs := loadErrors(t, "m.yaml", mergeBomb(3, 3))
	if len(errs) != 1 || errs[0].Path != "x-defs" {
		t.Errorf("want only the unknown x-defs, got\n%v", errs)
	}
}

func unknownFields(n int) string {
	var b strings.Builder
	b.WriteString(base)
	for i := range n {
		fmt.Fprintf(&b, "uf%d: 1\n", i)
	}
	return b.String()
}

func TestManyUnknownFieldsAreCapped(t *testing.T) {
	yaml := unknownFields(50_000)
	if len(yaml) > MaxFileSize {
		t.Fatalf("the input (%d bytes) is over the size limit", len(yaml))
	}
	errs := loadErrors(t, "many.yaml", yaml)
	if len(errs) != MaxErrors+1 {
		t.Fatalf("%d errors, want %d and a summary", len(errs), MaxErrors)
	}
	first, last := errs[0], errs[len(errs)-1]
	if first.Path != "uf0" || !strings.Contains(first.Hint, "known fields here") {
		t.Errorf("first error %v", first)
	}
	if want := fmt.Sprintf("… and %d more problems", 50_000-MaxErrors); last.Msg != want || last.Line == 0 {
		t.Errorf("summary %v, want %q at a line", last, want)
	}
}

// The cost per unknown field does not grow with their number: side by side
// in one run, 50,000 fields may not cost more than 5x per field what 500
// do. (Without the cap and the cheap hints it was 20x and more.)
func TestManyUnknownFieldsCostPerField(t *testing.T) {
	if testing.Short() {
		t.Skip("timing ratio")
	}
	perField := func(n int) time.Duration {
		yaml := []byte(unknownFields(n))
		best := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			_, _ = LoadBytes("t.yaml", yaml)
			best = min(best, time.Since(start))
		}
		return best / time.Duration(n)
	}
	small, large := perField(500), perField(50_000)
	if large > 5*small {
		t.Errorf("per field: %s for 500 fields, %s for 50,000", small, large)
	}
}

// Field names that are not plain words are quoted in paths, so a control
// character in a key never reaches a terminal raw.
func TestControlCharactersInKeysAreQuoted(t *testing.T) {
	errs := loadErrors(t, "k.yaml", base+"\"\\e[2J\\e[31mowned\": 1\n")
	for _, e := range errs {
		if strings.ContainsAny(e.Error(), "\x1b\x07\r") {
			t.Errorf("raw control character in %q", e.Error())
		}
	}
	if errs[0].Path != `["\x1b[2J\x1b[31mowned"]` {
		t.Errorf("path %q", errs[0].Path)
	}
}

func BenchmarkUnknownFields50k(b *testing.B) {
	yaml := []byte(unknownFields(50_000))
	for b.Loop() {
		_, _ = LoadBytes("t.yaml", yaml)
	}
}

func BenchmarkMergeBomb(b *testing.B) {
	yaml := []byte(mergeBomb(30, 10))
	for b.Loop() {
		_, _ = LoadBytes("t.yaml", yaml)
	}
}

func reflectValue(s *Scenario) reflect.Value { return reflect.ValueOf(s).Elem() }

func TestLoadRefusesDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	wantFileError(t, err, dir, "the scenario is a directory, not a regular file")
}

// The size is checked before the file is read: a 1 GiB (sparse) file is
// refused from its Stat alone.
func TestLoadRefusesLargeFileBeforeReading(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Load(big)
	wantFileError(t, err, big, "the scenario is larger than 1024 KiB (1073741824 bytes)")
	// And the same limit in memory.
	errs := loadErrors(t, "mem.yaml", strings.Repeat("#", MaxFileSize+1))
	if !strings.Contains(errs[0].Msg, "larger than 1024 KiB") {
		t.Errorf("in memory: %v", errs)
	}
}
