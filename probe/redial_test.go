package probe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// After Set, new connections go to the new address while the URLs keep
// the app's first one: a rebuilt app is written to without rebuilding
// the streams.
func TestRedialSendsNewConnectionsToTheNewAddress(t *testing.T) {
	var hitsOld, hitsNew atomic.Int64
	handler := func(hits *atomic.Int64) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"` + strings.TrimPrefix(r.URL.Path, "/records/") + `","node":"pg-primary"}`))
		}
	}
	oldApp := httptest.NewServer(handler(&hitsOld))
	defer oldApp.Close()
	newApp := httptest.NewServer(handler(&hitsNew))
	defer newApp.Close()

	r := &Redial{}
	w := NewHTTPWriter(oldApp.URL, 2*time.Second, WithMaxConns(1), WithRedial(r))
	ctx := context.Background()
	if _, _, err := w.Write(ctx, "a"); err != nil {
		t.Fatalf("write to the first app: %v", err)
	}
	oldApp.CloseClientConnections() // the old app dies with its connections
	r.Set(strings.TrimPrefix(newApp.URL, "http://"))
	// A write on the dead app's pooled connection fails (the probe never
	// retries); the next one dials, and reaches the new app.
	var err error
	for _, id := range []string{"b", "c"} {
		if _, _, err = w.Write(ctx, id); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("no write reached the rebuilt app: %v", err)
	}
	if hitsOld.Load() != 1 || hitsNew.Load() != 1 {
		t.Errorf("old app got %d writes, new app %d; want 1 and 1", hitsOld.Load(), hitsNew.Load())
	}
}
