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
// # Growing the language
//
// A new field needs only a struct field with a yaml tag (and, if it has
// one, a default in ApplyDefaults and a check in validate.go): the decoder
// finds it by reflection. A field type with its own scalar syntax
// implements scalarDecoder, as Duration does. A new fault action is an
// entry in the actions table (actions.go). A new built-in is a file in
// library/, whose name must match the file name.
package scenarios
