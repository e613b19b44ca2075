// Package resultschema generates the JSON Schema (draft 2020-12) of
// result.json, the versioned document a drill writes (docs/result.md), by
// reflection from the Go types that write it (firedrill.Result and what
// it holds), with the generic part shared with the scenario schema
// (internal/jsonschema), so that it cannot drift from what is written:
//   - property names from the json tags; a field written always is
//     required, one tagged omitempty is absent when empty;
//   - a pointer that is always written is nullable: null means not
//     measured (or never happened), never zero; a list or map always
//     written may be null when empty, but for the lists WriteJSON
//     writes as [];
//   - schema_version is a const: a reader of this schema refuses another
//     version;
//   - verdicts, objective statuses and recoveries are enums;
//   - descriptions are the doc comments of the types (docs.go, generated
//     from the source by `go test ./internal/resultschema -update`), and
//     more.go for the fields without one.
//
// The same run of -update rewrites docs/result.schema.json and the field
// reference of docs/result.md (Reference); the tests keep all three equal
// to what the generator makes, and check every golden result.json
// against the schema. `firedrill schema --result` prints it.
package resultschema
