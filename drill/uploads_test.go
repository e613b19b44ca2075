package drill

import (
	"github.com/firedrill/firedrill/probe"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

// Without uploads_per_second the drill has no upload stream and no
// read-back of uploads; with it, the stream runs beside the others.
func TestUploadsWiring(t *testing.T) {
	tl, ledger := firedrill.NewTimeline(), &firedrill.Ledger{}
	wl := scenarios.Workload{WritesPerSecond: 50, Timeout: scenarios.Duration{Duration: time.Second}}
	none := newUploads(wl, "r", "http://127.0.0.1:1", &probe.Redial{}, tl, ledger)
	var w firedrill.Workload = nopWorkload{}
	if none != nil || none.beside(w) != w || sentKnown(none.sent()) || none.rate(wl) != "" || none.readBack(t.Context(), io.Discard) != nil {
		t.Errorf("a drill without uploads has an upload stream")
	}
	wl.UploadsPerSecond = 5
	up := newUploads(wl, "r", "http://127.0.0.1:1", &probe.Redial{}, tl, ledger)
	if up == nil || up.beside(w) == w || up.rate(wl) != ", 5 uploads/s" ||
		!sentKnown(up.sent()) {
		t.Errorf("a drill with uploads: %+v %q", up, up.rate(wl))
	}
}

// The read-back hands the scorer the app's listing, or why there is none.
func TestUploadsReadBack(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `[{"id":"r-upload-00000000","size":3,"sha256":"abc"}]`)
	}))
	defer srv.Close()
	wl := scenarios.Workload{UploadsPerSecond: 5, Timeout: scenarios.Duration{Duration: time.Second}}
	up := newUploads(wl, "r", srv.URL, &probe.Redial{}, firedrill.NewTimeline(), &firedrill.Ledger{})
	back := up.readBack(t.Context(), io.Discard)
	if back == nil || back.Err != nil || back.SHA256["r-upload-00000000"] != "abc" {
		t.Errorf("read-back %+v, want the listing", back)
	}
	srv.Close()
	if back := up.readBack(t.Context(), io.Discard); back == nil || back.Err == nil || back.SHA256 != nil {
		t.Errorf("read-back of a closed app %+v, want its error", back)
	}
}
