// Package reports renders a scored firedrill.Result (package
// reports/score makes it) for people and machines. A renderer decides no
// measurement: it writes what the Result holds.
//
// Renderers: WriteJSON writes result.json; WriteTerminal writes the compact
// end-of-run summary (k6-style ✓/✗ objective lines), with, per fault, the
// evidence recorded on its injection and its revert, and the failover
// manager's withheld and blind periods.
//
// Files: terminal.go (the summary and its layout helpers),
// reads_terminal.go and replication_terminal.go (its reads and
// replication blocks), json.go. Durations and sizes are written by
// reports/internal/human, the same way the scoring writes them in reasons.
//
// Golden tests render the Results pinned in score/testdata.
package reports
