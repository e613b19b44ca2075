package pgnode

// WAL archiving to the run's bucket (docs/architecture.md, "Replacing a
// lost node"): with a physical backup scheduled, every Postgres node runs
// Postgres's own archive_command, firedrill's binary copied into the
// node pushing each finished segment with the node's
// FIREDRILL_S3_* environment. A standby does not archive (archive_mode
// on, not always); once promoted, it does.

import (
	"math"
	"strconv"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// defaultArchiveTimeout is the scenario language's default
// archive_timeout, for a physical backup built in code without one.
const defaultArchiveTimeout = time.Minute

// archiveTimeout is how long a written WAL segment may wait before it is
// switched and archived: the shortest archive_timeout of the scenario's
// physical backups; ok is false when there is none (no archiving).
func archiveTimeout(scn *scenarios.Scenario) (timeout time.Duration, ok bool) {
	if scn == nil {
		return 0, false
	}
	for _, b := range scn.DR.Backups {
		if b.Kind != scenarios.BackupPhysical {
			continue
		}
		t := b.ArchiveTimeout.Duration
		if t <= 0 {
			t = defaultArchiveTimeout
		}
		if !ok || t < timeout {
			timeout = t
		}
		ok = true
	}
	return timeout, ok
}

// ArchiveArgs are the server settings of WAL archiving for a scenario
// with a physical backup, none otherwise. Each is one argument of the
// server's command line, never a shell word: the command needs no quotes.
// archive_timeout is in whole seconds, rounded up.
func ArchiveArgs(scn *scenarios.Scenario) []string {
	t, ok := archiveTimeout(scn)
	if !ok {
		return nil
	}
	secs := max(int64(math.Ceil(t.Seconds())), 1)
	return []string{
		"-c", "archive_mode=on",
		"-c", "archive_command=" + AgentPath + " agent wal-push %p",
		"-c", "archive_timeout=" + strconv.FormatInt(secs, 10) + "s",
	}
}
