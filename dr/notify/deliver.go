package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Retry timing: exponential backoff from retryBase, doubling up to
// retryCap, each wait drawn in [d/2, d) so that receivers recovering from
// an outage are not hit by every sender at once.
const (
	defaultRetryBase = 100 * time.Millisecond
	defaultRetryCap  = 5 * time.Second
)

// maxResponseDrain is how much of a response body is read before closing
// it, so the connection can be reused; receivers answer with a few bytes.
const maxResponseDrain = 64 << 10

// deliverer POSTs bodies to one webhook, retrying within a deadline
// (docs/architecture.md, "Notifications").
type deliverer struct {
	client     *http.Client
	url        string
	routingKey string // only to keep it out of errors
	retryBase  time.Duration
	retryCap   time.Duration
}

// permanentError is a failure that another attempt would repeat: a 4xx
// other than 408 and 429, a redirect, a request that cannot be built.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// deliver POSTs body until the receiver answers 2xx, ctx ends, or a
// failure is not worth another attempt. ctx's deadline bounds the whole
// delivery, retries and waits included. It returns how many requests were
// made; its error never quotes the URL's secret parts or the routing key.
func (d *deliverer) deliver(ctx context.Context, body []byte) (attempts int, err error) {
	for {
		attempts++
		wait, err := d.attempt(ctx, body)
		if err == nil {
			return attempts, nil
		}
		err = redactError(err, d.url, d.routingKey)
		var perm *permanentError
		if errors.As(err, &perm) {
			return attempts, err
		}
		if ctx.Err() != nil {
			return attempts, fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
		if wait < 0 {
			wait = d.backoff(attempts)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return attempts, fmt.Errorf("%w; no time left for another attempt within the timeout", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return attempts, fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
	}
}

// attempt makes one request. A retryable failure comes with the wait the
// receiver asked for (Retry-After), or -1 for the backoff's.
func (d *deliverer) attempt(ctx context.Context, body []byte) (wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return 0, &permanentError{fmt.Errorf("build the request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "firedrill")
	resp, err := d.client.Do(req)
	if err != nil {
		// A transport error (the receiver down, a reset, a timeout): a
		// *url.Error, which names the method and the URL already.
		return -1, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseDrain))
	_ = resp.Body.Close()
	// The response body is not quoted: a receiver may echo the request.
	status := fmt.Errorf("receiver answered %s", resp.Status)
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return 0, nil
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		if after, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if deadline, has := ctx.Deadline(); has && time.Until(deadline) < after {
				return 0, &permanentError{fmt.Errorf("%w, retry after %s: past the timeout", status, after.Round(time.Millisecond))}
			}
			return after, status
		}
		return -1, status
	default:
		return 0, &permanentError{status}
	}
}

// backoff is the wait after the given number of failed attempts.
func (d *deliverer) backoff(failed int) time.Duration {
	w := d.retryBase
	for i := 1; i < failed && w < d.retryCap; i++ {
		w *= 2
	}
	w = min(w, d.retryCap)
	if w <= 1 {
		return w
	}
	return w/2 + rand.N(w/2)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
