// Package runplan holds what `firedrill run --manager LIST` adds to a run
// (docs/reports.md, "Game days: repeats, suites and history"): the list of
// failover managers, each scenario's dr.failover.manager overridden to one
// of them, and the output directory of each drill. Whether this build runs
// a manager is not decided here: the overridden scenario goes through the
// engine's Unsupported check like any other, and through the language's own
// validation (scenarios.Validate) for what only one manager allows.
package runplan
