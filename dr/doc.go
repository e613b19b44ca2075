// Package dr is firedrill's disaster-recovery engine: the parts that react
// to a failure, as opposed to the harness that causes and measures it.
//
// This version holds the failover manager (failover.go), one of the
// managers NewManager builds by name (manager.go). It health-checks
// the primary at a fixed interval with a timeout; after a number of
// consecutive failures it fences the old primary, promotes the most
// advanced standby and records every step (detect, fence, promote) as an
// Event on the drill's Timeline, so the reports can break RTO into phases.
// Backups to S3, point-in-time recovery and recovery plans come next.
//
// The manager acts on a Cluster, a small interface the environment
// implements (postgres.Cluster); tests use a fake.
package dr
