package reports

import (
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
)

func TestUploadsTerminal(t *testing.T) {
	lost := 2
	r := firedrill.Result{Uploads: &firedrill.UploadsResult{RatePerS: 5, Sent: 100, OK: 97, Failed: 2, Indeterminate: 1,
		Listed: 96, Verified: 95, Lost: &lost, LostIDs: []string{"r-upload-00000022", "r-upload-00000023"}, WrongContent: 1,
		ScheduleLag: &firedrill.ScheduleLag{P50MS: 0.2, P99MS: 1.5, MaxMS: 3}}}
	tm := &term{}
	tm.uploads(r)
	want := `uploads 100 sent at 5/s · 97 acked · 2 failed · 1 indeterminate ·
        2 lost (1 with other content) · 95 verified · 96 listed
        lost ids (2): r-upload-00000022 r-upload-00000023
        schedule lag p50 0.2ms · p99 2ms · max 3ms
`
	if got := tm.b.String(); got != want {
		t.Errorf("uploads block:\n%s\nwant:\n%s", got, want)
	}
}

// A read-back that failed: lost is not measured, and the block says why.
func TestUploadsTerminalReadBackFailed(t *testing.T) {
	r := firedrill.Result{Uploads: &firedrill.UploadsResult{Sent: 10, OK: 10, ReadBackError: "the read-back of uploads failed: connection refused"}}
	tm := &term{}
	tm.uploads(r)
	got := tm.b.String()
	if !strings.Contains(got, "lost not measured") || !strings.Contains(got, "read-back: the read-back of uploads failed: connection refused") {
		t.Errorf("uploads block:\n%s", got)
	}
}

// No uploads sent: no block.
func TestUploadsTerminalAbsent(t *testing.T) {
	for _, u := range []*firedrill.UploadsResult{nil, {RatePerS: 5}} {
		tm := &term{}
		tm.uploads(firedrill.Result{Uploads: u})
		if tm.b.Len() != 0 {
			t.Errorf("uploads %+v: block %q, want none", u, tm.b.String())
		}
	}
}
