// Package junit renders results as JUnit XML for CI (docs/reports.md,
// "JUnit"): one <testsuite> per drill (a suite, the repeats of a game
// day: several in one file), one <testcase> per objective. A missed
// objective is a <failure> whose message gives the measured value against
// the target; one with no data is an <error> of type inconclusive, never
// a pass nor a plain failure; the reasons of a failed or inconclusive
// drill that no objective states (an abort, a failed restore) make a
// "verdict" test case of their own, so a drill that did not pass never
// yields an all-green file. testdata/junit.xsd describes the format the
// CI test reporters read; the integration tier checks the golden files
// against it with xmllint.
package junit
