package firedrill

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The Ledger holds operations in the order they finished; ledger.jsonl is
// documented in sequence order (README.md, "A drill, as it prints"), so
// WriteJSONL must sort, and must not reorder its caller's slice.
func TestWriteJSONLSequenceOrder(t *testing.T) {
	var l Ledger
	// Sent in seq order 20ms apart; the first one times out and finishes
	// last, the third is the fastest.
	for _, o := range []Op{
		{ID: "w-2", Seq: 2, Kind: "write", Due: 20 * time.Millisecond, Sent: 20 * time.Millisecond, Done: 30 * time.Millisecond, Outcome: OutcomeOK, Node: "pg-primary"},
		{ID: "w-3", Seq: 3, Kind: "write", Due: 40 * time.Millisecond, Sent: 41 * time.Millisecond, Done: 45 * time.Millisecond, Outcome: OutcomeFailed, Error: "refused"},
		{ID: "w-1", Seq: 1, Kind: "write", Due: 0, Sent: time.Millisecond, Done: time.Second, Outcome: OutcomeIndeterminate, Error: "timeout"},
	} {
		l.Add(o)
	}
	ops := l.Ops()
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, ops); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	var seqs []int64
	for _, line := range lines {
		var j struct {
			Seq int64 `json:"seq"`
		}
		if err := json.Unmarshal([]byte(line), &j); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		seqs = append(seqs, j.Seq)
	}
	if len(seqs) != 3 || seqs[0] != 1 || seqs[1] != 2 || seqs[2] != 3 {
		t.Errorf("ledger.jsonl seqs = %v, want [1 2 3]:\n%s", seqs, buf.String())
	}
	if ops[0].ID != "w-2" || ops[2].ID != "w-1" {
		t.Errorf("WriteJSONL reordered the caller's slice: %v %v %v", ops[0].ID, ops[1].ID, ops[2].ID)
	}

	// The lines read back into the same operations, Due included.
	back, err := ReadJSONL(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 3 || back[0].ID != "w-1" || back[0].Due != 0 || back[0].Sent != time.Millisecond ||
		back[2].Due != 40*time.Millisecond || back[2].Sent != 41*time.Millisecond || back[1].Node != "pg-primary" {
		t.Errorf("read back %+v", back)
	}
}

// acked_ms is the ack time for an ok write and null otherwise: a failed or
// indeterminate write was never acknowledged.
func TestWriteJSONLAckedOnlyWhenOK(t *testing.T) {
	var buf bytes.Buffer
	ops := []Op{
		{ID: "a", Seq: 1, Kind: "write", Sent: time.Millisecond, Done: 3 * time.Millisecond, Outcome: OutcomeOK, Node: "n"},
		{ID: "b", Seq: 2, Kind: "write", Sent: 2 * time.Millisecond, Done: 4 * time.Millisecond, Outcome: OutcomeFailed},
	}
	if err := WriteJSONL(&buf, ops); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"acked_ms":3`) || !strings.Contains(lines[1], `"acked_ms":null`) {
		t.Errorf("lines:\n%s", buf.String())
	}
}

// A read's line carries its key and the role of the node that served it,
// and reads back the same; reads and writes of the same sequence number
// come out in one order whatever order they finished in.
func TestReadOpsJSONL(t *testing.T) {
	ops := []Op{
		{ID: "r-00000001", Seq: 1, Kind: "write", Sent: time.Millisecond, Done: 2 * time.Millisecond, Outcome: OutcomeOK, Node: "pg-primary"},
		{ID: "r-read-00000001", Seq: 1, Kind: "read", Sent: time.Millisecond, Done: 3 * time.Millisecond, Outcome: OutcomeStale,
			Node: "pg-replica1", Key: "r-00000000", Role: ServedByReplica, Error: "not found on pg-replica1"},
		{ID: "r-read-00000000", Seq: 0, Kind: "read", Done: time.Millisecond, Outcome: OutcomeOK, Node: "pg-primary", Key: "r-00000000", Role: ServedByPrimary},
	}
	var a, b bytes.Buffer
	if err := WriteJSONL(&a, ops); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSONL(&b, []Op{ops[1], ops[0], ops[2]}); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("the order of the lines depends on the order ops finished in:\n%s\n%s", a.String(), b.String())
	}
	if !strings.Contains(a.String(), `"key":"r-00000000","role":"replica"`) {
		t.Errorf("a read's line lacks its key and role:\n%s", a.String())
	}
	back, err := ReadJSONL(&a)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 3 || back[0].ID != "r-read-00000000" || back[1].Kind != "read" || back[2].Kind != "write" ||
		back[1].Key != "r-00000000" || back[1].Role != ServedByReplica || back[1].Outcome != OutcomeStale || back[1].Node != "pg-replica1" {
		t.Errorf("read back %+v", back)
	}
}
