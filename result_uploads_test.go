package firedrill

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// An upload's body is a function of its id alone, within its size bounds,
// different for different ids, and UploadSHA256 is its sha256.
func TestUploadContent(t *testing.T) {
	sizes := map[int]bool{}
	seen := map[string]string{}
	for i := range 500 {
		id := fmt.Sprintf("run-upload-%08d", i)
		b := UploadContent(id)
		if !bytes.Equal(b, UploadContent(id)) {
			t.Fatalf("UploadContent(%s) differs between two calls", id)
		}
		if len(b) < MinUploadBytes || len(b) > MaxUploadBytes {
			t.Fatalf("UploadContent(%s) has %d bytes, want %d to %d", id, len(b), MinUploadBytes, MaxUploadBytes)
		}
		sum := sha256.Sum256(b)
		if got := UploadSHA256(id); got != hex.EncodeToString(sum[:]) {
			t.Fatalf("UploadSHA256(%s) = %s, not the body's sha256", id, got)
		}
		if other, dup := seen[UploadSHA256(id)]; dup {
			t.Fatalf("%s and %s have the same content", id, other)
		}
		seen[UploadSHA256(id)] = id
		sizes[len(b)] = true
	}
	if len(sizes) < 100 {
		t.Errorf("500 uploads came in %d sizes: the size is not drawn from the id", len(sizes))
	}
}

// An upload op goes through ledger.jsonl as it came, kind and node
// included.
func TestUploadOpRoundTrip(t *testing.T) {
	op := Op{ID: "r-upload-00000001", Seq: 1, Kind: OpKindUpload, Outcome: OutcomeOK, Node: "app", Sent: 1e6, Done: 3e6, Due: 1e6}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, []Op{op}); err != nil {
		t.Fatal(err)
	}
	ops, err := ReadJSONL(&buf)
	if err != nil || len(ops) != 1 || ops[0] != op {
		t.Errorf("read back %+v, %v; want %+v", ops, err, op)
	}
}

// Failing uploads trip no abort condition: the conditions are about
// writes and reads (docs/measurement.md, "Uploads").
func TestAbortConditionsLeaveUploadsOut(t *testing.T) {
	writes := ops10("write", 0, 20*time.Second, nil)
	failing := ops10(OpKindUpload, 0, 20*time.Second, failFrom(0))
	all := append(append([]Op(nil), writes...), failing...)
	slices.SortStableFunc(all, func(a, b Op) int { return cmp.Compare(a.Done, b.Done) })
	conds := []scenarios.AbortCondition{
		below(scenarios.MetricWriteSuccessRate, 0.9, 0),
		above(scenarios.MetricFailedWrites, 5),
	}
	if a := evalAt(conds, ms(500), all, 20*time.Second); a != nil {
		t.Errorf("failing uploads tripped %+v", a)
	}
	// The same ops as writes do trip: the test can fail.
	for i := range failing {
		failing[i].Kind = "write"
	}
	all = append(append([]Op(nil), writes...), failing...)
	slices.SortStableFunc(all, func(a, b Op) int { return cmp.Compare(a.Done, b.Done) })
	if a := evalAt(conds, ms(500), all, 20*time.Second); a == nil {
		t.Error("failing writes did not trip")
	}
}
