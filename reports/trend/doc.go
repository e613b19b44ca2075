// Package trend writes runs of the same scenarios as a terminal table:
// per scenario, one row per run in start order (started at, run id,
// verdict, RTO, RPO, lost writes) and the p50/p90/max of those figures from
// reports/aggregate. It is the end of `firedrill run --repeat N` and the
// output of `firedrill history` (docs/reports.md, "Game days: repeats,
// suites and history"). A figure a run did not measure is written as not
// measured and counted apart; a fault that never recovered is "never".
// WriteManagerTable compares failover managers, a row per scenario per
// manager: the end of `firedrill run --manager LIST`.
package trend
