// Package jobs holds the backup and restore jobs firedrill runs inside the
// environment as `firedrill agent backup|restore ...` (a job sidecar, or a
// fresh Postgres container's initdb.d script), and the report lines they
// print so that the harness can follow them (docs/architecture.md,
// "Backups and the catalog"); and the WAL commands Postgres spawns,
// `agent wal-push` and `agent wal-fetch`, with what reads WAL names,
// timeline histories and pg_control and decides WAL retention
// (docs/architecture.md, "WAL archiving and point-in-time recovery").
//
// Every job prints FIREDRILL-JOB lines on standard output: phases as they
// end, "rejected" for a backup that failed verification and was skipped,
// and exactly one "result" or "error" line at the end.
package jobs
