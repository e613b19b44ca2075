package probe

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
)

// HTTPReader reads through the sample app: GET {baseURL}/reads/{key}. It
// has its own connections and its own bound on the reads in flight
// (WithRate sizes it for the read rate), so reads never wait for a
// connection of the writes, nor writes for one of the reads. It is safe
// for concurrent use.
type HTTPReader struct {
	base string
	*boundedClient
}

// NewHTTPReader returns a Reader for the sample app at baseURL; timeout
// bounds one read end to end, as NewHTTPWriter's does a write.
func NewHTTPReader(baseURL string, timeout time.Duration, opts ...HTTPOption) *HTTPReader {
	return &HTTPReader{base: strings.TrimRight(baseURL, "/"), boundedClient: newBoundedClient(timeout, opts)}
}

// readReply is the union of the sample app's answers to a read.
type readReply struct {
	Found    *bool             `json:"found"`
	ServedBy string            `json:"served_by"`
	Standby  *bool             `json:"standby"`
	Outcome  firedrill.Outcome `json:"outcome"`
	Error    string            `json:"error"`
}

// unreplayable is the body of every read: empty, and one that net/http
// cannot rewind. net/http resends a replayable request (a GET without a
// body) on a new connection when the reused one broke before the answer
// came; that resend would be a retry the probe must never make (it would
// hide an app that dropped the read), and with this body the GET is not
// replayable. Nothing is sent: net/http finds it empty before writing the
// request.
type unreplayable struct{}

func (unreplayable) Read([]byte) (int, error) { return 0, io.EOF }
func (unreplayable) Close() error             { return nil }

// Read sends one GET, never retried, and classifies what came back:
//
//	200 {"found": true, "served_by", "standby"}     ok, served by that node
//	404 {"found": false, "served_by", "standby"}    stale: that node answered
//	                                                that the row is not there
//	503 {"outcome": failed|indeterminate}            that outcome
//	other 4xx (a 404 that names no server among them)  failed
//	other 5xx, 503 without an outcome, 1xx/3xx      indeterminate
//	transport errors                                as for a write (Write)
//
// A 200 whose body cannot be read is ok (the app found the row) with no
// server named.
func (h *HTTPReader) Read(ctx context.Context, key string) (ReadAnswer, firedrill.Outcome, error) {
	var reply readReply
	status, decodeErr, outcome, err := h.exchangeBody(ctx, http.MethodGet, h.base+"/reads/"+url.PathEscape(key), unreplayable{}, &reply)
	if status == 0 {
		return ReadAnswer{}, outcome, fmt.Errorf("GET %s: %w", key, err)
	}
	return classifyReadResponse(status, reply, decodeErr)
}

// classifyReadResponse maps the app's answer to a read to an outcome.
func classifyReadResponse(status int, reply readReply, decodeErr error) (ReadAnswer, firedrill.Outcome, error) {
	answer := ReadAnswer{Node: reply.ServedBy}
	if reply.Standby != nil {
		answer.Role = firedrill.ServedByPrimary
		if *reply.Standby {
			answer.Role = firedrill.ServedByReplica
		}
	}
	switch {
	case status == http.StatusOK:
		if decodeErr != nil {
			return ReadAnswer{}, firedrill.OutcomeOK, fmt.Errorf("status 200, unreadable body: %w", decodeErr)
		}
		return answer, firedrill.OutcomeOK, nil
	case status == http.StatusNotFound && decodeErr == nil && reply.Found != nil && !*reply.Found && reply.ServedBy != "":
		return answer, firedrill.OutcomeStale, fmt.Errorf("not found on %s", reply.ServedBy)
	}
	// Any other answer: the write stream's rules.
	_, outcome, err := classifyResponse(status, appReply{Outcome: reply.Outcome, Error: reply.Error}, decodeErr)
	if outcome == firedrill.OutcomeOK {
		// 2xx other than 200 is no answer the app gives to a read.
		return ReadAnswer{}, firedrill.OutcomeIndeterminate, fmt.Errorf("status %d: not an answer to a read", status)
	}
	return ReadAnswer{}, outcome, err
}
