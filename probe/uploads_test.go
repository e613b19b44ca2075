package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill"
)

// uploaderFunc adapts a function to Uploader.
type uploaderFunc func(ctx context.Context, id string, body []byte) (firedrill.Outcome, error)

func (f uploaderFunc) Upload(ctx context.Context, id string, body []byte) (firedrill.Outcome, error) {
	return f(ctx, id, body)
}

// runUploads runs an upload stream for d of virtual time and returns its
// uploads sorted by sequence. It must be called inside a synctest bubble.
func runUploads(t *testing.T, cfg UploadConfig, u Uploader, d time.Duration) (*UploadStream, []firedrill.Op) {
	t.Helper()
	ledger := &firedrill.Ledger{}
	s := NewUploadStream(cfg, u, firedrill.NewTimeline(), ledger)
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	ops := ledger.Ops()
	slices.SortFunc(ops, func(a, b firedrill.Op) int { return int(a.Seq - b.Seq) })
	sent, ok, failed, ind := s.Stats()
	if sent != len(ops) || ok+failed+ind != sent {
		t.Fatalf("after Run: Stats = %d sent, %d+%d+%d finished; ledger has %d uploads", sent, ok, failed, ind, len(ops))
	}
	return s, ops
}

// TestUploadSchedule: upload i is due and sent at i/rate, with Kind
// upload, an id of its own, the body derived from that id, and the app's
// node when acknowledged.
func TestUploadSchedule(t *testing.T) {
	for _, rate := range []float64{5, 100} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				bodies := map[string][]byte{}
				u := uploaderFunc(func(ctx context.Context, id string, body []byte) (firedrill.Outcome, error) {
					mu.Lock()
					bodies[id] = body
					mu.Unlock()
					return firedrill.OutcomeOK, sleepCtx(ctx, 7*time.Millisecond)
				})
				_, ops := runUploads(t, UploadConfig{Rate: rate, Timeout: time.Second, RunID: "r", Node: "app"}, u, 2*time.Second)
				if want := int(2 * rate); len(ops) != want {
					t.Fatalf("%d uploads, want %d", len(ops), want)
				}
				for i, op := range ops {
					due := dueAfter(rate, int64(i))
					if op.Seq != int64(i) || op.Due != due || op.Sent != due || op.Done-op.Sent != 7*time.Millisecond {
						t.Fatalf("upload %d: seq %d due %s sent %s took %s, want due and sent at %s, 7ms", i, op.Seq, op.Due, op.Sent, op.Done-op.Sent, due)
					}
					if op.Kind != firedrill.OpKindUpload || op.ID != UploadOpID("r", int64(i)) || op.Outcome != firedrill.OutcomeOK || op.Node != "app" {
						t.Fatalf("upload %d: %+v", i, op)
					}
					if !bytes.Equal(bodies[op.ID], firedrill.UploadContent(op.ID)) {
						t.Fatalf("upload %s was not sent the body derived from its id", op.ID)
					}
				}
				if id := UploadOpID("r", 3); id != "r-upload-00000003" || id == OpID("r", 3) || id == ReadOpID("r", 3) {
					t.Errorf("UploadOpID = %q: not an id of its own", id)
				}
			})
		})
	}
}

// TestUploadsOpenLoopDuringOutage: uploads that hang for 3s during an
// outage do not slow the schedule; the ones without an answer within the
// timeout are indeterminate (they may be stored), never failed, and never
// sent again.
func TestUploadsOpenLoopDuringOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var calls atomic.Int64
		u := uploaderFunc(func(ctx context.Context, id string, body []byte) (firedrill.Outcome, error) {
			calls.Add(1)
			if at := time.Since(start); at >= 2*time.Second && at < 4*time.Second {
				err := sleepCtx(ctx, 3*time.Second)
				return firedrill.OutcomeOK, err
			}
			return firedrill.OutcomeOK, nil
		})
		_, ops := runUploads(t, UploadConfig{Rate: 10, Timeout: time.Second, RunID: "r", Node: "app"}, u, 6*time.Second)
		if len(ops) != 60 || calls.Load() != 60 {
			t.Fatalf("%d uploads recorded, %d made in 6s at 10/s, want 60 and 60", len(ops), calls.Load())
		}
		outage := 0
		for _, op := range ops {
			if op.Sent >= 2*time.Second && op.Sent < 4*time.Second {
				outage++
				if op.Outcome != firedrill.OutcomeIndeterminate || op.Done-op.Sent != time.Second || op.Node != "" {
					t.Errorf("upload %d in the outage: %s after %s node %q, want indeterminate after the 1s timeout", op.Seq, op.Outcome, op.Done-op.Sent, op.Node)
				}
			} else if op.Outcome != firedrill.OutcomeOK {
				t.Errorf("upload %d: %s", op.Seq, op.Outcome)
			}
		}
		if outage != 20 {
			t.Errorf("%d uploads sent during the 2s outage, want 20", outage)
		}
	})
}

// TestUploadOutcomes: a failed upload is failed and names no node; an
// outcome the uploader should not return is indeterminate (it may be
// stored).
func TestUploadOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		u := uploaderFunc(func(ctx context.Context, id string, body []byte) (firedrill.Outcome, error) {
			if strings.HasSuffix(id, "0") {
				return firedrill.OutcomeFailed, errors.New("refused")
			}
			return firedrill.OutcomeStale, nil
		})
		_, ops := runUploads(t, UploadConfig{Rate: 10, Timeout: time.Second, RunID: "r", Node: "app"}, u, time.Second)
		for _, op := range ops {
			want := firedrill.OutcomeIndeterminate
			if strings.HasSuffix(op.ID, "0") {
				want = firedrill.OutcomeFailed
			}
			if op.Outcome != want || op.Node != "" || op.Error == "" {
				t.Errorf("upload %s: %s node %q error %q, want %s with an error and no node", op.ID, op.Outcome, op.Node, op.Error, want)
			}
		}
	})
}

// Nothing is sent once the stream's context is done.
func TestUploadsNothingSentAfterTheEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		var calls atomic.Int64
		u := uploaderFunc(func(ctx context.Context, id string, body []byte) (firedrill.Outcome, error) {
			calls.Add(1)
			return firedrill.OutcomeOK, nil
		})
		ledger := &firedrill.Ledger{}
		if err := NewUploadStream(UploadConfig{Rate: 10, Timeout: time.Second, RunID: "r"}, u, firedrill.NewTimeline(), ledger).Run(ctx); err != nil {
			t.Fatal(err)
		}
		if calls.Load() != 0 || ledger.Len() != 0 {
			t.Errorf("%d uploads made, %d recorded after the end", calls.Load(), ledger.Len())
		}
	})
}

func TestUploadConfigRefused(t *testing.T) {
	for _, cfg := range []UploadConfig{
		{Rate: 0, Timeout: time.Second, RunID: "r"},
		{Rate: 1, Timeout: 0, RunID: "r"},
		{Rate: 1, Timeout: time.Second, RunID: "bad id"},
	} {
		err := NewUploadStream(cfg, uploaderFunc(nil), firedrill.NewTimeline(), &firedrill.Ledger{}).Run(t.Context())
		if err == nil || !strings.HasPrefix(err.Error(), "upload stream: ") {
			t.Errorf("Run with %+v = %v, want an upload stream error", cfg, err)
		}
	}
}

// TestHTTPUploaderResponses: the PUT carries the body to /uploads/{id};
// the app's answers map to outcomes as a write's do.
func TestHTTPUploaderResponses(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   firedrill.Outcome
	}{
		{http.StatusCreated, `{"id":"u","size":3,"sha256":"x"}`, firedrill.OutcomeOK},
		{http.StatusOK, `{"id":"u","size":3,"sha256":"x"}`, firedrill.OutcomeOK},
		{http.StatusConflict, `{"id":"u","error":"other content"}`, firedrill.OutcomeFailed},
		{http.StatusRequestEntityTooLarge, `{"outcome":"failed","error":"too big"}`, firedrill.OutcomeFailed},
		{http.StatusServiceUnavailable, `{"outcome":"failed","error":"uploads are off"}`, firedrill.OutcomeFailed},
		{http.StatusServiceUnavailable, `{"outcome":"indeterminate","error":"not synced"}`, firedrill.OutcomeIndeterminate},
		{http.StatusInternalServerError, `oops`, firedrill.OutcomeIndeterminate},
	} {
		t.Run(fmt.Sprint(c.status, c.want), func(t *testing.T) {
			var got []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPut || r.URL.Path != "/uploads/u-1" {
					t.Errorf("request %s %s, want PUT /uploads/u-1", r.Method, r.URL.Path)
				}
				got, _ = io.ReadAll(r.Body)
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			}))
			defer srv.Close()
			outcome, err := NewHTTPUploader(srv.URL+"/", time.Second).Upload(t.Context(), "u-1", []byte("abc"))
			if outcome != c.want || (c.want == firedrill.OutcomeOK) != (err == nil) {
				t.Errorf("Upload = %s, %v; want %s", outcome, err, c.want)
			}
			if string(got) != "abc" {
				t.Errorf("the app received %q, want the body", got)
			}
		})
	}
}

// TestHTTPUploaderResetAfterSend: the app read the upload and the
// connection broke before an answer: it may be stored (indeterminate),
// and it is not sent again, not even on the reused keep-alive connection
// where net/http resends a replayable request.
func TestHTTPUploaderResetAfterSend(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		if requests.Add(1) == 1 {
			w.WriteHeader(http.StatusCreated) // keeps the connection for the next upload
			io.WriteString(w, `{"id":"u-0"}`)
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST instead of FIN
		}
		conn.Close()
	}))
	defer srv.Close()
	hu := NewHTTPUploader(srv.URL, time.Second)
	if outcome, err := hu.Upload(t.Context(), "u-0", []byte("abc")); outcome != firedrill.OutcomeOK {
		t.Fatalf("first Upload = %s, %v", outcome, err)
	}
	outcome, err := hu.Upload(t.Context(), "u-1", []byte("abc"))
	if outcome != firedrill.OutcomeIndeterminate || err == nil {
		t.Errorf("Upload with a reset after sending = %s, %v; want indeterminate", outcome, err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("the app saw %d requests for 2 uploads: an upload was sent again", n)
	}
	if hu.Dialed() != 1 {
		t.Errorf("%d connections dialed, want 1: the second upload reused the first's", hu.Dialed())
	}
}

// TestHTTPUploaderConnectionRefused: nothing listening: nothing stored.
func TestHTTPUploaderConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	outcome, err := NewHTTPUploader(url, time.Second).Upload(t.Context(), "u-1", []byte("abc"))
	if outcome != firedrill.OutcomeFailed || err == nil {
		t.Errorf("Upload to a closed port = %s, %v; want failed", outcome, err)
	}
}

func TestListUploads(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		body   string
		want   map[string]string // nil: an error
	}{
		{"empty", 200, "[]\n", map[string]string{}},
		{"two", 200, `[{"id":"a","size":1,"sha256":"x"}` + "\n" + `,{"id":"b","size":2,"sha256":"y"}]`, map[string]string{"a": "x", "b": "y"}},
		{"cut short", 200, `[{"id":"a","size":1,"sha256":"x"},`, nil},
		{"no closing bracket", 200, `[{"id":"a","size":1,"sha256":"x"}`, nil},
		{"no sha256", 200, `[{"id":"a","size":1}]`, nil},
		{"not an array", 200, `{"id":"a"}`, nil},
		{"uploads off", 503, `{"outcome":"failed","error":"uploads are off"}`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/uploads" {
					t.Errorf("request %s %s, want GET /uploads", r.Method, r.URL.Path)
				}
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			}))
			defer srv.Close()
			got, err := ListUploads(t.Context(), srv.URL)
			switch {
			case c.want == nil && err == nil:
				t.Errorf("ListUploads = %v, want an error", got)
			case c.want != nil && (err != nil || len(got) != len(c.want)):
				t.Errorf("ListUploads = %v, %v; want %v", got, err, c.want)
			}
			for id, sum := range c.want {
				if got[id] != sum {
					t.Errorf("%s: %q, want %q", id, got[id], sum)
				}
			}
		})
	}
}

// A listing the app aborts part way (the connection closed mid-body) is
// an error, not a shorter listing.
func TestListUploadsAborted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `[{"id":"a","size":1,"sha256":"x"}`)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	defer srv.Close()
	if got, err := ListUploads(t.Context(), srv.URL); err == nil {
		t.Errorf("ListUploads = %v, want an error", got)
	}
}
