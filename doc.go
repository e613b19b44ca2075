// Package firedrill holds the vocabulary every part of a drill shares: the
// monotonic Timeline of Events, the workload Ledger of operations, the scored
// Result with its Verdict, and the Runner that sequences one drill.
//
// The root package talks to no container and no database. Environments,
// faults, the DR engine and the workload probe live in sub-packages
// (testenv, chaos, dr) and reach the Runner through the small interfaces
// declared in runner.go; reports turns a Timeline and a Ledger into a Result.
//
// All times inside a drill are offsets from the run's start, read from the
// monotonic clock of the harness process (time.Since on a time.Time that
// carries a monotonic reading). Wall-clock times appear only as labels.
package firedrill
