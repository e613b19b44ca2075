package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/firedrill/firedrill"
)

// HTTPWriter writes through the sample app: PUT {baseURL}/records/{id}.
// It is safe for concurrent use.
type HTTPWriter struct {
	base   string
	client *http.Client
}

// Transport sizing: the probe may have hundreds of writes in flight during an
// outage; idle connections are closed by the client (after 30s) well before
// the sample app's server drops them (120s), so a request is never sent on a
// connection the server is closing.
const (
	maxIdleConns    = 1024
	idleConnTimeout = 30 * time.Second
	maxDialTimeout  = 2 * time.Second
	maxBodyBytes    = 64 << 10
)

// NewHTTPWriter returns a Writer for the sample app at baseURL (e.g.
// "http://127.0.0.1:32768"). timeout bounds one request end to end; the
// probe's per-op context bounds it too.
func NewHTTPWriter(baseURL string, timeout time.Duration) *HTTPWriter {
	dialTimeout := maxDialTimeout
	if timeout > 0 && timeout < dialTimeout {
		dialTimeout = timeout
	}
	tr := &http.Transport{
		Proxy:               nil, // the harness talks to its own containers only, never via a proxy
		DialContext:         (&net.Dialer{Timeout: dialTimeout, KeepAlive: 15 * time.Second}).DialContext,
		MaxIdleConns:        maxIdleConns,
		MaxIdleConnsPerHost: maxIdleConns,
		MaxConnsPerHost:     0, // never queue an op behind another for a connection
		IdleConnTimeout:     idleConnTimeout,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &HTTPWriter{
		base: strings.TrimRight(baseURL, "/"),
		client: &http.Client{
			Transport: tr,
			Timeout:   timeout,
			// A redirect would send the write a second time.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// CloseIdleConnections closes the writer's idle keep-alive connections.
func (h *HTTPWriter) CloseIdleConnections() { h.client.CloseIdleConnections() }

// appReply is the union of the sample app's write responses.
type appReply struct {
	ID      string            `json:"id"`
	Node    string            `json:"node"`
	Outcome firedrill.Outcome `json:"outcome"`
	Error   string            `json:"error"`
}

// Write sends one PUT, never retried (net/http does not replay a PUT), and
// classifies what came back:
//
//	200                               ok, node from the body
//	503 {"outcome": failed|indeterminate}  that outcome
//	other 4xx (409 duplicate, 400 bad id)  failed
//	other 5xx, 503 without an outcome, 1xx/3xx  indeterminate
//	transport error before the request was fully written (dial error,
//	  connection refused, timeout while connecting)  failed
//	transport error after it was written (timeout, reset)  indeterminate
func (h *HTTPWriter) Write(ctx context.Context, id string) (string, firedrill.Outcome, error) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	}
	u := h.base + "/records/" + url.PathEscape(id)
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodPut, u, http.NoBody)
	if err != nil {
		return "", firedrill.OutcomeFailed, fmt.Errorf("build request: %w", err)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return "", classifyTransportError(err, wrote.Load()), fmt.Errorf("PUT %s: %w", id, err)
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyBytes)) // let the connection be reused

	var reply appReply
	decodeErr := readErr
	if decodeErr == nil {
		decodeErr = json.Unmarshal(body, &reply)
	}
	return classifyResponse(resp.StatusCode, reply, decodeErr)
}

// classifyResponse maps the app's HTTP answer to an outcome. decodeErr is
// the error reading or decoding the body, if any.
func classifyResponse(status int, reply appReply, decodeErr error) (string, firedrill.Outcome, error) {
	switch {
	case status >= 200 && status < 300:
		// The app answers 2xx only after the commit: the write is
		// acknowledged even if the body was unreadable.
		if decodeErr != nil {
			return "", firedrill.OutcomeOK, fmt.Errorf("status %d, unreadable body: %w", status, decodeErr)
		}
		return reply.Node, firedrill.OutcomeOK, nil
	case status == http.StatusServiceUnavailable && decodeErr == nil &&
		(reply.Outcome == firedrill.OutcomeFailed || reply.Outcome == firedrill.OutcomeIndeterminate):
		return "", reply.Outcome, fmt.Errorf("status %d: %s", status, reply.Error)
	case status >= 400 && status < 500:
		return "", firedrill.OutcomeFailed, fmt.Errorf("status %d: %s", status, replyText(reply, decodeErr))
	default:
		return "", firedrill.OutcomeIndeterminate, fmt.Errorf("status %d: %s", status, replyText(reply, decodeErr))
	}
}

func replyText(reply appReply, decodeErr error) string {
	switch {
	case reply.Error != "":
		return reply.Error
	case decodeErr != nil:
		return "unreadable body: " + decodeErr.Error()
	default:
		return "no error text"
	}
}

// classifyTransportError decides a request that got no HTTP answer. wrote
// says whether the whole request reached the socket: if it did not, the app
// cannot have acted on it (a dial error, connection refused, a timeout while
// connecting or waiting for a connection) and the write definitely did not
// happen; once written, a timeout or a reset leaves it unknown.
func classifyTransportError(err error, wrote bool) firedrill.Outcome {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return firedrill.OutcomeFailed
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return firedrill.OutcomeFailed
	}
	if !wrote {
		return firedrill.OutcomeFailed
	}
	return firedrill.OutcomeIndeterminate
}
