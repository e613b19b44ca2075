// Package aggregate summarises many results: the repeats of a game day
// (`firedrill run --repeat N`), a suite, a history directory, the managers
// of `firedrill run --manager`. Per scenario and failover manager (never
// mixing two stacks) it gives the runs' verdicts and the percentiles of
// their RTO, RPO and lost writes, by nearest rank (docs/measurement.md,
// "Percentiles"), with the runs whose figure could not be measured counted
// apart, never as zero, and a run that never recovered as an infinite RTO,
// never dropped; also the phases of each run's RTO fault, full redundancy
// among them, and how many runs saw a split brain. Every renderer of a
// combined report and the history command read the same summary from here.
package aggregate
