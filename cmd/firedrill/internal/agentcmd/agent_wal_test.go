package agentcmd

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/dr/jobs"
)

// wal-push and wal-fetch that cannot tell the cluster's system identifier
// fail before they reach the bucket, with the exit codes Postgres reads:
// 1 (retry the segment) for archive_command, 126 (stop the recovery) for
// restore_command; never 1 for wal-fetch, which would end the recovery as
// if the archive were done.
func TestWALCommandsWithoutASystemIdentifier(t *testing.T) {
	t.Chdir(t.TempDir()) // no global/pg_control here
	for _, tc := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"wal-push", "pg_wal/000000010000000000000001"}, exitWALPushFailed, "--system-id"},
		{[]string{"wal-push", "--system-id", "../x", "pg_wal/000000010000000000000001"}, exitWALPushFailed, `--system-id "../x"`},
		{[]string{"wal-fetch", "000000010000000000000001", "pg_wal/RECOVERYXLOG"}, jobs.ExitWALUnavailable, "--system-id"},
		{[]string{"wal-fetch", "--system-id", "12ab", "000000010000000000000001", "pg_wal/RECOVERYXLOG"}, jobs.ExitWALUnavailable, `--system-id "12ab"`},
	} {
		var out bytes.Buffer
		cmd := New(&out, &out)
		cmd.SetArgs(tc.args)
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		err := cmd.Execute()
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != tc.code || ee.Err == nil || !strings.Contains(ee.Err.Error(), tc.say) {
			t.Errorf("%v: %v (%#v), want exit %d saying %q", tc.args, err, ee, tc.code, tc.say)
		}
	}
}
