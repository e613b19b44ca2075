package buildlog

import (
	"errors"
	"strings"
	"testing"
)

func TestReadStreamErrors(t *testing.T) {
	var seen []string
	err := ReadStream(strings.NewReader(`{"stream":"Step 1/2 : FROM scratch\n"}
{"stream":" ---\u003e Running\n"}
{"errorDetail":{"message":"COPY failed: no such file"},"error":"COPY failed: no such file"}
`), func(m Message) { seen = append(seen, m.Stream) })
	if err == nil || err.Error() != "COPY failed: no such file" {
		t.Fatalf("err %v", err)
	}
	if len(seen) != 3 {
		t.Fatalf("seen %q", seen)
	}
	if err := ReadStream(strings.NewReader(`{"status":"sha256:abc"}`), nil); err != nil {
		t.Fatal(err)
	}
}

func TestTail(t *testing.T) {
	var logged []string
	tail := NewTail(2, func(s string) { logged = append(logged, s) })
	tail.Write([]byte("one\ntw"))
	tail.Write([]byte("o\nthree\nfour"))
	if len(logged) != 3 {
		t.Fatalf("logged %q", logged)
	}
	if got := tail.String(); got != "    two\n    three\n    four" {
		t.Fatalf("tail %q", got)
	}
	err := WithTail(errors.New("boom"), tail)
	if !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "four") {
		t.Fatalf("err %v", err)
	}
}

func TestStepImage(t *testing.T) {
	for line, want := range map[string]string{
		" ---> 5e88bacaedf7":            "5e88bacaedf7",
		"---> 5e88bacaedf7\n":           "5e88bacaedf7",
		" ---> Running in 0123456789ab": "",
		" ---> Using cache":             "",
		"Step 1/5 : FROM scratch":       "",
		" ---> 5e88bac":                 "",
		" ---> 5E88BACAEDF7":            "",
	} {
		got, ok := StepImage(line)
		if got != want || ok != (want != "") {
			t.Errorf("StepImage(%q) = %q, %v; want %q", line, got, ok, want)
		}
	}
}
