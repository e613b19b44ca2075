package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

// guard is how long a test waits for something that must happen before it
// declares it never did: a failure guard, not a measurement.
const guard = 10 * time.Second

// received is one request a test receiver got.
type received struct {
	body   []byte
	header http.Header
}

// receiver is a real HTTP receiver on 127.0.0.1. answer decides each
// response from the request's number (1-based); nil answers 200.
type receiver struct {
	srv   *httptest.Server
	got   chan received
	count atomic.Int32
}

func newReceiver(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int)) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan received, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(rc.count.Add(1))
		b, _ := io.ReadAll(r.Body)
		// A receiver retried in a loop gets more requests than a test
		// reads; past the buffer they are counted only.
		select {
		case rc.got <- received{body: b, header: r.Header.Clone()}:
		default:
		}
		if answer != nil {
			answer(w, r, n)
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// next returns the next request received, failing the test if none comes.
func (rc *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(guard):
		t.Fatal("the receiver got no request")
		return received{}
	}
}

// status answers every request with code.
func status(code int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(code) }
}

// hang answers nothing until the client gives up.
func hang(_ http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() }

// webhook is a json webhook to url with every event.
func webhook(url string, timeout time.Duration) scenarios.Webhook {
	return scenarios.Webhook{URL: url, Format: scenarios.WebhookJSON, Events: scenarios.WebhookEvents,
		Timeout: scenarios.Duration{Duration: timeout}}
}

// newTestNotifier is New with retries a millisecond apart, to keep tests
// fast; the backoff's shape is tested on its own.
func newTestNotifier(hooks []scenarios.Webhook, opts ...Option) *Notifier {
	n := New(hooks, opts...)
	for _, h := range n.hooks {
		h.send.retryBase, h.send.retryCap = time.Millisecond, 10*time.Millisecond
	}
	return n
}

// start runs n until the returned stop is called; stop returns Run's error.
func start(t *testing.T, n *Notifier) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	select {
	case <-n.ready:
	case err := <-done:
		cancel()
		t.Fatalf("Run returned before subscribing: %v", err)
	case <-time.After(guard):
		t.Fatal("Run did not subscribe")
	}
	var stopped bool
	var err error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case err = <-done:
			case <-time.After(guard):
				t.Fatal("Run did not return after its context ended")
			}
		}
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// decodeJSON decodes a json-format body.
func decodeJSON(t *testing.T, b []byte) jsonBody {
	t.Helper()
	var out jsonBody
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out
}

// eventsOf returns the timeline's events of kind.
func eventsOf(tl *firedrill.Timeline, kind firedrill.EventKind) []firedrill.Event {
	var out []firedrill.Event
	for _, e := range tl.Events() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}
