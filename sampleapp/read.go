package sampleapp

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/firedrill/firedrill"
)

// readKeySQL answers in one row even when the row of id is missing, so a
// not-found still names the server that gave it.
const readKeySQL = `SELECT ` + nodeSQL + `, pg_is_in_recovery(),
	(SELECT node FROM firedrill_writes WHERE id = $1)`

// readAnswer is the body of a read's 200 and 404.
type readAnswer struct {
	ID       string `json:"id"`
	Found    bool   `json:"found"`
	Node     string `json:"node,omitempty"`
	ServedBy string `json:"served_by"`
	Standby  bool   `json:"standby"`
}

// keyReader is what the read endpoint needs from the store: pgStore reads
// through its read pool.
type keyReader interface {
	readKey(ctx context.Context, id string) (readAnswer, error)
}

var _ keyReader = (*pgStore)(nil)

// readKey reads id through the read pool.
func (s *pgStore) readKey(ctx context.Context, id string) (readAnswer, error) {
	ans := readAnswer{ID: id}
	var node *string
	if err := s.read.QueryRow(ctx, readKeySQL, id).Scan(&ans.ServedBy, &ans.Standby, &node); err != nil {
		return readAnswer{}, err
	}
	if node != nil {
		ans.Found, ans.Node = true, *node
	}
	return ans, nil
}

// errNoReads is the answer of a store that cannot serve reads.
var errNoReads = errors.New("this store does not serve reads")

// handleRead is GET /reads/{id}, the read workload's endpoint (docs/measurement.md,
// "Reads"): one read of the row of an acknowledged write, from the read
// pool, saying which server answered and whether it was a standby.
//
// The read pool's DSN lists every node with
// target_session_attrs=prefer-standby, so a replica serves the reads when
// one is reachable and the primary when none is: the fallback is pgx's
// host selection when the pool dials, not a retry in the request. A read
// in flight when its replica dies fails, the pool drops the broken
// connection, and the next read dials again and lands on the primary.
// Retrying on the write pool inside the request would hide from the
// measurement the moment the replica went away, and would turn the answer
// of a lagging replica (the row is not there yet) into a found row, which
// is what a stale read exists to show; GET /records/{id} does that
// fallback, for a person, and is not what the read workload uses.
//
// Answers:
//
//	200 {"id","found":true,"node","served_by","standby"}  the row is there;
//	    node committed it, served_by (nodeSQL) answered, standby is
//	    its pg_is_in_recovery() at that instant
//	404 {"id","found":false,"served_by","standby"}  served_by answered that
//	    the row is not there
//	503 {"outcome":"failed"|"indeterminate","error"}  no server answered:
//	    indeterminate when the read ran out of time, failed otherwise
//	400 {"outcome":"failed","error"}  a bad id
func (a *app) handleRead(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		writeJSON(w, http.StatusBadRequest, writeErr{Outcome: firedrill.OutcomeFailed, Error: "invalid id: want " + idPattern.String()})
		return
	}
	kr, ok := a.st.(keyReader)
	err := errNoReads
	var ans readAnswer
	switch {
	case !ok:
	case !a.ready.Load():
		err = errNotReady
	default:
		ctx, cancel := context.WithTimeout(r.Context(), a.writeTimeout)
		ans, err = kr.readKey(ctx, id)
		if err != nil && ctx.Err() != nil {
			err = &readTimeoutError{err: err}
		}
		cancel()
	}
	if err != nil {
		outcome := classifyReadError(err)
		if suppressed, ok := a.readFailLog.allow(time.Now()); ok {
			a.log.Warn("read failed", "id", id, "outcome", outcome, "err", err, "suppressed", suppressed)
		}
		writeJSON(w, http.StatusServiceUnavailable, writeErr{Outcome: outcome, Error: err.Error()})
		return
	}
	if !ans.Found {
		writeJSON(w, http.StatusNotFound, ans)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

// readTimeoutError marks a read that ran out of time before a server
// answered.
type readTimeoutError struct{ err error }

func (e *readTimeoutError) Error() string { return "no answer in time: " + e.err.Error() }
func (e *readTimeoutError) Unwrap() error { return e.err }

// classifyReadError says what a client learns from a read that got no
// row and no not-found: indeterminate when it ran out of time (no server
// answered, what it would have read is unknown), failed for every other
// error (a server refused it, the connection broke, none could be
// reached: a definite answer that the read did not happen). A read has no
// effect, so unlike a write nothing can have happened behind a timeout.
func classifyReadError(err error) firedrill.Outcome {
	var te *readTimeoutError
	if errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded) {
		return firedrill.OutcomeIndeterminate
	}
	return firedrill.OutcomeFailed
}
