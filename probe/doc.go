// Package probe is firedrill's workload generator: an open-loop writer that
// sends one write every 1/rate seconds to the sample application, whether or
// not earlier writes have finished, and records what the client learned about
// each of them in the drill's Ledger.
//
// Open loop matters (docs/measurement.md, "The workload and the ledger"):
// during an outage a closed-loop client would slow down and the outage would
// shrink in the samples. Here the i-th write is due at start + i/rate (its
// Due); a late scheduler sends the writes it missed at once instead of
// skipping them, and each write's Sent is the instant it was handed to the
// client, so Sent − Due, the schedule lag (docs/measurement.md, "Schedule
// lag"), shows how far the probe fell behind. No write is ever retried;
// every write carries a unique id (run id + sequence); a write that outlives
// its timeout is recorded as indeterminate (it may have happened), never as
// failed. Nothing is sent once the workload's context is done: that instant
// is the end of observation.
//
// The Writer interface decouples scheduling from transport: HTTPWriter talks
// to the sample app over a bounded pool of keep-alive connections (MaxConns:
// rate × timeout, capped), tests use fakes under testing/synctest. A write
// that waits for a connection is still sent on schedule; its wait counts in
// its latency and its timeout.
package probe
