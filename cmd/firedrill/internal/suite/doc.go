// Package suite turns the scenario arguments of `firedrill run` into the
// list of scenarios to run (docs/reports.md, "Game days: repeats, suites
// and history"): a built-in name or a scenario file stands for itself; a
// directory for every *.yaml and *.yml file in it, in name order; @FILE
// for the scenarios a list file names, one a line. The arguments of
// `firedrill validate` expand the same way.
package suite
