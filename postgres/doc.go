// Package postgres administers the drill's Postgres cluster: health checks,
// fencing, the WAL position of standbys, promotion, which node is primary
// now, and the read-back of the workload's writes. It reaches every node
// through the runtime's endpoints (platform.Runtime), never through a
// container platform directly, so it works unchanged on any runtime
// (docs/architecture.md, "Postgres administration").
//
// Cluster implements dr.Cluster (what the failover manager needs),
// topology.State (what target resolution needs) and firedrill.Verifier
// (the read-back).
package postgres
