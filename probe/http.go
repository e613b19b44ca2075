package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/firedrill/firedrill"
)

// HTTPWriter writes through the sample app: PUT {baseURL}/records/{id}.
// It is safe for concurrent use.
type HTTPWriter struct {
	base string
	*boundedClient
}

// boundedClient is the HTTP client of one stream (writes, or reads), with
// its own connections and its own bound on the ops in flight.
type boundedClient struct {
	client   *http.Client
	maxConns int
	dialed   atomic.Int64
	// slots bounds the ops in flight, hence the connections in use, to
	// maxConns. The bound is ours, not the Transport's MaxConnsPerHost:
	// after a timeout storm at 1000 writes/s that one wedged (1001 writes
	// parked in getConn beside 261 idle connections, for the rest of the
	// drill), and the drill measured the harness instead of the system.
	slots chan struct{}
}

// Connection bound. An op holds a connection for at most its timeout, so
// rate × timeout connections are the most an open-loop probe can ever use
// at once; with that many, no op ever waits for one. At high rates that is
// too many to keep (1000 writes/s with a 1s timeout: 1000 sockets in the
// harness and as many in the app, each with its buffers and goroutines), so
// the bound is capped: in a healthy drill an op holds its connection for a
// few milliseconds (a handful are busy at 1000/s), and maxConnsCap leaves
// room for answers 100 times slower than that before an op waits. An op
// that waits is still sent on schedule: its Sent is stamped before it asks
// for a connection and its wait counts in its latency and its timeout; one
// that times out still waiting was never written, so it is failed
// (classifyTransportError). minConns keeps a probe at a tiny rate from
// queueing behind one slow answer. Every connection the bound allows is
// also kept idle (MaxIdleConnsPerHost): closing and re-dialing them between
// bursts is churn the bound is there to stop. The numbers behind these
// choices: docs/benchmarks.md, "Probe and app at 200, 1000, 2000 writes/s";
// how a wait shows in the measurement: docs/measurement.md, "Schedule lag".
const (
	minConns    = 8
	maxConnsCap = 256
)

// MaxConns is the connection bound of an HTTPWriter for a probe sending
// rate writes/s with ops that last at most timeout: rate × timeout rounded
// up, within [8, 256]. Without a usable rate or timeout it is the cap.
func MaxConns(rate float64, timeout time.Duration) int {
	n := rate * timeout.Seconds()
	if !(n > 0) || math.IsInf(n, 0) || n > maxConnsCap {
		return maxConnsCap
	}
	return max(minConns, int(math.Ceil(n)))
}

// Transport timings: idle connections are closed by the client (after 30s)
// well before the sample app's server drops them (120s), so a request is
// never sent on a connection the server is closing.
const (
	idleConnTimeout = 30 * time.Second
	maxDialTimeout  = 2 * time.Second
	maxBodyBytes    = 64 << 10
)

// HTTPOption configures an HTTPWriter.
type HTTPOption func(*httpOptions)

type httpOptions struct {
	rate     float64
	maxConns int
	redial   *Redial
}

// Redial is where a stream's new connections go when the app it writes
// through was replaced by a fresh container at another address (a
// complete failure's rebuild: docs/architecture.md, "Replacing a lost
// node"): the URLs keep their host, the dialer takes the address set
// here. Empty: the URL's own. Safe for concurrent use; one Redial serves
// every stream of a drill.
type Redial struct{ addr atomic.Pointer[string] }

// Set sends new connections to addr (host:port).
func (r *Redial) Set(addr string) { r.addr.Store(&addr) }

// Addr is where new connections go, "" for the URL's own address.
func (r *Redial) Addr() string {
	if r == nil {
		return ""
	}
	if p := r.addr.Load(); p != nil {
		return *p
	}
	return ""
}

// WithRedial makes the client dial r's address when it has one.
func WithRedial(r *Redial) HTTPOption {
	return func(o *httpOptions) { o.redial = r }
}

// WithRate sizes the client's connection bound for a stream sending rate
// ops/s: MaxConns(rate, timeout). Without it (or WithMaxConns) the bound
// is the cap.
func WithRate(rate float64) HTTPOption {
	return func(o *httpOptions) { o.rate = rate }
}

// WithMaxConns sets the connection bound explicitly (n > 0).
func WithMaxConns(n int) HTTPOption {
	return func(o *httpOptions) {
		if n > 0 {
			o.maxConns = n
		}
	}
}

// NewHTTPWriter returns a Writer for the sample app at baseURL (e.g.
// "http://172.18.0.5:8080", the app's address on the run's network).
// timeout bounds one request end to end, including the wait for a
// connection; the probe's per-op context bounds it too.
func NewHTTPWriter(baseURL string, timeout time.Duration, opts ...HTTPOption) *HTTPWriter {
	return &HTTPWriter{base: strings.TrimRight(baseURL, "/"), boundedClient: newBoundedClient(timeout, opts)}
}

// newBoundedClient is the client of one stream whose ops last at most
// timeout.
func newBoundedClient(timeout time.Duration, opts []HTTPOption) *boundedClient {
	o := httpOptions{rate: math.NaN()}
	for _, opt := range opts {
		opt(&o)
	}
	maxConns := o.maxConns
	if maxConns == 0 {
		maxConns = MaxConns(o.rate, timeout)
	}
	dialTimeout := maxDialTimeout
	if timeout > 0 && timeout < dialTimeout {
		dialTimeout = timeout
	}
	h := &boundedClient{maxConns: maxConns, slots: make(chan struct{}, maxConns)}
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 15 * time.Second}
	tr := &http.Transport{
		Proxy: nil, // the harness talks to its own containers only, never via a proxy
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to := o.redial.Addr(); to != "" {
				addr = to
			}
			c, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				h.dialed.Add(1)
			}
			return c, err
		},
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns,
		IdleConnTimeout:     idleConnTimeout,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	h.client = &http.Client{
		Transport: tr,
		Timeout:   timeout,
		// A redirect would send the op a second time.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return h
}

// MaxConns is the client's connection bound.
func (h *boundedClient) MaxConns() int { return h.maxConns }

// Dialed is the number of connections the client has opened so far: with
// keep-alive it stays near the number busy at once, and it grows when
// connections are lost (an op that times out closes its connection).
func (h *boundedClient) Dialed() int64 { return h.dialed.Load() }

// returnsByDeadline: an op returns by its context's deadline (the request
// carries it, and the client's Timeout bounds it too).
func (h *boundedClient) returnsByDeadline() {}

// CloseIdleConnections closes the client's idle keep-alive connections.
func (h *boundedClient) CloseIdleConnections() { h.client.CloseIdleConnections() }

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
	var reply appReply
	status, decodeErr, outcome, err := h.exchange(ctx, http.MethodPut, h.base+"/records/"+url.PathEscape(id), &reply)
	if status == 0 {
		return "", outcome, fmt.Errorf("PUT %s: %w", id, err)
	}
	return classifyResponse(status, reply, decodeErr)
}

// exchange sends one request, never retried (net/http does not replay a
// PUT or a GET whose body it has sent), holding one of the client's slots,
// and decodes the JSON answer into reply. It returns the answer's status
// and the error reading or decoding its body; or, when no answer came,
// status 0 and the outcome of the failure: failed when the request never
// reached the socket (no slot free within the deadline, a dial error; see
// classifyTransportError), indeterminate after.
func (h *boundedClient) exchange(ctx context.Context, method, u string, reply any) (status int, decodeErr error, outcome firedrill.Outcome, err error) {
	return h.exchangeBody(ctx, method, u, http.NoBody, reply)
}

// exchangeBody is exchange with the request's body.
func (h *boundedClient) exchangeBody(ctx context.Context, method, u string, body io.ReadCloser, reply any) (status int, decodeErr error, outcome firedrill.Outcome, err error) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), method, u, http.NoBody)
	if err != nil {
		return 0, nil, firedrill.OutcomeFailed, fmt.Errorf("build request: %w", err)
	}
	req.Body = body
	// A slot first: one op in flight per connection, at most maxConns.
	// An op that times out waiting was never sent: failed.
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return 0, nil, firedrill.OutcomeFailed, fmt.Errorf("no connection free within the deadline: %w", ctx.Err())
	}
	defer func() { <-h.slots }()
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, classifyTransportError(err, wrote.Load()), err
	}
	defer resp.Body.Close()
	bp := bodyBufs.Get().(*bytes.Buffer)
	defer bodyBufs.Put(bp)
	bp.Reset()
	_, decodeErr = bp.ReadFrom(io.LimitReader(resp.Body, maxBodyBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyBytes)) // let the connection be reused
	if decodeErr == nil {
		decodeErr = json.Unmarshal(bp.Bytes(), reply)
	}
	return resp.StatusCode, decodeErr, "", nil
}

// bodyBufs holds the buffers answers are read into, between writes: the
// probe reads one per op, 1000+ a second.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

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
