// Package scenarios defines the drill scenario — the infrastructure-as-code of
// a drill — and loads it strictly from YAML: unknown fields, wrong types and
// bad references are errors that name file:line:col and the field, all
// reported at once. Built-in scenarios live in library/ and are embedded in
// the binary, so `firedrill run primary-kill` needs no file on disk.
//
// # Loading
//
// Load (a file), LoadBytes (bytes with a name for positions), Builtin (an
// embedded scenario) and Resolve (a built-in name or a path) all run the
// same pipeline:
//
//  1. parse the YAML into a yaml.Node tree (one document; a syntax error
//     stops here);
//  2. decode the tree into a Scenario by walking it against the yaml struct
//     tags, reporting every unknown field (with a "did you mean" hint),
//     wrong type and bad duration at its own node;
//  3. apply the defaults to the fields that were left out (ApplyDefaults);
//  4. validate (Validate), reporting every semantic problem at the node of
//     the offending field.
//
// The problems come back together as Errors, one *Error per problem, sorted
// by position and printed one per line:
//
//	drill.yaml:21:11: timeline.faults[0].at: the fault at 1m15s is not before the end of the timeline (1m0s) (hint: make timeline.duration longer than 1m15s or inject the fault earlier)
//
// Durations are Go durations ("500ms", "15s", "1m30s"); a bare number is an
// error, since it has no unit. Anchors, aliases and merge keys (<<) work.
//
// # The language and the engine
//
// The language (docs/scenario.md is its reference) covers more than an
// engine may execute: fault actions, selectors, backups, recovery plans,
// the monkey, abort conditions. Validate and plan accept all of it. The
// engine says what it executes by implementing Capabilities (its fault
// registry answers for the actions; the language holds no flag of its
// own), and Scenario.Unsupported lists, as structured data with positions,
// what a scenario uses beyond that, so that `firedrill run` can refuse it
// up front instead of running part of the file. Actions() is the one
// description of the fault actions (targets, params, reversibility) that
// the loader and the engine's registry share (docs/architecture.md,
// "Faults as a registry").
//
// Scenario.Warnings lists what a valid scenario does that will make part of
// its result inconclusive, such as a fault too close to the end of the
// timeline for its recovery to be confirmed; validate prints them.
//
// # Packages
//
// The language's types, defaults, vocabulary and limits are in
// internal/spec, and this package gives each its public name
// (aliases.go): scenarios.Scenario is spec.Scenario. This package holds the
// loader, the built-in library and the validator; internal/failover
// dr.failover (the failover managers: builtin, Patroni, pg_auto_failover,
// none; their settings, the stacks' own defaults and rules, and the
// worst-case detection of each); internal/units the Duration they share;
// internal/yamlpos the strict decoder with positions; internal/schema the
// JSON Schema generator. Each stays small enough to read (docs/architecture.md,
// "Packages").
//
// # The JSON Schema
//
// Schema generates a JSON Schema (draft 2020-12) from the Go types, for
// editors (yaml-language-server). schema.json is the generated file,
// embedded as SchemaJSON; internal/schema/docs.go holds the field
// descriptions, generated from the doc comments in internal/spec and
// internal/failover. `go test
// ./scenarios -update` refreshes both, and the tests fail while either is
// stale.
//
// # Growing the language
//
// A new field needs only a struct field with a yaml tag (internal/spec), a
// doc comment written for someone editing YAML, and where it applies a
// `schema` tag (required, enum, bounds, pattern), a default in
// ApplyDefaults and a check in validate*.go: the decoder and the schema
// find it by reflection. Then run `go test ./scenarios -update`, document
// it in docs/scenario.md (a test checks every field path is there), and add
// a broken case to load_test.go. If an engine may not execute it, give it a
// Feature and list it in Scenario.Unsupported. A field type with its own
// scalar syntax implements yamlpos.ScalarDecoder, as Duration does. A new
// fault action is an entry in the actions table (internal/spec/vocab.go);
// the engine runs it once its registry has it. A new built-in is a file in
// library/, whose name must match the file name.
package scenarios
