package postgres

import (
	"testing"
	"time"
)

func TestArchiveExposure(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 10, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	for _, tc := range []struct {
		name    string
		s       ArchiveStatus
		pending bool
		exp     time.Duration
		known   bool
		failing bool
	}{
		{"idle, all archived", ArchiveStatus{LastArchivedTime: at(30 * time.Second)}, false, 0, true, false},
		{"writes in the current segment", ArchiveStatus{LastArchivedTime: at(800 * time.Millisecond), CurrentSegmentBytes: 4096}, true, 800 * time.Millisecond, true, false},
		{"segments queued behind failures", ArchiveStatus{LastArchivedTime: at(20 * time.Second), LastFailedTime: at(time.Second), Ready: 3}, true, 20 * time.Second, true, true},
		{"never archived, writes pending", ArchiveStatus{CurrentSegmentBytes: 1, LastFailedTime: at(time.Second)}, true, 0, false, true},
		{"failed once, archived since", ArchiveStatus{LastArchivedTime: at(time.Second), LastFailedTime: at(5 * time.Second)}, false, 0, true, false},
	} {
		tc.s.Now = now
		exp, known := tc.s.Exposure()
		if tc.s.Pending() != tc.pending || exp != tc.exp || known != tc.known || tc.s.Failing() != tc.failing {
			t.Errorf("%s: pending %v exposure %v known %v failing %v; want %v %v %v %v", tc.name,
				tc.s.Pending(), exp, known, tc.s.Failing(), tc.pending, tc.exp, tc.known, tc.failing)
		}
	}
}
