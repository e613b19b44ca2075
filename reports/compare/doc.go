// Package compare tells what got better or worse between two sets of
// results (docs/reports.md, "Re-rendering and comparing"): OLD, a baseline,
// and NEW, a change. Per scenario it sets the figures side by side (the
// verdict, RTO, per fault when each side is one run, its phases, RPO, lost
// writes, failed-but-present writes, split brain, each objective) and says
// of each whether it got better, worse or stayed. A figure either side did
// not measure is not comparable: never better, never worse.
//
// A side of several runs of a scenario (a game day) is read through
// reports/aggregate: its figures are the p50 of the runs, and p90 and max
// are compared too.
//
// ParseFailOn reads the --fail-on grammar and Check applies it: the CI
// gate of `firedrill compare`.
package compare
