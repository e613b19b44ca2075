// Package series makes result.json's time series (firedrill.Series): the
// workload's operations in fixed buckets by the instant they were sent,
// with latency percentiles, and every replication lag reading, for the
// HTML timeline (docs/measurement.md, "Time series"). It adds no
// measurement; percentiles are score.NearestRank's.
package series
