package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/internal/resultschema"
	"github.com/firedrill/firedrill/scenarios"
)

func newSchemaCmd(g *globals) *cobra.Command {
	var result bool
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the scenario language",
		Long: `Print the JSON Schema of scenario files (apiVersion firedrill/v1), generated
from the Go types the loader decodes into, on stdout.

Editors use it to complete and check scenario files as you type. With the YAML
language server (VS Code's YAML extension, Neovim, Helix...), save it next to
your scenarios and put this first line in each file:

  # yaml-language-server: $schema=./firedrill.schema.json

The schema checks shape and types; 'firedrill validate' checks everything else
(references between fields, times on the timeline) and is the authority.

With --result, print instead the JSON Schema of result.json, the versioned
result a drill writes (docs/result.md; also docs/result.schema.json).`,
		Example: `  firedrill schema > firedrill.schema.json
  firedrill schema | jq '.properties | keys'
  firedrill schema --result > result.schema.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			generate, what := scenarios.Schema, "the schema"
			if result {
				generate, what = resultschema.Generate, "the result.json schema"
			}
			data, err := generate()
			if err != nil {
				return withCode(firedrill.ExitInconclusive, fmt.Errorf("generate %s: %w", what, err))
			}
			if !json.Valid(data) {
				return withCode(firedrill.ExitInconclusive, fmt.Errorf("generate %s: not valid JSON", what))
			}
			if !bytes.HasSuffix(data, []byte("\n")) {
				data = append(data, '\n')
			}
			_, err = g.stdout.Write(data)
			return err
		},
	}
	cmd.Flags().BoolVar(&result, "result", false, "print the JSON Schema of result.json instead of the scenario language's")
	return cmd
}
