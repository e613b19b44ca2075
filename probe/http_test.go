package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

func TestMaxConns(t *testing.T) {
	cases := []struct {
		rate    float64
		timeout time.Duration
		want    int
	}{
		{50, time.Second, 50},                       // rate × timeout
		{50, 1500 * time.Millisecond, 75},           // rate × timeout
		{33, 100 * time.Millisecond, minConns},      // 3.3: the floor
		{100, 2500 * time.Millisecond, 250},         // just under the cap
		{101, 2550 * time.Millisecond, 256},         // 257.55: capped
		{1000, time.Second, maxConnsCap},            // capped
		{0.5, 3 * time.Second, minConns},            // 1.5: the floor
		{math.NaN(), time.Second, maxConnsCap},      // no usable rate
		{math.Inf(1), time.Second, maxConnsCap},     // no usable rate
		{100, 0, maxConnsCap},                       // no usable timeout
		{10, 1234567 * time.Microsecond, 13},        // 12.35 rounded up
		{200, 1280 * time.Millisecond, maxConnsCap}, // 256 exactly
	}
	for _, tc := range cases {
		if got := MaxConns(tc.rate, tc.timeout); got != tc.want {
			t.Errorf("MaxConns(%v, %s) = %d, want %d", tc.rate, tc.timeout, got, tc.want)
		}
	}
	if got := NewHTTPWriter("http://x", time.Second, WithRate(50)).MaxConns(); got != 50 {
		t.Errorf("WithRate(50), 1s: bound %d, want 50", got)
	}
	if got := NewHTTPWriter("http://x", time.Second).MaxConns(); got != maxConnsCap {
		t.Errorf("no rate: bound %d, want the cap %d", got, maxConnsCap)
	}
	if got := NewHTTPWriter("http://x", time.Second, WithRate(50), WithMaxConns(3)).MaxConns(); got != 3 {
		t.Errorf("WithMaxConns(3): bound %d, want 3", got)
	}
}

// heldServer answers every PUT only when release is closed, and counts the
// connections it accepted and the requests it received.
type heldServer struct {
	*httptest.Server
	release         chan struct{}
	conns, requests atomic.Int64
}

func newHeldServer(t *testing.T) *heldServer {
	s := &heldServer{release: make(chan struct{})}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		select {
		case <-s.release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, `{"id":"x","node":"pg-primary"}`)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// TestHTTPWriterBound: however many writes are in flight, the writer opens
// at most its bound of connections; the writes beyond it wait for one and
// are sent when one is free, once each.
func TestHTTPWriterBound(t *testing.T) {
	srv := newHeldServer(t)
	hw := NewHTTPWriter(srv.URL, 10*time.Second, WithMaxConns(3))
	defer hw.CloseIdleConnections()
	const writes = 12
	results := make(chan firedrill.Outcome, writes)
	for i := range writes {
		go func() {
			_, outcome, err := hw.Write(t.Context(), fmt.Sprintf("id-%d", i))
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
			results <- outcome
		}()
	}
	// Wait until the server holds as many requests as the bound allows.
	for srv.requests.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // room for a fourth connection, were it allowed
	if n := srv.requests.Load(); n != 3 {
		t.Errorf("%d requests in flight with a bound of 3", n)
	}
	close(srv.release)
	for range writes {
		if o := <-results; o != firedrill.OutcomeOK {
			t.Errorf("outcome %s, want ok", o)
		}
	}
	if n := srv.conns.Load(); n != 3 {
		t.Errorf("server accepted %d connections, want 3 (the bound)", n)
	}
	if n := hw.Dialed(); n != 3 {
		t.Errorf("Dialed = %d, want 3", n)
	}
	if n := srv.requests.Load(); n != writes {
		t.Errorf("server received %d requests, want %d", n, writes)
	}
}

// TestHTTPWriterTimeoutWaitingForConn: a write whose deadline passes while
// it waits for a connection was never written: failed, and the server never
// sees it.
func TestHTTPWriterTimeoutWaitingForConn(t *testing.T) {
	srv := newHeldServer(t)
	defer close(srv.release)
	hw := NewHTTPWriter(srv.URL, 10*time.Second, WithMaxConns(1))
	defer hw.CloseIdleConnections()
	go hw.Write(t.Context(), "holder")
	for srv.requests.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), tinyTimeout)
	defer cancel()
	_, outcome, err := hw.Write(ctx, "waiter")
	if outcome != firedrill.OutcomeFailed || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Write timed out waiting for a connection = %s, %v; want failed, deadline exceeded", outcome, err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("server received %d requests, want only the holder's", n)
	}
}

// TestProbeWaitsForConnOnSchedule: with the probe in front of a bounded
// writer, ops that must wait for a connection are still stamped as sent at
// their due time, not after the held op (the probe stays open-loop); their
// wait is their latency.
func TestProbeWaitsForConnOnSchedule(t *testing.T) {
	srv := newHeldServer(t)
	hw := NewHTTPWriter(srv.URL, 5*time.Second, WithMaxConns(1))
	defer hw.CloseIdleConnections()
	ledger := &firedrill.Ledger{}
	p := New(Config{Rate: 100, Timeout: 5 * time.Second, RunID: "b"}, hw, firedrill.NewTimeline(), ledger)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	<-ctx.Done()
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("%d requests reached the server through one held connection, want 1", n)
	}
	close(srv.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ops := ledger.Ops()
	slices.SortFunc(ops, func(a, b firedrill.Op) int { return int(a.Seq - b.Seq) })
	// A closed-loop probe would have sent op 0 alone: it is held past the
	// end of the schedule.
	if len(ops) < 2 {
		t.Fatalf("%d ops sent in 300ms at 100/s: the probe waited for the held op", len(ops))
	}
	for _, op := range ops {
		if op.Outcome != firedrill.OutcomeOK {
			t.Errorf("op %d: %s %s", op.Seq, op.Outcome, op.Error)
		}
	}
	// Every op but the first waited for the connection until the release,
	// after the end of the schedule: each finished after every op was sent.
	last := ops[len(ops)-1].Sent
	for _, op := range ops[1:] {
		if op.Done < last {
			t.Errorf("op %d finished at %s, before the last op was sent at %s: it did not wait", op.Seq, op.Done, last)
		}
	}
}

// TestHTTPWriterRecoversAfterTimeoutStorm: after an outage in which most
// writes timed out, waiting for a connection or in flight, the writer
// still sends the next writes at once: its connection bound must not
// wedge. (A drill at 1000 writes/s once ended with 1001 writes parked in
// net/http's getConn beside 261 idle connections: the Transport's
// MaxConnsPerHost accounting, not the app, held every later write.)
func TestHTTPWriterRecoversAfterTimeoutStorm(t *testing.T) {
	srv := newHeldServer(t)
	hw := NewHTTPWriter(srv.URL, 10*time.Second, WithMaxConns(4))
	defer hw.CloseIdleConnections()
	var wg sync.WaitGroup
	for i := range 400 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), time.Duration(5+i%40)*time.Millisecond)
			defer cancel()
			hw.Write(ctx, fmt.Sprintf("storm-%d", i))
		})
		if i%20 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	wg.Wait()
	close(srv.release)
	for i := range 50 {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		_, outcome, err := hw.Write(ctx, fmt.Sprintf("after-%d", i))
		cancel()
		if outcome != firedrill.OutcomeOK {
			t.Fatalf("write %d after the storm: %s, %v", i, outcome, err)
		}
	}
}
