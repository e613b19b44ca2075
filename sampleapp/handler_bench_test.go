package sampleapp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHandlePut: the app's own cost per write, the database aside (a
// store that answers at once): time and allocations of PUT /records/{id}
// through the router (docs/benchmarks.md, "Probe and app at 200, 1000, 2000 writes/s").
func BenchmarkHandlePut(b *testing.B) {
	st := &fakeStore{insertFn: func(context.Context, string) (string, error) { return "pg-primary", nil }}
	h := readyApp(st).routes()
	req := httptest.NewRequest(http.MethodPut, "/records/bench-1000-00001234", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// discardWriter is a ResponseWriter that keeps the status only, so the
// benchmark measures the handler, not a recorder.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
