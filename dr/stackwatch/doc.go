// Package stackwatch holds the failover managers that are HA stacks
// firedrill does not drive but watches: Patroni (with etcd) and
// pg_auto_failover (with its monitor) fail over by themselves, and the
// harness reads their own state to put their detections, promotions and
// demotions on the drill's timeline beside the client-observed RTO
// (docs/measurement.md, "The HA stacks' events").
//
// Each registers itself in dr's registry of managers (dr.RegisterManager)
// under the name dr.failover.manager gives it, and is built fresh from the
// scenario's settings like the builtin manager. A watcher never acts on the
// cluster: what it records is what the stack did, read where the stack
// keeps it, at the harness's clock; the stack's own timestamps go into the
// events' evidence.
package stackwatch
