// Package resultfile reads saved results back: result.json files (one
// object, or the array `firedrill run --json` prints for several drills)
// and directories holding them (a drill's output directory, a suite's or a
// game day's, a history directory). It is the one reader of results for
// `firedrill report`, `firedrill compare` and `firedrill history`
// (docs/reports.md, "Re-rendering and comparing").
//
// A file named on the command line must be a firedrill result; a file
// found while walking a directory that is not one is skipped with a
// warning. A schema_version newer than firedrill.ResultSchemaVersion is
// refused either way: its fields may mean something this build does not
// know.
package resultfile
