// Package drill assembles and runs one drill end to end: it brings the
// environment up on a runtime, builds the drill's parts from the scenario
// (the workload probe, the fault injector, the failover manager), runs the
// Runner, reads the ledger, tears everything down (on success, failure,
// interrupt and panic) and scores the recording. The CLI only chooses
// flags and output directories and maps the outcome to an exit code
// (docs/architecture.md, "The flow of a drill"). It also derives the plan
// `firedrill plan` prints (plan.go) from the same functions a run uses,
// and its text for people (plan_text.go).
package drill
