package probe

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

func TestHTTPReaderResponses(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     string
		want     firedrill.Outcome
		wantNode string
		wantRole string
	}{
		{"found on a replica", 200, `{"id":"k","found":true,"node":"pg-primary","served_by":"pg-replica1","standby":true}`, firedrill.OutcomeOK, "pg-replica1", firedrill.ServedByReplica},
		{"found on the primary", 200, `{"id":"k","found":true,"node":"pg-primary","served_by":"pg-primary","standby":false}`, firedrill.OutcomeOK, "pg-primary", firedrill.ServedByPrimary},
		{"found, unreadable body", 200, `not json`, firedrill.OutcomeOK, "", ""},
		{"not there on a replica", 404, `{"id":"k","found":false,"served_by":"pg-replica1","standby":true}`, firedrill.OutcomeStale, "pg-replica1", firedrill.ServedByReplica},
		{"not there on the primary", 404, `{"id":"k","found":false,"served_by":"pg-primary","standby":false}`, firedrill.OutcomeStale, "pg-primary", firedrill.ServedByPrimary},
		{"404 naming no server", 404, `{"id":"k","found":false}`, firedrill.OutcomeFailed, "", ""},
		{"404 of a missing route", 404, `404 page not found`, firedrill.OutcomeFailed, "", ""},
		{"503 failed", 503, `{"outcome":"failed","error":"no server"}`, firedrill.OutcomeFailed, "", ""},
		{"503 indeterminate", 503, `{"outcome":"indeterminate","error":"no answer in time"}`, firedrill.OutcomeIndeterminate, "", ""},
		{"503 without outcome", 503, `{"error":"x"}`, firedrill.OutcomeIndeterminate, "", ""},
		{"400 bad id", 400, `{"outcome":"failed","error":"invalid id"}`, firedrill.OutcomeFailed, "", ""},
		{"500", 500, `{"error":"boom"}`, firedrill.OutcomeIndeterminate, "", ""},
		{"204", 204, ``, firedrill.OutcomeIndeterminate, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if r.Method != http.MethodGet || r.URL.Path != "/reads/run-1:a.b_00000001" || r.ContentLength != 0 || len(r.TransferEncoding) != 0 {
					t.Errorf("request %s %s, length %d, encoding %v", r.Method, r.URL.Path, r.ContentLength, r.TransferEncoding)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			hr := NewHTTPReader(srv.URL+"/", time.Second)
			defer hr.CloseIdleConnections()
			ans, outcome, err := hr.Read(t.Context(), "run-1:a.b_00000001")
			if outcome != tc.want || ans.Node != tc.wantNode || ans.Role != tc.wantRole {
				t.Errorf("Read = %+v, %s, %v; want node %q role %q, %s", ans, outcome, err, tc.wantNode, tc.wantRole, tc.want)
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

// TestHTTPReaderNoResend: net/http resends a replayable GET on a new
// connection when the reused one breaks before the answer; a read must
// not be resent. The app here reads the second request on a connection
// and resets it without answering: the read is indeterminate and the app
// saw it once.
func TestHTTPReaderNoResend(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			io.WriteString(w, `{"found":true,"served_by":"pg-replica1","standby":true}`)
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.(*net.TCPConn).SetLinger(0) // RST
		conn.Close()
	}))
	defer srv.Close()
	hr := NewHTTPReader(srv.URL, time.Second, WithMaxConns(1))
	defer hr.CloseIdleConnections()
	if _, outcome, err := hr.Read(t.Context(), "k-1"); outcome != firedrill.OutcomeOK {
		t.Fatalf("first read: %s %v", outcome, err)
	}
	_, outcome, err := hr.Read(t.Context(), "k-2")
	if outcome != firedrill.OutcomeIndeterminate || err == nil {
		t.Errorf("a read on a connection reset after sending = %s, %v; want indeterminate", outcome, err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("the app saw %d requests, want 2: the read was resent", n)
	}
	if n := hr.Dialed(); n != 1 {
		t.Errorf("Dialed = %d, want 1: a second connection was opened for a resend", n)
	}
}

// TestHTTPReaderOwnBound: the reads' connection bound is their own: reads
// held by the app do not keep a write from being sent.
func TestHTTPReaderOwnBound(t *testing.T) {
	srv := newHeldServer(t)
	hr := NewHTTPReader(srv.URL, 10*time.Second, WithMaxConns(1))
	defer hr.CloseIdleConnections()
	go hr.Read(t.Context(), "held")
	for srv.requests.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	hw := NewHTTPWriter(srv.URL, 10*time.Second, WithMaxConns(1))
	defer hw.CloseIdleConnections()
	written := make(chan firedrill.Outcome)
	go func() {
		_, outcome, _ := hw.Write(t.Context(), "w-1")
		written <- outcome
	}()
	for srv.requests.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	close(srv.release)
	if o := <-written; o != firedrill.OutcomeOK {
		t.Errorf("write beside a held read: %s", o)
	}
}

// BenchmarkHTTPReader: the probe's cost per read on the client side, to
// compare with BenchmarkHTTPWriter's per write (the same in-process
// server; the read's body that keeps net/http from resending it costs a
// goroutine per request).
func BenchmarkHTTPReader(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"x","found":true,"node":"pg-primary","served_by":"pg-replica1","standby":true}`+"\n")
	}))
	defer srv.Close()
	hr := NewHTTPReader(srv.URL, time.Second, WithRate(1000))
	defer hr.CloseIdleConnections()
	b.ReportAllocs()
	for b.Loop() {
		if _, outcome, err := hr.Read(b.Context(), "bench-1000-00001234"); outcome != firedrill.OutcomeOK {
			b.Fatal(outcome, err)
		}
	}
}
