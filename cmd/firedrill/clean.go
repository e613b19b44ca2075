package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/testenv"
)

func newCleanCmd(g *globals) *cobra.Command {
	var runID string
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Remove the containers, networks and volumes that runs left behind",
		Long: `Remove every container, network and volume labelled firedrill.run (or only
those of one run with --run). Nothing without that label is ever touched.
Images are kept: they are the build cache.`,
		Example: `  firedrill clean
  firedrill clean --run 20261121-230501-3fa9`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			docker, err := dockerClient(cmd.Context())
			if err != nil {
				return withCode(firedrill.ExitInconclusive, err)
			}
			defer docker.Close()
			rep, err := testenv.Clean(cmd.Context(), docker, runID)
			for _, c := range rep.Containers {
				fmt.Fprintf(g.stdout, "removed container %s\n", c)
			}
			for _, n := range rep.Networks {
				fmt.Fprintf(g.stdout, "removed network %s\n", n)
			}
			for _, v := range rep.Volumes {
				fmt.Fprintf(g.stdout, "removed volume %s\n", v)
			}
			if err != nil {
				return withCode(firedrill.ExitInconclusive, err)
			}
			if rep.Empty() {
				fmt.Fprintln(g.stdout, "nothing to clean")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&runID, "run", "", "only this run id")
	return cmd
}
