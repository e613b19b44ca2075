package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

func newSchemaCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the scenario language",
		Long: `Print the JSON Schema of scenario files (apiVersion firedrill/v1), generated
from the Go types the loader decodes into, on stdout.

Editors use it to complete and check scenario files as you type. With the YAML
language server (VS Code's YAML extension, Neovim, Helix...), save it next to
your scenarios and put this first line in each file:

  # yaml-language-server: $schema=./firedrill.schema.json

The schema checks shape and types; 'firedrill validate' checks everything else
(references between fields, times on the timeline) and is the authority.`,
		Example: `  firedrill schema > firedrill.schema.json
  firedrill schema | jq '.properties | keys'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := scenarios.Schema()
			if err != nil {
				return withCode(firedrill.ExitInconclusive, fmt.Errorf("generate the schema: %w", err))
			}
			if !json.Valid(data) {
				return withCode(firedrill.ExitInconclusive, fmt.Errorf("generate the schema: not valid JSON"))
			}
			if !bytes.HasSuffix(data, []byte("\n")) {
				data = append(data, '\n')
			}
			_, err = g.stdout.Write(data)
			return err
		},
	}
}
