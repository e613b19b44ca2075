// Package live shows a drill's progress while it runs (docs/reports.md,
// "Live progress").
//
// A Snapshot is the drill's state at one instant, computed by a Tracker
// from what the drill records anyway: the Timeline's events, the Ledger's
// operations and the Schedule's injections. Nothing is measured here; the
// snapshot is pure, so a synthetic timeline and ledger test it.
//
// Two renderers draw a snapshot: Block, the compact status block of a
// terminal (redrawn in place about four times a second), and Line, one
// plain line for CI logs every few seconds. A Console owns both: it is the
// writer every other progress line and log record of the drill goes
// through, so that on a terminal those lines scroll above the live block
// instead of tearing it.
//
// Files: snapshot.go (the state and its phases), manager.go (the failover
// manager's and the DR engine's state, from their events), render.go (the
// two renderers and fitting a line to the terminal), console.go (the
// writer, its modes and its ticker), term.go (is it a terminal, how wide).
// Durations are written by reports/internal/human, as in every report.
package live
