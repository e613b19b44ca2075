// Package probe is firedrill's workload generator: an open-loop writer that
// sends one write every 1/rate seconds to the sample application, whether or
// not earlier writes have finished, and records what the client learned about
// each of them in the drill's Ledger.
//
// Open loop matters (README.md, "How it measures"): during an outage a
// closed-loop client would slow down and the outage would shrink in the
// samples. Here the i-th write is due at start + i/rate; a late scheduler
// sends the writes it missed at once instead of skipping them; no write is
// ever retried; every write carries a unique id (run id + sequence); a write
// that outlives its timeout is recorded as indeterminate (it may have
// happened), never as failed.
//
// The Writer interface decouples scheduling from transport: HTTPWriter talks
// to the sample app, tests use fakes under testing/synctest.
package probe
