package probe

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

// BenchmarkHTTPWriter: the probe's cost per write on the client side, with
// an in-process server that answers at once (its cost is in the numbers
// too: compare side by side only) (docs/benchmarks.md, "Probe and app at 200, 1000, 2000 writes/s").
func BenchmarkHTTPWriter(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"x","node":"pg-primary"}`+"\n")
	}))
	defer srv.Close()
	hw := NewHTTPWriter(srv.URL, time.Second, WithRate(1000))
	defer hw.CloseIdleConnections()
	b.ReportAllocs()
	for b.Loop() {
		if _, outcome, err := hw.Write(b.Context(), "bench-1000-00001234"); outcome != firedrill.OutcomeOK {
			b.Fatal(outcome, err)
		}
	}
}
