package scenarios

import (
	_ "embed"

	"github.com/firedrill/firedrill/scenarios/internal/schema"
)

// The JSON Schema of the scenario language, for editors: put
//
//	# yaml-language-server: $schema=<path or URL of schema.json>
//
// at the top of a scenario. Package schema (internal/schema) generates it
// from the types by reflection; schema.json in this directory is the
// generated file, kept equal to Schema() by TestSchemaFile; refresh it with
// `go test ./scenarios -update`.

// SchemaJSON is schema.json as shipped in the source tree and embedded in
// the binary; TestSchemaFile keeps it equal to Schema().
//
//go:embed schema.json
var SchemaJSON []byte

// SchemaID is the schema's $id. The canonical copy is scenarios/schema.json
// in the repository.
const SchemaID = schema.ID

// Schema returns the JSON Schema (draft 2020-12) of the scenario language,
// indented, ending with a newline.
func Schema() ([]byte, error) { return schema.Generate() }
