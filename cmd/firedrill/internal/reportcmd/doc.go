// Package reportcmd holds the commands that read saved results back
// (docs/reports.md, "Re-rendering and comparing"; "Game days: repeats,
// suites and history"): `firedrill report` re-renders them, `firedrill
// compare` tells what got better or worse and gates CI on it, `firedrill
// history` charts runs over time. It also writes the report files of
// `firedrill run` (WriteReports, WriteDrillReports), so that every command
// writes a report file the same way, through the reports registry.
//
// Results are read by reports/resultfile, percentiles come from
// reports/aggregate, the comparison from reports/compare: this package
// only wires them to flags and files.
package reportcmd
