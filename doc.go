// Package firedrill holds the vocabulary every part of a drill shares: the
// monotonic Timeline of Events, the workload Ledger of operations, the
// Schedule of Injections, the scored Result with its Verdict, and the Runner
// that sequences one drill.
//
// The root package talks to no container and no database. The runtime
// (platform, platform/docker), Postgres administration (postgres), faults
// (chaos), the DR engine (dr) and the workload probe (probe) live in
// sub-packages and reach the Runner through the small interfaces declared
// here (Workload, Part, Injector, Verifier); drill assembles them; reports
// turns a recording into a Result (docs/architecture.md, "Packages").
//
// All times inside a drill are offsets from the run's start, read from the
// monotonic clock of the harness process (time.Since on a time.Time that
// carries a monotonic reading). Wall-clock times appear only as labels.
package firedrill
