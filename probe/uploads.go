package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/firedrill/firedrill"
)

// Uploader performs one upload of body as id and reports what the client
// learned. The HTTP implementation talks to the sample app; tests use
// fakes.
//
// ctx carries the op's deadline. Upload must not retry. The outcome is ok
// (the app stored the file durably), failed (a definite error: nothing
// was stored) or indeterminate (no answer in time, or the connection broke
// after sending: it may be stored).
type Uploader interface {
	Upload(ctx context.Context, id string, body []byte) (firedrill.Outcome, error)
}

// UploadConfig configures an UploadStream.
type UploadConfig struct {
	Rate    float64       // uploads per second, > 0
	Timeout time.Duration // per upload; an upload without an answer by then is indeterminate
	RunID   string        // prefix of every upload's id: RunID-upload-<seq>
	// Node is the node that stores the uploads (the app): the Node of every
	// acknowledged upload in the ledger, the node a lost upload is charged
	// by (docs/measurement.md, "Charging").
	Node string
}

// UploadOpKind is the Kind of the ops an UploadStream records.
const UploadOpKind = firedrill.OpKindUpload

// UploadOpID is the id of upload seq of run runID: runID-upload-<seq,
// padded to 8 digits>, never the id of a write or a read of the run.
func UploadOpID(runID string, seq int64) string { return OpID(runID+"-upload", seq) }

// UploadStream is an open-loop upload workload beside the write Probe
// (docs/measurement.md, "Uploads"): uploads are due at start + i/rate
// whether or not earlier ones finished, never retried, each under its own
// timeout, and recorded in the ledger with Kind "upload". Each upload's
// body is firedrill.UploadContent of its id, so the read-back checks it by
// sha256. Create it with NewUploadStream, start it with Run; Stats may be
// called concurrently.
type UploadStream struct {
	cfg    UploadConfig
	u      Uploader
	direct bool // u returns by its context's deadline
	tl     *firedrill.Timeline
	ledger *firedrill.Ledger

	sent, ok, failed, indeterminate atomic.Int64
	unsent                          atomic.Int64

	stall func(seq int64) // tests only, as Probe.stall
}

// NewUploadStream returns an UploadStream that uploads through u, stamps
// uploads on tl and records them in ledger. The config is checked by Run.
func NewUploadStream(cfg UploadConfig, u Uploader, tl *firedrill.Timeline, ledger *firedrill.Ledger) *UploadStream {
	_, direct := u.(interface{ returnsByDeadline() })
	return &UploadStream{cfg: cfg, u: u, direct: direct, tl: tl, ledger: ledger}
}

func (c UploadConfig) validate() error {
	return errors.Join(streamConfigErrors(c.Rate, c.Timeout, c.RunID, "uploads")...)
}

// Run sends uploads at a constant arrival rate from now until ctx is done,
// with the write Probe's discipline (Probe.Run): due times, a late
// scheduler catching up at once, Sent − Due as the schedule lag, nothing
// sent once ctx is done, and Run returning once every upload sent has
// been recorded. The error is non-nil only for an invalid config.
func (s *UploadStream) Run(ctx context.Context) error {
	if err := s.cfg.validate(); err != nil {
		return fmt.Errorf("upload stream: %w", err)
	}
	openLoop{rate: s.cfg.Rate, tl: s.tl, unsent: &s.unsent, stall: s.stall}.run(ctx, s.do)
	return nil
}

// do performs upload seq, due at offset due on the Timeline, and records
// it.
func (s *UploadStream) do(run, base context.Context, seq int64, due time.Duration) {
	id := UploadOpID(s.cfg.RunID, seq)
	// The body is made before Sent is stamped: its cost is the harness's,
	// not the upload's latency.
	body := firedrill.UploadContent(id)
	op := firedrill.Op{ID: id, Seq: seq, Kind: UploadOpKind, Due: due, Sent: s.tl.Now()}
	// Checked after Sent is stamped, as Probe.do does: an upload sent here
	// was sent before drill.end.
	if run.Err() != nil {
		s.unsent.Add(1)
		return
	}
	s.sent.Add(1)
	ctx, cancel := context.WithTimeout(base, s.cfg.Timeout)
	defer cancel()

	a := within(ctx, s.cfg.Timeout, s.direct, func(ctx context.Context) (struct{}, firedrill.Outcome, error) {
		outcome, err := s.u.Upload(ctx, id, body)
		return struct{}{}, outcome, err
	})
	op.Done = s.tl.Now()
	outcome, err := normalize(a.outcome, a.err, "uploader", firedrill.OutcomeOK, firedrill.OutcomeFailed, firedrill.OutcomeIndeterminate)
	op.Outcome = outcome
	if outcome == firedrill.OutcomeOK {
		op.Node = s.cfg.Node
	}
	if err != nil {
		op.Error = err.Error()
	}
	s.ledger.Add(op)

	switch op.Outcome {
	case firedrill.OutcomeOK:
		s.ok.Add(1)
	case firedrill.OutcomeFailed:
		s.failed.Add(1)
	default:
		s.indeterminate.Add(1)
	}
}

// Stats returns live counters: uploads sent so far and, among the
// finished ones, how many ended ok, failed and indeterminate.
func (s *UploadStream) Stats() (sent, ok, failed, indeterminate int) {
	return int(s.sent.Load()), int(s.ok.Load()), int(s.failed.Load()), int(s.indeterminate.Load())
}

// Unsent is the number of uploads that fell due before the stream ended
// but were not sent because it had ended by then (final once Run
// returned).
func (s *UploadStream) Unsent() int { return int(s.unsent.Load()) }

// HTTPUploader uploads through the sample app: PUT {baseURL}/uploads/{id}
// with the body. It has its own connections and its own bound on the
// uploads in flight (WithRate sizes it), as HTTPReader does, so uploads
// never wait for a connection of the writes or the reads. It is safe for
// concurrent use.
type HTTPUploader struct {
	base string
	*boundedClient
}

// NewHTTPUploader returns an Uploader for the sample app at baseURL;
// timeout bounds one upload end to end, as NewHTTPWriter's does a write.
func NewHTTPUploader(baseURL string, timeout time.Duration, opts ...HTTPOption) *HTTPUploader {
	return &HTTPUploader{base: strings.TrimRight(baseURL, "/"), boundedClient: newBoundedClient(timeout, opts)}
}

// Upload sends one PUT, never retried (net/http does not replay a PUT,
// and this body cannot be rewound), and classifies what came back as a
// write's answer is (Write): 201 (stored) and 200 (the same content was
// already stored) are ok; 409 (other content under the id) and 413 are
// failed; 503 carries its outcome.
func (h *HTTPUploader) Upload(ctx context.Context, id string, body []byte) (firedrill.Outcome, error) {
	var reply appReply
	status, decodeErr, outcome, err := h.exchangeBody(ctx, http.MethodPut, h.base+"/uploads/"+url.PathEscape(id),
		io.NopCloser(bytes.NewReader(body)), &reply)
	if status == 0 {
		return outcome, fmt.Errorf("PUT upload %s: %w", id, err)
	}
	_, outcome, err = classifyResponse(status, reply, decodeErr)
	return outcome, err
}

var _ Uploader = (*HTTPUploader)(nil)

// listTimeout bounds the read-back of the uploads: a listing of what a
// drill uploads (100/s at most) takes well under a second; a minute is
// the writes' read-back bound too.
const listTimeout = time.Minute

// ListUploads is the read-back of the uploads: GET {baseURL}/uploads,
// the app's listing of every upload in its directory as it is now, as
// the hex sha256 of each by id (docs/measurement.md, "Uploads"). Any
// answer but a whole listing is an error, never a shorter one: a status
// other than 200, a body cut short, an entry without an id or a sha256.
func ListUploads(ctx context.Context, baseURL string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	u := strings.TrimRight(baseURL, "/") + "/uploads"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("list uploads: %w", err)
	}
	// Its own client, no proxy: the harness talks to its containers only.
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("list uploads: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		text, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("list uploads: status %d: %s", resp.StatusCode, strings.TrimSpace(string(text)))
	}
	return decodeUploadList(resp.Body)
}

// uploadEntry is one entry of the app's listing.
type uploadEntry struct {
	ID     string `json:"id"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// decodeUploadList reads the JSON array of the listing, entry by entry.
func decodeUploadList(r io.Reader) (map[string]string, error) {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, fmt.Errorf("list uploads: not a JSON array (%v)", err)
	}
	out := map[string]string{}
	for dec.More() {
		var e uploadEntry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("list uploads: entry %d: %w", len(out)+1, err)
		}
		if e.ID == "" || e.SHA256 == "" {
			return nil, fmt.Errorf("list uploads: entry %d has no id or no sha256", len(out)+1)
		}
		out[e.ID] = e.SHA256
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
		return nil, fmt.Errorf("list uploads: the listing was cut short after %d entries (%v)", len(out), err)
	}
	return out, nil
}
