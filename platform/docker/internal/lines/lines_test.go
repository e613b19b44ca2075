package lines

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestLineWriter(t *testing.T) {
	var got []string
	var all bytes.Buffer
	w := &Writer{Each: func(l string) { got = append(got, l) }, Redact: strings.ToUpper, All: &all}
	for _, p := range []string{"one\ntw", "o\r\n", "", "three\nfour", "\nfive"} {
		w.Write([]byte(p))
		if p == "o\r\n" && !slices.Equal(got, []string{"ONE", "TWO"}) {
			t.Fatalf("a line is handed on when it ends: %q", got)
		}
	}
	if !slices.Equal(got, []string{"ONE", "TWO", "THREE", "FOUR"}) {
		t.Fatalf("before Flush: %q", got)
	}
	w.Flush()
	if !slices.Equal(got, []string{"ONE", "TWO", "THREE", "FOUR", "FIVE"}) || w.Emitted != 5 {
		t.Fatalf("after Flush: %q (%d)", got, w.Emitted)
	}
	if all.String() != "one\ntwo\r\nthree\nfour\nfive" {
		t.Fatalf("all: %q", all.String())
	}

	got = nil
	w = &Writer{Each: func(l string) { got = append(got, l) }, Redact: func(s string) string { return s }, Skip: 2}
	w.Write([]byte("a\nb\nc\nd"))
	w.Flush()
	if !slices.Equal(got, []string{"c", "d"}) {
		t.Fatalf("skip 2: %q", got)
	}
}
