// Package failover is dr.failover of the scenario language: which failover
// manager a drill runs (firedrill's builtin one, Patroni with etcd,
// pg_auto_failover with its monitor, or none), the settings of each, their
// defaults (each stack's own documented defaults), their checks (each
// stack's own constraints), the worst-case detection each implies, and the
// stacks' coordination as fault targets (etcd.<region> per etcd member,
// monitor) with where each runs.
//
// It is apart from package spec, the data model, so that the managers'
// settings and their rules stay together and each package stays small
// (docs/architecture.md, "Packages"); spec names its types (spec.Failover
// is failover.Failover) and package scenarios re-exports them. It checks
// through a Reporter, which package scenarios' validator implements, so
// that its problems are placed at file:line:col like every other.
//
// What runs a manager is the engine's: a scenario naming patroni or
// pg_auto_failover is listed by Scenario.Unsupported until the engine says
// it runs that manager (docs/scenario.md, "Failover managers").
package failover
