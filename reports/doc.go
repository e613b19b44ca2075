// Package reports turns what a drill recorded — the Timeline's events, the
// workload Ledger and the read-back of acknowledged writes — into a scored
// firedrill.Result, and renders that Result for people and machines.
//
// Score is pure logic: it talks to no container and no database, reads no
// clock, and gives the same Result for the same Input, so every measurement
// rule can be tested on synthetic ledgers. The rules it applies are the
// product (README.md, "How it measures"); Score's documentation states
// each of them exactly: RTO per fault and its phases, lost writes, RPO,
// split brain, the objectives and the verdict.
//
// A measurement that could not be made is never a pass: it makes its
// objective no-data and the drill inconclusive.
//
// Renderers: WriteJSON writes result.json; WriteTerminal writes the compact
// end-of-run summary (k6-style ✓/✗ objective lines).
package reports
