// Package score turns the rules of docs/measurement.md into a Result: from
// what a drill recorded — the schedule of injections, the Timeline's
// events, the workload Ledger and the read-back of acknowledged writes — it
// makes a scored firedrill.Result (Score). The replication-lag section is
// scored by subpackage replication, the DR engine's part (restores,
// backups, WAL archive) by subpackage drscore.
//
// Score is pure logic: it talks to no container and no database, reads no
// clock, and gives the same Result for the same Input, so every measurement
// rule can be tested on synthetic ledgers. The rules it applies are the
// product; docs/measurement.md states them with worked examples, and
// Score's documentation states each of them exactly: the end of
// observation, RTO per injection and its phases, overlapping injections,
// charging of failover events and lost writes, RPO, split brain, the
// read-back node, schedule lag, the objectives and the verdict.
//
// A measurement that could not be made is never a pass: it makes its
// objective no-data and the drill inconclusive.
//
// Files: score.go (Input, Score, what each injection did), recovery.go
// (RTO and overlap), charge.go (charging failover events and lost writes,
// RPO), splitbrain.go, writes.go (counts, schedule lag, read-back node,
// warnings), reads.go (reads and who served them), uploads.go (uploads
// and their read-back), abort.go, objectives.go (objectives and reasons).
//
// The golden cases (cases_test.go) pin whole Results as result.json in
// testdata; package reports renders those same files in its golden tests.
package score
