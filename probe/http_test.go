package probe

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

const tinyTimeout = 50 * time.Millisecond

func TestHTTPWriterResponses(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     string
		want     firedrill.Outcome
		wantNode string
	}{
		{"ok", 200, `{"id":"x","node":"pg-replica1"}`, firedrill.OutcomeOK, "pg-replica1"},
		{"ok unreadable body", 200, `not json`, firedrill.OutcomeOK, ""},
		{"503 failed", 503, `{"outcome":"failed","error":"connect refused"}`, firedrill.OutcomeFailed, ""},
		{"503 indeterminate", 503, `{"outcome":"indeterminate","error":"conn lost"}`, firedrill.OutcomeIndeterminate, ""},
		{"503 no outcome", 503, `{"error":"x"}`, firedrill.OutcomeIndeterminate, ""},
		{"503 bogus outcome", 503, `{"outcome":"ok"}`, firedrill.OutcomeIndeterminate, ""},
		{"503 not json", 503, `Service Unavailable`, firedrill.OutcomeIndeterminate, ""},
		{"409 duplicate", 409, `{"outcome":"failed","error":"duplicate"}`, firedrill.OutcomeFailed, ""},
		{"400 bad id", 400, `{"outcome":"failed","error":"invalid id"}`, firedrill.OutcomeFailed, ""},
		{"404", 404, `404 page not found`, firedrill.OutcomeFailed, ""},
		{"405", 405, ``, firedrill.OutcomeFailed, ""},
		{"500", 500, `{"error":"boom"}`, firedrill.OutcomeIndeterminate, ""},
		{"502", 502, `bad gateway`, firedrill.OutcomeIndeterminate, ""},
		{"504", 504, ``, firedrill.OutcomeIndeterminate, ""},
		{"307 not followed", 307, ``, firedrill.OutcomeIndeterminate, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if r.Method != http.MethodPut || r.URL.Path != "/records/run-1:a.b_00000001" {
					t.Errorf("request %s %s", r.Method, r.URL.Path)
				}
				if tc.status == 307 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			hw := NewHTTPWriter(srv.URL+"/", time.Second)
			defer hw.CloseIdleConnections()
			node, outcome, err := hw.Write(t.Context(), "run-1:a.b_00000001")
			if outcome != tc.want || node != tc.wantNode {
				t.Errorf("Write = %q, %s, %v; want %q, %s", node, outcome, err, tc.wantNode, tc.want)
			}
			if outcome != firedrill.OutcomeOK && err == nil {
				t.Errorf("outcome %s without an error", outcome)
			}
			if calls != 1 {
				t.Errorf("server saw %d requests, want exactly 1", calls)
			}
		})
	}
}

func TestHTTPWriterConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	hw := NewHTTPWriter("http://"+addr, tinyTimeout)
	_, outcome, err := hw.Write(t.Context(), "id-1")
	if outcome != firedrill.OutcomeFailed || err == nil {
		t.Errorf("Write to a closed port = %s, %v; want failed with an error", outcome, err)
	}
}

func TestHTTPWriterTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	t.Run("client timeout", func(t *testing.T) {
		hw := NewHTTPWriter(srv.URL, tinyTimeout)
		_, outcome, err := hw.Write(t.Context(), "id-1")
		if outcome != firedrill.OutcomeIndeterminate || err == nil {
			t.Errorf("Write to a hanging handler = %s, %v; want indeterminate", outcome, err)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		hw := NewHTTPWriter(srv.URL, time.Minute)
		ctx, cancel := context.WithTimeout(t.Context(), tinyTimeout)
		defer cancel()
		_, outcome, err := hw.Write(ctx, "id-1")
		if outcome != firedrill.OutcomeIndeterminate || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Write past the op deadline = %s, %v; want indeterminate, deadline exceeded", outcome, err)
		}
	})
}

// TestHTTPWriterResetAfterSend: the app read the request and the connection
// broke before an answer: the write may have happened.
func TestHTTPWriterResetAfterSend(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST instead of FIN
		}
		conn.Close()
	}))
	defer srv.Close()
	hw := NewHTTPWriter(srv.URL, time.Second)
	_, outcome, err := hw.Write(t.Context(), "id-1")
	if outcome != firedrill.OutcomeIndeterminate || err == nil {
		t.Errorf("Write with a reset after sending = %s, %v; want indeterminate", outcome, err)
	}
}

// TestHTTPWriterContextDoneBeforeSend: an op whose deadline passed before the
// request was written was never sent.
func TestHTTPWriterContextDoneBeforeSend(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("request reached the server")
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, outcome, err := NewHTTPWriter(srv.URL, time.Second).Write(ctx, "id-1")
	if outcome != firedrill.OutcomeFailed || err == nil {
		t.Errorf("Write with a done context = %s, %v; want failed", outcome, err)
	}
}

func TestClassifyTransportError(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	read := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	cases := []struct {
		name  string
		err   error
		wrote bool
		want  firedrill.Outcome
	}{
		{"dial error", dial, false, firedrill.OutcomeFailed},
		{"dial error, wrapped", errors.Join(errors.New("Put"), dial), true, firedrill.OutcomeFailed},
		{"dns error", &net.DNSError{Err: "no such host", Name: "app"}, false, firedrill.OutcomeFailed},
		{"timeout before write", context.DeadlineExceeded, false, firedrill.OutcomeFailed},
		{"timeout after write", context.DeadlineExceeded, true, firedrill.OutcomeIndeterminate},
		{"reset after write", read, true, firedrill.OutcomeIndeterminate},
		{"EOF after write", io.ErrUnexpectedEOF, true, firedrill.OutcomeIndeterminate},
	}
	for _, tc := range cases {
		if got := classifyTransportError(tc.err, tc.wrote); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestHTTPWriterWithProbe(t *testing.T) {
	// Not under synctest (real sockets): only checks that the pieces fit.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"`+strings.TrimPrefix(r.URL.Path, "/records/")+`","node":"pg-primary"}`)
	}))
	defer srv.Close()
	ledger := &firedrill.Ledger{}
	p := New(Config{Rate: 200, Timeout: time.Second, RunID: "it"}, NewHTTPWriter(srv.URL, time.Second), firedrill.NewTimeline(), ledger)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if ledger.Len() == 0 {
		t.Fatal("no ops recorded")
	}
	for _, op := range ledger.Ops() {
		if op.Outcome != firedrill.OutcomeOK || op.Node != "pg-primary" {
			t.Errorf("op %s: %s %q %s", op.ID, op.Outcome, op.Node, op.Error)
		}
	}
}
