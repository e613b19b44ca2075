package notify

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

// deliverOnce sends testNote to one webhook at url and returns the error
// and the timeline the outcome was recorded on.
func deliverOnce(t *testing.T, url string, timeout time.Duration) (error, *firedrill.Timeline) {
	t.Helper()
	tl := firedrill.NewTimeline()
	n := newTestNotifier([]scenarios.Webhook{webhook(url, timeout)}, WithTimeline(tl))
	return n.notify(context.Background(), n.hooks[0], testNote), tl
}

func TestDeliveredWithContentType(t *testing.T) {
	rc := newReceiver(t, nil)
	err, tl := deliverOnce(t, rc.srv.URL+"/hook", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ct := rc.next(t).header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	sent := eventsOf(tl, firedrill.EventNotifySent)
	if len(sent) != 1 || sent[0].Target != rc.srv.URL || sent[0].Injection != "f0" ||
		!strings.Contains(sent[0].Detail, "restore") || !strings.Contains(sent[0].Detail, "1 attempt") {
		t.Errorf("notify.sent events = %+v", sent)
	}
}

func TestRetriesServerErrorsThenDelivers(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	err, tl := deliverOnce(t, rc.srv.URL, 5*time.Second)
	if err != nil {
		t.Fatalf("delivery failed: %v", err)
	}
	if got := rc.count.Load(); got != 3 {
		t.Errorf("receiver got %d requests, want 3 (two 500s, then 200)", got)
	}
	if sent := eventsOf(tl, firedrill.EventNotifySent); len(sent) != 1 || !strings.Contains(sent[0].Detail, "3 attempts") {
		t.Errorf("notify.sent events = %+v", sent)
	}
}

func TestRetriesRequestTimeoutAndTooManyRequests(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		switch n {
		case 1:
			w.WriteHeader(http.StatusRequestTimeout)
		case 2:
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	if err, _ := deliverOnce(t, rc.srv.URL, 5*time.Second); err != nil {
		t.Fatalf("delivery failed: %v", err)
	}
	if got := rc.count.Load(); got != 3 {
		t.Errorf("receiver got %d requests, want 3", got)
	}
}

func TestNoRetryOnClientError(t *testing.T) {
	for _, code := range []int{http.StatusBadRequest, http.StatusNotFound, http.StatusFound} {
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			if code == http.StatusFound {
				// A redirect is not followed: the POST would be replayed
				// elsewhere, or turned into a GET.
				http.Redirect(w, r, "/elsewhere", code)
				return
			}
			w.WriteHeader(code)
		})
		err, tl := deliverOnce(t, rc.srv.URL, 5*time.Second)
		if err == nil || !strings.Contains(err.Error(), http.StatusText(code)) {
			t.Errorf("%d: err = %v, want the status in it", code, err)
		}
		if got := rc.count.Load(); got != 1 {
			t.Errorf("%d: receiver got %d requests, want 1", code, got)
		}
		if failed := eventsOf(tl, firedrill.EventNotifyFailed); len(failed) != 1 {
			t.Errorf("%d: notify.failed events = %+v", code, failed)
		}
	}
}

func TestDeliveryBoundedByTimeout(t *testing.T) {
	for name, answer := range map[string]func(http.ResponseWriter, *http.Request, int){
		"always 500": status(http.StatusInternalServerError),
		"hangs":      hang,
	} {
		t.Run(name, func(t *testing.T) {
			rc := newReceiver(t, answer)
			done := make(chan struct{})
			var err error
			var tl *firedrill.Timeline
			go func() { defer close(done); err, tl = deliverOnce(t, rc.srv.URL, 150*time.Millisecond) }()
			select {
			case <-done:
			case <-time.After(guard):
				t.Fatal("the delivery did not return after its timeout")
			}
			if err == nil {
				t.Fatal("a receiver that never accepts: delivered")
			}
			failed := eventsOf(tl, firedrill.EventNotifyFailed)
			if len(failed) != 1 || !strings.Contains(failed[0].Detail, "not delivered") {
				t.Errorf("notify.failed events = %+v", failed)
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	tl := firedrill.NewTimeline()
	n := New([]scenarios.Webhook{webhook(rc.srv.URL, 2*time.Second)}, WithTimeline(tl))
	// A backoff far past the timeout: only the receiver's Retry-After
	// makes the second attempt possible.
	n.hooks[0].send.retryBase, n.hooks[0].send.retryCap = time.Hour, time.Hour
	if err := n.notify(context.Background(), n.hooks[0], testNote); err != nil {
		t.Fatalf("delivery failed: %v", err)
	}
	if got := rc.count.Load(); got != 2 {
		t.Errorf("receiver got %d requests, want 2", got)
	}
}

func TestRetryAfterPastTheTimeoutGivesUp(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	err, _ := deliverOnce(t, rc.srv.URL, time.Second)
	if err == nil || !strings.Contains(err.Error(), "retry after 2m0s") {
		t.Errorf("err = %v, want it to say the receiver's wait is past the timeout", err)
	}
	if got := rc.count.Load(); got != 1 {
		t.Errorf("receiver got %d requests, want 1", got)
	}
}

func TestDeliveryEndsWithItsContext(t *testing.T) {
	rc := newReceiver(t, hang)
	n := newTestNotifier([]scenarios.Webhook{webhook(rc.srv.URL, time.Minute)})
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() { rc.next(t); cancel(errors.New("drill over")) }()
	err := n.notify(ctx, n.hooks[0], testNote)
	if err == nil || !strings.Contains(err.Error(), "drill over") {
		t.Errorf("err = %v, want the context's cause", err)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"3":                             3 * time.Second,
		"0":                             0,
		"Sun, 01 Mar 2026 12:00:10 GMT": 10 * time.Second,
		"Sun, 01 Mar 2026 11:00:00 GMT": 0,
	} {
		got, ok := retryAfter(v, now)
		if !ok || got != want {
			t.Errorf("retryAfter(%q) = %s, %v; want %s", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon"} {
		if _, ok := retryAfter(v, now); ok {
			t.Errorf("retryAfter(%q) accepted", v)
		}
	}
}

func TestBackoffGrowsWithinCap(t *testing.T) {
	d := &deliverer{retryBase: 100 * time.Millisecond, retryCap: time.Second}
	for failed, max := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 10: time.Second} {
		for range 20 {
			if w := d.backoff(failed); w < max/2 || w >= max {
				t.Errorf("backoff(%d) = %s, want in [%s, %s)", failed, w, max/2, max)
			}
		}
	}
}
