package sampleapp

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/firedrill/firedrill"
)

// readStore is a fakeStore that also serves reads.
type readStore struct {
	fakeStore
	readFn func(ctx context.Context, id string) (readAnswer, error)
}

func (s *readStore) readKey(ctx context.Context, id string) (readAnswer, error) {
	return s.readFn(ctx, id)
}

func TestReadEndpoint(t *testing.T) {
	cases := []struct {
		name    string
		id      string
		answer  readAnswer
		err     error
		slow    bool // the read outlives the app's bound
		status  int
		outcome firedrill.Outcome
		served  string
	}{
		{name: "found on a replica", id: "run-00000001",
			answer: readAnswer{ID: "run-00000001", Found: true, Node: "pg-primary", ServedBy: "pg-replica1", Standby: true},
			status: 200, served: "pg-replica1"},
		{name: "not there on a replica", id: "run-00000002",
			answer: readAnswer{ID: "run-00000002", ServedBy: "pg-replica1", Standby: true}, status: 404, served: "pg-replica1"},
		{name: "no server reachable", id: "run-00000003",
			err: errors.New("failed to connect to `user=firedrill database=app`: hostname resolving error"), status: 503, outcome: firedrill.OutcomeFailed},
		{name: "server error", id: "run-00000004",
			err: &pgconn.PgError{Severity: "ERROR", Code: "42P01", Message: "relation does not exist"}, status: 503, outcome: firedrill.OutcomeFailed},
		{name: "connection lost", id: "run-00000005",
			err: errors.New("unexpected EOF"), status: 503, outcome: firedrill.OutcomeFailed},
		{name: "out of time", id: "run-00000006", slow: true, status: 503, outcome: firedrill.OutcomeIndeterminate},
		{name: "bad id", id: "no%20spaces", status: 400, outcome: firedrill.OutcomeFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls int
			st := &readStore{readFn: func(ctx context.Context, id string) (readAnswer, error) {
				calls++
				if id != tc.id {
					t.Errorf("read %q, want %q", id, tc.id)
				}
				if tc.slow {
					<-ctx.Done()
					return readAnswer{}, ctx.Err()
				}
				return tc.answer, tc.err
			}}
			status, body := do(t, readyApp(st).routes(), http.MethodGet, "/reads/"+tc.id)
			if status != tc.status {
				t.Fatalf("status %d, want %d (%v)", status, tc.status, body)
			}
			if tc.outcome != "" && body["outcome"] != string(tc.outcome) {
				t.Errorf("outcome %v, want %s (%v)", body["outcome"], tc.outcome, body)
			}
			if tc.served != "" && (body["served_by"] != tc.served || body["standby"] != true || body["id"] != tc.id) {
				t.Errorf("body %v, want served by %s, a standby", body, tc.served)
			}
			if tc.status == 400 && calls != 0 {
				t.Errorf("a bad id reached the store")
			}
			if tc.status != 400 && calls != 1 {
				t.Errorf("%d reads of the store, want exactly 1 (no retry)", calls)
			}
		})
	}
}

// Before the schema exists, and with a store that cannot read, a read is
// refused as failed, never answered as not found (which the probe would
// count as stale).
func TestReadEndpointRefused(t *testing.T) {
	st := &readStore{readFn: func(ctx context.Context, id string) (readAnswer, error) {
		t.Error("read before the schema exists")
		return readAnswer{}, nil
	}}
	a := newApp(testConfig(), st)
	if status, body := do(t, a.routes(), http.MethodGet, "/reads/x-1"); status != 503 || body["outcome"] != "failed" {
		t.Errorf("before the schema: %d %v, want 503 failed", status, body)
	}
	if status, body := do(t, readyApp(&fakeStore{}).routes(), http.MethodGet, "/reads/x-1"); status != 503 || body["outcome"] != "failed" {
		t.Errorf("a store without reads: %d %v, want 503 failed", status, body)
	}
}

func TestClassifyReadError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want firedrill.Outcome
	}{
		{&readTimeoutError{err: errors.New("conn closed")}, firedrill.OutcomeIndeterminate},
		{context.DeadlineExceeded, firedrill.OutcomeIndeterminate},
		{errors.New("dial tcp: connection refused"), firedrill.OutcomeFailed},
		{errNotReady, firedrill.OutcomeFailed},
		{errors.New("boom"), firedrill.OutcomeFailed},
	} {
		if got := classifyReadError(tc.err); got != tc.want {
			t.Errorf("classifyReadError(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}
