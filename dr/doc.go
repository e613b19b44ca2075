// Package dr is firedrill's disaster-recovery engine: the parts that react
// to a failure, as opposed to the harness that causes and measures it.
//
// This version holds the failover manager (failover.go), one of the
// managers NewManager builds by name (manager.go). It judges health from
// a vantage point (vantage.go): for the built-in manager, a watcher
// sidecar in the app's network namespace (sidecar.go; the sidecar runs
// ServeWatcher, watcher.go), so it sees the cluster as the clients do.
// Every Postgres node is checked in rounds at a fixed interval with a
// timeout; after a number of consecutive rounds in which the primary
// failed it fences the old primary through the platform, promotes the
// most advanced standby the clients reach and records every step
// (detect, fence, promote) as an Event on the drill's Timeline, so the
// reports can break RTO into phases; when nothing is reachable, or it has
// no verdict, it does not fail over and says why (events.go). Backups to
// S3, point-in-time recovery and recovery plans come next.
//
// The manager acts on a Cluster, a small interface the environment
// implements (postgres.Cluster), and a Vantage; tests use fakes.
package dr
