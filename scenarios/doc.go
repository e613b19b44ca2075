// Package scenarios defines the drill scenario — the infrastructure-as-code of
// a drill — and loads it strictly from YAML: unknown fields, wrong types and
// bad references are errors that name file:line:col and the field, all
// reported at once. Built-in scenarios live in library/ and are embedded in
// the binary, so `firedrill run primary-kill` needs no file on disk.
package scenarios
