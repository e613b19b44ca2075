package firedrill

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// Outcome is what the client learned about one operation.
type Outcome string

// Outcomes of a workload operation.
const (
	// OutcomeOK: the app acknowledged the write after its commit.
	OutcomeOK Outcome = "ok"
	// OutcomeFailed: a definite error; the write did not happen.
	OutcomeFailed Outcome = "failed"
	// OutcomeIndeterminate: a timeout or a broken connection after sending;
	// the write may or may not have happened. Never counted as lost. For a
	// read: no answer within the timeout, so what it would have read is
	// unknown.
	OutcomeIndeterminate Outcome = "indeterminate"
	// OutcomeStale (reads only): the node that served the read answered
	// that the row of an acknowledged write is not there; a replica lagging
	// behind (docs/measurement.md, "Reads"). Never counted as lost.
	OutcomeStale Outcome = "stale"
)

// Roles of the node that served a read, as it said when it served it
// (pg_is_in_recovery): a promoted replica serves as the primary.
const (
	ServedByPrimary = "primary"
	ServedByReplica = "replica"
)

// Op is one workload operation as the client saw it. Sent and Done are
// offsets on the drill's Timeline.
type Op struct {
	ID   string `json:"id"`
	Seq  int64  `json:"seq"`
	Kind string `json:"kind"` // "write", "read" or "upload" (OpKindUpload)
	// Due is when the open-loop schedule wanted the operation sent; Sent
	// is when it was. Sent − Due is the probe's schedule lag: a lag that
	// grows shows coordinated omission (docs/measurement.md).
	Due     time.Duration `json:"-"`
	Sent    time.Duration `json:"-"`
	Done    time.Duration `json:"-"`
	Outcome Outcome       `json:"outcome"`
	// Node is the Postgres server that acknowledged the write (its
	// node name), empty unless Outcome is ok. For a read, the server
	// that served it (ok or stale); for an upload, the app node that
	// stored it.
	Node string `json:"node,omitempty"`
	// Key (reads only) is the id of the acknowledged write the read asked
	// for; Role is ServedByPrimary or ServedByReplica, how Node served it.
	Key   string `json:"key,omitempty"`
	Role  string `json:"role,omitempty"`
	Error string `json:"error,omitempty"`
}

// opJSON is the ledger.jsonl line: times as milliseconds from the run start.
type opJSON struct {
	ID      string   `json:"id"`
	Seq     int64    `json:"seq"`
	Kind    string   `json:"kind"`
	DueMS   float64  `json:"due_ms"`
	SentMS  float64  `json:"sent_ms"`
	AckedMS *float64 `json:"acked_ms"` // null unless ok
	DoneMS  float64  `json:"done_ms"`
	Outcome Outcome  `json:"outcome"`
	Node    string   `json:"node,omitempty"`
	Key     string   `json:"key,omitempty"`
	Role    string   `json:"role,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// MarshalJSON writes times as milliseconds from the start of the run.
func (o Op) MarshalJSON() ([]byte, error) {
	j := opJSON{ID: o.ID, Seq: o.Seq, Kind: o.Kind, DueMS: Millis(o.Due), SentMS: Millis(o.Sent), DoneMS: Millis(o.Done),
		Outcome: o.Outcome, Node: o.Node, Key: o.Key, Role: o.Role, Error: o.Error}
	if o.Outcome == OutcomeOK {
		ms := Millis(o.Done)
		j.AckedMS = &ms
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a ledger.jsonl line.
func (o *Op) UnmarshalJSON(b []byte) error {
	var j opJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*o = Op{ID: j.ID, Seq: j.Seq, Kind: j.Kind, Outcome: j.Outcome, Node: j.Node, Key: j.Key, Role: j.Role, Error: j.Error,
		Due:  time.Duration(j.DueMS * float64(time.Millisecond)),
		Sent: time.Duration(j.SentMS * float64(time.Millisecond)), Done: time.Duration(j.DoneMS * float64(time.Millisecond))}
	return nil
}

// Ledger records every workload operation. It is safe for concurrent use.
type Ledger struct {
	mu  sync.Mutex
	ops []Op
}

// Add appends a finished operation.
func (l *Ledger) Add(op Op) {
	l.mu.Lock()
	l.ops = append(l.ops, op)
	l.mu.Unlock()
}

// Ops returns a copy of the operations in the order they finished.
func (l *Ledger) Ops() []Op {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Op(nil), l.ops...)
}

// Len is the number of operations recorded so far.
func (l *Ledger) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ops)
}

// WriteJSONL writes one JSON line per operation, ordered by sequence
// (whatever order ops are in: the ledger holds them in finish order); the
// reads and the uploads, which have sequences of their own, before the
// write of the same number.
func WriteJSONL(w io.Writer, ops []Op) error {
	ops = slices.Clone(ops)
	slices.SortStableFunc(ops, func(a, b Op) int { return cmp.Or(cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Kind, b.Kind)) })
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, op := range ops {
		if err := enc.Encode(op); err != nil {
			return fmt.Errorf("encode op %s: %w", op.ID, err)
		}
	}
	return bw.Flush()
}

// ReadJSONL reads what WriteJSONL wrote.
func ReadJSONL(r io.Reader) ([]Op, error) {
	var ops []Op
	dec := json.NewDecoder(r)
	for dec.More() {
		var op Op
		if err := dec.Decode(&op); err != nil {
			return nil, fmt.Errorf("ledger line %d: %w", len(ops)+1, err)
		}
		ops = append(ops, op)
	}
	return ops, nil
}
