package sampleapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/firedrill/firedrill"
)

const (
	schemaRetryInterval = 500 * time.Millisecond
	schemaAttemptLimit  = 5 * time.Second
	healthTimeout       = time.Second
)

// Run serves the sample application until ctx is done, then shuts the HTTP
// server down gracefully (in-flight requests get up to WriteTimeout plus a
// second) and closes the pools. /livez answers at once; the schema is created
// in the background, retried every 500ms until it succeeds, and writes are
// refused ("failed") until then.
func Run(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	return serve(ctx, cfg, ln)
}

// serve runs the app on an open listener, which it closes.
func serve(ctx context.Context, cfg Config, ln net.Listener) error {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		ln.Close()
		return err
	}
	st, err := newPGStore(ctx, cfg.WriteDSN, cfg.ReadDSN)
	if err != nil {
		ln.Close()
		return err
	}
	defer st.close()
	attrs := []any{"listen", ln.Addr().String(), "write", describeDSN(cfg.WriteDSN), "write_timeout", cfg.WriteTimeout.String()}
	if cfg.ReadDSN != "" {
		attrs = append(attrs, "read", describeDSN(cfg.ReadDSN))
	}
	attrs = append(attrs, uploads{dir: cfg.UploadsDir}.describe()...)
	cfg.Logger.Info("sample app starting", attrs...)
	return serveStore(ctx, cfg, ln, st)
}

// serveStore is serve with the database behind an interface, for tests.
func serveStore(ctx context.Context, cfg Config, ln net.Listener, st store) error {
	a := newApp(cfg, st)
	srv := &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		// Longer than the probe's idle timeout, so the client closes idle
		// keep-alive connections before the server does.
		IdleTimeout: 120 * time.Second,
		ErrorLog:    slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}

	var wg sync.WaitGroup
	schemaCtx, stopSchema := context.WithCancel(ctx)
	defer stopSchema()
	wg.Go(func() { a.initSchema(schemaCtx) })

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	var err error
	select {
	case err = <-serveErr:
		err = fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
		cfg.Logger.Info("sample app shutting down")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.WriteTimeout+time.Second)
		if serr := srv.Shutdown(sctx); serr != nil {
			err = fmt.Errorf("shut down http server: %w", serr)
			srv.Close()
		}
		cancel()
		<-serveErr // http.ErrServerClosed
	}
	stopSchema()
	wg.Wait()
	return err
}

type app struct {
	st           store
	log          *slog.Logger
	writeTimeout time.Duration
	ready        atomic.Bool // schema exists
	failLog      logLimiter  // "write failed" lines
	readFailLog  logLimiter  // "read failed" lines (read.go)
	uploads      uploads     // the file store (uploads.go)
}

// failLogEvery is the least time between two "write failed" lines. During an
// outage at 1000 writes/s every write fails: one line each would be 1000
// lines a second through the container's log driver, on a machine the drill
// needs for the recovery it measures. The client learns each outcome anyway.
const failLogEvery = 100 * time.Millisecond

// logLimiter lets one line through per failLogEvery and counts the others.
type logLimiter struct {
	next       atomic.Int64 // unix nanoseconds before which lines are counted, not logged
	suppressed atomic.Int64
}

// allow reports whether a line may be logged at now and, if so, how many
// were suppressed since the last one.
func (l *logLimiter) allow(now time.Time) (suppressed int64, ok bool) {
	next := l.next.Load()
	if now.UnixNano() < next || !l.next.CompareAndSwap(next, now.Add(failLogEvery).UnixNano()) {
		l.suppressed.Add(1)
		return 0, false
	}
	return l.suppressed.Swap(0), true
}

func newApp(cfg Config, st store) *app {
	return &app{st: st, log: cfg.Logger, writeTimeout: cfg.WriteTimeout, uploads: uploads{dir: cfg.UploadsDir, log: cfg.Logger}}
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /records/{id}", a.handlePut)
	mux.HandleFunc("GET /records/{id}", a.handleGet)
	mux.HandleFunc("GET /reads/{id}", a.handleRead)
	mux.HandleFunc("GET /healthz", a.handleHealthz)
	mux.HandleFunc("GET /livez", a.handleLivez)
	a.uploads.register(mux)
	return mux
}

// initSchema creates the table, retrying every schemaRetryInterval until it
// succeeds or ctx is done.
func (a *app) initSchema(ctx context.Context) {
	t := time.NewTicker(schemaRetryInterval)
	defer t.Stop()
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, schemaAttemptLimit)
		err := a.st.ensureSchema(actx)
		cancel()
		if err == nil {
			a.ready.Store(true)
			a.log.Info("schema ready", "table", Table, "attempts", attempt)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if attempt == 1 || attempt%20 == 0 {
			a.log.Warn("schema not ready, retrying", "attempt", attempt, "every", schemaRetryInterval.String(), "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type writeOK struct {
	ID   string `json:"id"`
	Node string `json:"node"`
}

type writeErr struct {
	Outcome firedrill.Outcome `json:"outcome"`
	Error   string            `json:"error"`
}

func (a *app) handlePut(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		writeJSON(w, http.StatusBadRequest, writeErr{Outcome: firedrill.OutcomeFailed, Error: "invalid id: want " + idPattern.String()})
		return
	}
	var node string
	err := errNotReady
	if a.ready.Load() {
		ctx, cancel := context.WithTimeout(r.Context(), a.writeTimeout)
		node, err = a.st.insert(ctx, id)
		cancel()
	}
	if err != nil {
		status, outcome := classifyWriteError(err)
		if suppressed, ok := a.failLog.allow(time.Now()); ok {
			a.log.Warn("write failed", "id", id, "outcome", outcome, "status", status, "err", err, "suppressed", suppressed)
		}
		writeJSON(w, status, writeErr{Outcome: outcome, Error: err.Error()})
		return
	}
	// Guarded: the arguments of a disabled Debug call still cost three
	// allocations per write.
	if a.log.Enabled(r.Context(), slog.LevelDebug) {
		a.log.Debug("write ok", "id", id, "node", node)
	}
	writeOKReply(w, id, node)
}

// okBufs holds the buffers of writeOKReply between writes.
var okBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// writeOKReply writes 200 {"id":…,"node":…} as writeJSON(writeOK) would,
// without reflection or a buffer per request: this is the answer to nearly
// every request of a drill. id is a validID, which needs no escaping.
func writeOKReply(w http.ResponseWriter, id, node string) {
	if !plainJSON(node) {
		writeJSON(w, http.StatusOK, writeOK{ID: id, Node: node})
		return
	}
	bp := okBufs.Get().(*[]byte)
	b := append((*bp)[:0], `{"id":"`...)
	b = append(b, id...)
	b = append(b, `","node":"`...)
	b = append(b, node...)
	b = append(b, "\"}\n"...)
	setJSONHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	*bp = b
	okBufs.Put(bp)
}

// plainJSON reports whether s can go between JSON quotes as it is (as
// encoding/json would write it: printable ASCII but for '"', '\\' and
// the HTML characters it escapes).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// The header values of every JSON answer, shared: http.Header.Set would
// allocate a slice for each, per request. Nothing appends to them in place
// (their capacity is their length).
var (
	jsonContentType = []string{"application/json"}
	noStore         = []string{"no-store"}
)

func setJSONHeaders(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
}

type errorBody struct {
	ID    string `json:"id,omitempty"`
	Error string `json:"error"`
}

func (a *app) handleGet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "invalid id: want " + idPattern.String()})
		return
	}
	if !a.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, errorBody{ID: id, Error: errNotReady.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.writeTimeout)
	rec, err := a.st.get(ctx, id)
	cancel()
	switch {
	case errors.Is(err, errNotFound):
		writeJSON(w, http.StatusNotFound, errorBody{ID: id, Error: err.Error()})
	case err != nil:
		a.log.Warn("read failed", "id", id, "err", err)
		writeJSON(w, http.StatusServiceUnavailable, errorBody{ID: id, Error: err.Error()})
	default:
		writeJSON(w, http.StatusOK, rec)
	}
}

type health struct {
	Status string `json:"status"`
	Node   string `json:"node,omitempty"` // name of the server the write pool reaches (nodeSQL)
	Error  string `json:"error,omitempty"`
}

func (a *app) handleHealthz(w http.ResponseWriter, r *http.Request) {
	if !a.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, health{Status: "unavailable", Error: errNotReady.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	node, err := a.st.ping(ctx)
	cancel()
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, health{Status: "unavailable", Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, health{Status: "ok", Node: node})
}

func (a *app) handleLivez(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, health{Status: "ok"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	setJSONHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
