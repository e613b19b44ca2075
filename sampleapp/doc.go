// Package sampleapp is the application firedrill puts in front of the
// Postgres cluster during a drill: a small HTTP service, run inside a
// container as the `firedrill app` sub-command, whose only job is to turn a
// client's write into a committed row and to say honestly what happened.
//
// Endpoints:
//
//	PUT /records/{id}  insert one row in autocommit; 200 {"id","node"} only after
//	                   the commit; 503 {"outcome":"failed"|"indeterminate","error"}
//	                   when it could not; 409 for a duplicate id; 400 for a bad id
//	GET /records/{id}  read a row from the read pool (a replica when one is up),
//	                   falling back to the write pool; 200 or 404
//	GET /reads/{id}    the read workload's read: from the read pool only (a replica
//	                   when one is reachable, else the primary), naming the server
//	                   that answered and whether it was a standby; 200 found, 404
//	                   not there, 503 {"outcome"} (read.go)
//	PUT /uploads/{id}  store the body (up to 1 MiB) as a file in the uploads directory
//	                   (FIREDRILL_APP_UPLOADS); 201 {"id","size","sha256"} once the
//	                   file and its directory entry are fsynced, 200 for the same
//	                   content again, 409 for other content, 503 {"outcome"} when it
//	                   could not, or when the app has no uploads directory (uploads.go)
//	GET /uploads/{id}  the content of an upload; 404 when it is not stored
//	GET /uploads       every stored upload, [{"id","size","sha256"}] ordered by id,
//	                   streamed: the read-back of uploads after a drill
//	GET /healthz       200 when the schema exists and SELECT 1 on the write pool
//	                   answers within 1s; 503 otherwise
//	GET /livez         200 while the process runs
//
// The outcome of a failed write is the heart of the drill's measurement
// (README.md, "How it measures"): "failed" is reported only when the write
// certainly did not happen (the server rejected the statement, or nothing was
// sent to it); anything else that may have committed is "indeterminate".
// classify.go holds those rules.
//
// The write path is built to stay cheap at 1000+ writes/s on the drill's
// own 2-core machine, since whatever it costs is taken from the recovery the
// drill measures: no ping per pool checkout (a non-blocking peek at the
// socket finds connections whose server died; liveness.go), the INSERT is a
// prepared statement per connection, the pool (16 connections) fits the
// rate, the 200 answer is written without reflection, and "write failed" is
// logged at most ten times a second. docs/benchmarks.md, "Probe and app at
// 200, 1000, 2000 writes/s", measures it against the previous version.
//
// A server that goes silent (a partition drops its packets: no FIN, no
// RST) must not hold the app: dials to one host are bounded so the
// multi-host selection moves on, sent data left unacknowledged breaks the
// connection (TCP_USER_TIMEOUT), and keepalives find idle pooled
// connections to it dead before a write does (dial.go).
//
// Every row records the name (nodeSQL) of the Postgres server that wrote it
// (column node), so the harness knows which primary acknowledged each write
// and can detect a split brain. Host selection across the multi-host DSNs is
// pgx's own (target_session_attrs); the app re-checks roles only by dropping
// broken connections and dialing again.
package sampleapp
