// Package junit renders results as JUnit XML for CI (docs/reports.md,
// "JUnit"): one test suite per drill, one test case per objective.
package junit
