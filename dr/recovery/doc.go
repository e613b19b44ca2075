// Package recovery is the DR engine's recovery plans (docs/architecture.md,
// "Recovery plans"): it watches the environment, classifies a failure as
// one of the language's types (database, disk, network, complete) from what
// it observes, and runs that type's plan from dr.recovery, step by step,
// each step an event with its duration and outcome, stopping at the first
// that fails. Steps are a registry like the faults' (Register, one fresh
// Step per run from its factory); the restore steps restore from the
// backups the dr package's scheduler takes, into fresh containers, and
// record each restore phase on the timeline. A redundancy watcher records
// when every standby streams from the current primary again: the time to
// full redundancy.
//
// It reaches the environment through small interfaces declared here
// (Cluster, Runtime, Rebuilder, AppCheck, and dr.JobRunner) that the drill
// wires to the Docker runtime and the Postgres administration; unit tests
// use fakes of them.
package recovery
