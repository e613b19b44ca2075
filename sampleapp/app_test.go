package sampleapp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/firedrill/firedrill"
)

// fakeStore is a store whose answers the test sets.
type fakeStore struct {
	mu         sync.Mutex
	schemaErrs []error // returned by successive ensureSchema calls, then nil
	schemaHits int
	insertFn   func(ctx context.Context, id string) (string, error)
	getFn      func(ctx context.Context, id string) (record, error)
	pingFn     func(ctx context.Context) (string, error)
}

func (f *fakeStore) ensureSchema(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.schemaHits++
	if len(f.schemaErrs) > 0 {
		err := f.schemaErrs[0]
		f.schemaErrs = f.schemaErrs[1:]
		return err
	}
	return nil
}
func (f *fakeStore) insert(ctx context.Context, id string) (string, error) {
	return f.insertFn(ctx, id)
}
func (f *fakeStore) get(ctx context.Context, id string) (record, error) { return f.getFn(ctx, id) }
func (f *fakeStore) ping(ctx context.Context) (string, error)           { return f.pingFn(ctx) }

func testConfig() Config {
	return Config{WriteDSN: "postgres://u:p@h/db", WriteTimeout: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}.withDefaults()
}

func do(t *testing.T, h http.Handler, method, path string) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), method, path, nil))
	var body map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, path, rec.Body.String(), err)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
	}
	return rec.Code, body
}

func readyApp(st store) *app {
	a := newApp(testConfig(), st)
	a.ready.Store(true)
	return a
}

func TestPutRecord(t *testing.T) {
	var gotDeadline bool
	st := &fakeStore{insertFn: func(ctx context.Context, id string) (string, error) {
		_, gotDeadline = ctx.Deadline()
		switch id {
		case "dup":
			return "", &pgconn.PgError{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: "23505", Message: "duplicate"}
		case "down":
			return "", &acquireError{err: errors.New("dial tcp: connection refused")}
		case "lost":
			return "", io.ErrUnexpectedEOF
		case "slow":
			<-ctx.Done()
			return "", ctx.Err()
		}
		return "pg-primary", nil
	}}
	h := readyApp(st).routes()

	cases := []struct {
		path    string
		status  int
		outcome string
		node    string
	}{
		{"/records/run-1_00000001", 200, "", "pg-primary"},
		{"/records/dup", 409, "failed", ""},
		{"/records/down", 503, "failed", ""},
		{"/records/lost", 503, "indeterminate", ""},
		{"/records/slow", 503, "indeterminate", ""},
		{"/records/a%20b", 400, "failed", ""},
		{"/records/" + strings.Repeat("x", 129), 400, "failed", ""},
	}
	for _, tc := range cases {
		status, body := do(t, h, http.MethodPut, tc.path)
		if status != tc.status {
			t.Errorf("PUT %s: status %d %v, want %d", tc.path, status, body, tc.status)
			continue
		}
		if tc.status == 200 {
			if body["node"] != tc.node || body["id"] != strings.TrimPrefix(tc.path, "/records/") {
				t.Errorf("PUT %s: body %v", tc.path, body)
			}
			continue
		}
		if body["outcome"] != tc.outcome || body["error"] == "" {
			t.Errorf("PUT %s: body %v, want outcome %s and an error", tc.path, body, tc.outcome)
		}
	}
	if !gotDeadline {
		t.Error("insert ran without the write timeout")
	}
}

func TestPutBeforeSchema(t *testing.T) {
	st := &fakeStore{insertFn: func(context.Context, string) (string, error) {
		t.Error("insert called before the schema is ready")
		return "", nil
	}}
	h := newApp(testConfig(), st).routes()
	status, body := do(t, h, http.MethodPut, "/records/a")
	if status != 503 || body["outcome"] != string(firedrill.OutcomeFailed) {
		t.Errorf("PUT before schema: %d %v, want 503 failed", status, body)
	}
}

func TestGetRecord(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	st := &fakeStore{getFn: func(ctx context.Context, id string) (record, error) {
		switch id {
		case "missing":
			return record{}, errNotFound
		case "broken":
			return record{}, errors.New("read pool: down; write pool: down")
		}
		return record{ID: id, Node: "pg-primary", WrittenAt: at, ServedBy: "pg-replica1"}, nil
	}}
	h := readyApp(st).routes()

	status, body := do(t, h, http.MethodGet, "/records/r-1")
	if status != 200 || body["id"] != "r-1" || body["node"] != "pg-primary" || body["served_by"] != "pg-replica1" ||
		body["written_at"] != "2026-01-02T03:04:05.000006Z" {
		t.Errorf("GET found: %d %v", status, body)
	}
	if status, body = do(t, h, http.MethodGet, "/records/missing"); status != 404 {
		t.Errorf("GET missing: %d %v, want 404", status, body)
	}
	if status, body = do(t, h, http.MethodGet, "/records/broken"); status != 503 {
		t.Errorf("GET broken: %d %v, want 503", status, body)
	}
	if status, body = do(t, h, http.MethodGet, "/records/a%20b"); status != 400 {
		t.Errorf("GET bad id: %d %v, want 400", status, body)
	}
}

func TestHealthAndLiveness(t *testing.T) {
	var pingErr error
	st := &fakeStore{pingFn: func(ctx context.Context) (string, error) {
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > healthTimeout {
			t.Errorf("ping without a %s deadline", healthTimeout)
		}
		return "pg-primary", pingErr
	}}
	a := newApp(testConfig(), st)
	h := a.routes()

	if status, _ := do(t, h, http.MethodGet, "/livez"); status != 200 {
		t.Errorf("livez before schema: %d", status)
	}
	if status, body := do(t, h, http.MethodGet, "/healthz"); status != 503 || body["status"] != "unavailable" {
		t.Errorf("healthz before schema: %d %v", status, body)
	}
	a.ready.Store(true)
	if status, body := do(t, h, http.MethodGet, "/healthz"); status != 200 || body["status"] != "ok" || body["node"] != "pg-primary" {
		t.Errorf("healthz: %d %v", status, body)
	}
	pingErr = errors.New("timeout")
	if status, body := do(t, h, http.MethodGet, "/healthz"); status != 503 || body["error"] != "timeout" {
		t.Errorf("healthz with the database down: %d %v", status, body)
	}
	if status, _ := do(t, h, http.MethodGet, "/livez"); status != 200 {
		t.Errorf("livez with the database down: %d", status)
	}
}

func TestInitSchemaRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("connection refused")
		st := &fakeStore{schemaErrs: []error{boom, boom, boom}}
		a := newApp(testConfig(), st)
		start := time.Now()
		a.initSchema(t.Context())
		if !a.ready.Load() || st.schemaHits != 4 {
			t.Fatalf("ready %v after %d attempts", a.ready.Load(), st.schemaHits)
		}
		if el := time.Since(start); el != 3*schemaRetryInterval {
			t.Errorf("schema ready after %s, want %s (3 retries every %s)", el, 3*schemaRetryInterval, schemaRetryInterval)
		}
	})
}

func TestInitSchemaStopsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errs := make([]error, 1000)
		for i := range errs {
			errs[i] = errors.New("down")
		}
		st := &fakeStore{schemaErrs: errs}
		a := newApp(testConfig(), st)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second+time.Millisecond)
		defer cancel()
		a.initSchema(ctx)
		if a.ready.Load() || st.schemaHits != 5 {
			t.Errorf("ready %v after %d attempts, want not ready after 5", a.ready.Load(), st.schemaHits)
		}
	})
}

func TestReadWithFallback(t *testing.T) {
	rec := func(by string) func(context.Context) (record, error) {
		return func(context.Context) (record, error) { return record{ID: "x", ServedBy: by}, nil }
	}
	fail := func(err error) func(context.Context) (record, error) {
		return func(context.Context) (record, error) { return record{}, err }
	}
	down := errors.New("replica down")
	cases := []struct {
		name          string
		first, second func(context.Context) (record, error)
		want          string
		wantErr       error
	}{
		{"replica answers", rec("replica"), fail(errors.New("unused")), "replica", nil},
		{"replica down", fail(down), rec("primary"), "primary", nil},
		{"replica lags", fail(errNotFound), rec("primary"), "primary", nil},
		{"nowhere", fail(errNotFound), fail(errNotFound), "", errNotFound},
		{"replica down, primary has no row", fail(down), fail(errNotFound), "", errNotFound},
	}
	for _, tc := range cases {
		r, err := readWithFallback(t.Context(), tc.first, tc.second)
		if r.ServedBy != tc.want || !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: %q, %v; want %q, %v", tc.name, r.ServedBy, err, tc.want, tc.wantErr)
		}
	}
	_, err := readWithFallback(t.Context(), fail(down), fail(errors.New("primary down")))
	if err == nil || !strings.Contains(err.Error(), "replica down") || !strings.Contains(err.Error(), "primary down") {
		t.Errorf("both down: %v, want both errors", err)
	}

	// The replica gets half of the remaining time, the primary the rest.
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	var firstLeft, secondLeft time.Duration
	readWithFallback(ctx,
		func(ctx context.Context) (record, error) {
			dl, _ := ctx.Deadline()
			firstLeft = time.Until(dl)
			return record{}, down
		},
		func(ctx context.Context) (record, error) {
			dl, _ := ctx.Deadline()
			secondLeft = time.Until(dl)
			return record{}, errNotFound
		})
	if firstLeft > 31*time.Minute || firstLeft < 29*time.Minute || secondLeft < 59*time.Minute {
		t.Errorf("deadlines: replica %s, primary %s", firstLeft, secondLeft)
	}
}

// TestServeGracefulShutdown: cancelling ctx lets an in-flight write finish
// and answer before serveStore returns.
func TestServeGracefulShutdown(t *testing.T) {
	inInsert := make(chan struct{})
	release := make(chan struct{})
	st := &fakeStore{insertFn: func(ctx context.Context, id string) (string, error) {
		close(inInsert)
		<-release
		return "pg-primary", nil
	}, pingFn: func(context.Context) (string, error) { return "pg-primary", nil }}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- serveStore(ctx, testConfig(), ln, st) }()

	base := "http://" + ln.Addr().String()
	waitFor(t, func() bool { // the schema is created in the background
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})

	type answer struct {
		status int
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPut, base+"/records/in-flight", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		resp.Body.Close()
		answered <- answer{status: resp.StatusCode}
	}()
	<-inInsert
	cancel()
	select {
	case err := <-served:
		t.Fatalf("serveStore returned (%v) with a write in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if a := <-answered; a.err != nil || a.status != 200 {
		t.Errorf("in-flight write: %d %v, want 200", a.status, a.err)
	}
	if err := <-served; err != nil {
		t.Errorf("serveStore: %v", err)
	}
	if _, err := http.Get(base + "/livez"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met")
}

func TestRunConfigErrors(t *testing.T) {
	cfg := testConfig()
	cfg.WriteDSN = ""
	if err := Run(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), EnvWriteDSN) {
		t.Errorf("Run without a DSN: %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg = testConfig()
	cfg.Listen = ln.Addr().String()
	if err := Run(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("Run on a busy port: %v", err)
	}

	cfg = testConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.WriteDSN = "postgres://u:s3cret@h:notaport/db"
	if err := Run(t.Context(), cfg); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Run with a bad DSN: %v (want an error without the password)", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(EnvWriteDSN, "postgres://u:p@a,b/db?target_session_attrs=read-write")
	t.Setenv(EnvReadDSN, "")
	t.Setenv(EnvListen, "")
	t.Setenv(EnvWriteTimeout, "")
	cfg, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != DefaultListen || cfg.WriteTimeout != DefaultWriteTimeout || cfg.Logger == nil || cfg.ReadDSN != "" {
		t.Errorf("defaults: %+v", cfg)
	}

	t.Setenv(EnvListen, "127.0.0.1:9000")
	t.Setenv(EnvReadDSN, "postgres://u:p@b,a/db?target_session_attrs=prefer-standby")
	t.Setenv(EnvWriteTimeout, "1500ms")
	if cfg, err = ConfigFromEnv(); err != nil || cfg.Listen != "127.0.0.1:9000" || cfg.WriteTimeout != 1500*time.Millisecond ||
		!strings.Contains(cfg.ReadDSN, "prefer-standby") {
		t.Errorf("ConfigFromEnv = %+v, %v", cfg, err)
	}

	t.Setenv(EnvWriteTimeout, "soon")
	if _, err := ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), EnvWriteTimeout) {
		t.Errorf("bad timeout: %v", err)
	}
	t.Setenv(EnvWriteTimeout, "")
	t.Setenv(EnvWriteDSN, "")
	if _, err := ConfigFromEnv(); err == nil {
		t.Error("missing DSN: no error")
	}
}

// TestOKReplyIsJSON: the hand-built answer of a write is what encoding/json
// writes for it, for node names that need escaping too.
func TestOKReplyIsJSON(t *testing.T) {
	for _, node := range []string{"pg-primary", "pg_replica.1", "", `q"uote`, `back\slash`, "<b>&", "tab\t", "é", "\x7f"} {
		rec := httptest.NewRecorder()
		writeOKReply(rec, "run-1_00000001", node)
		want, _ := json.Marshal(writeOK{ID: "run-1_00000001", Node: node})
		if got := rec.Body.String(); got != string(want)+"\n" {
			t.Errorf("node %q: body %q, want %q", node, got, want)
		}
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("node %q: %d %v", node, rec.Code, rec.Header())
		}
	}
}

// TestFailLogLimited: failed writes are logged at most once per
// failLogEvery; the next line says how many were not.
func TestFailLogLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf strings.Builder // the handler runs on this goroutine
		cfg := testConfig()
		cfg.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
		st := &fakeStore{insertFn: func(context.Context, string) (string, error) {
			return "", &acquireError{err: errors.New("dial tcp: connection refused")}
		}}
		a := newApp(cfg, st)
		a.ready.Store(true)
		h := a.routes()
		// 1000 failed writes/s for 1s: ten lines; the first says 0 suppressed, the others 99.
		for range 1000 {
			if status, _ := do(t, h, http.MethodPut, "/records/x"); status != 503 {
				t.Fatalf("status %d", status)
			}
			time.Sleep(time.Millisecond)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 10 {
			t.Fatalf("%d lines for 1000 failures in 1s, want 10:\n%s", len(lines), strings.Join(lines, "\n"))
		}
		for i, l := range lines {
			var rec struct {
				Msg        string `json:"msg"`
				Suppressed int    `json:"suppressed"`
				Outcome    string `json:"outcome"`
			}
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatal(err)
			}
			want := 99
			if i == 0 {
				want = 0
			}
			if rec.Msg != "write failed" || rec.Suppressed != want || rec.Outcome != "failed" {
				t.Errorf("line %d: %s, want suppressed %d", i, l, want)
			}
		}
	})
}
