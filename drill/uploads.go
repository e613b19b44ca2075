package drill

import (
	"context"
	"fmt"
	"io"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/probe"
	"github.com/firedrill/firedrill/reports/score"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// uploads is the upload workload of a drill whose scenario asks for it
// (workload.uploads_per_second > 0): an upload stream beside the write
// probe, in the same ledger, and the read-back of the app's uploads after
// the drill (docs/measurement.md, "Uploads"). A nil *uploads is a drill
// without uploads; every method is safe on it.
type uploads struct {
	appBase string
	redial  *probe.Redial
	stream  *probe.UploadStream
}

// newUploads builds the upload stream through the app at appBase, or
// returns nil when the scenario asks for no uploads.
func newUploads(wl scenarios.Workload, runID, appBase string, redial *probe.Redial, tl *firedrill.Timeline, ledger *firedrill.Ledger) *uploads {
	if wl.UploadsPerSecond <= 0 {
		return nil
	}
	uploader := probe.NewHTTPUploader(appBase, wl.Timeout.Duration, probe.WithRate(wl.UploadsPerSecond), probe.WithRedial(redial))
	cfg := probe.UploadConfig{Rate: wl.UploadsPerSecond, Timeout: wl.Timeout.Duration, RunID: runID, Node: topology.NodeApp}
	return &uploads{appBase: appBase, redial: redial, stream: probe.NewUploadStream(cfg, uploader, tl, ledger)}
}

// beside runs the upload stream beside the other workloads: one workload,
// stopped at drill.end as one.
func (u *uploads) beside(others firedrill.Workload) firedrill.Workload {
	if u == nil {
		return others
	}
	return probe.Together(others, u.stream)
}

// sent is how many uploads the stream has sent, for the live progress;
// not known without uploads.
func (u *uploads) sent() (int, bool) {
	if u == nil {
		return 0, false
	}
	sent, _, _, _ := u.stream.Stats()
	return sent, true
}

// rate is the uploads' part of the "drill running" line.
func (u *uploads) rate(wl scenarios.Workload) string {
	if u == nil {
		return ""
	}
	return fmt.Sprintf(", %g uploads/s", wl.UploadsPerSecond)
}

// readBack lists the app's uploads after the drill, for the scorer, and
// says on progress what it found; nil without uploads. A failure is
// handed to the scorer, which makes the uploads inconclusive.
func (u *uploads) readBack(ctx context.Context, progress io.Writer) *score.UploadsReadBack {
	if u == nil {
		return nil
	}
	sums, err := probe.ListUploads(ctx, appBaseNow(u.appBase, u.redial))
	if err != nil {
		fmt.Fprintf(progress, "  read-back of uploads failed: %v\n", err)
		return &score.UploadsReadBack{Err: err}
	}
	fmt.Fprintf(progress, "  read back %d uploads from the app\n", len(sums))
	return &score.UploadsReadBack{SHA256: sums}
}
