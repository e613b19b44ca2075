package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/platform/docker"
)

func newCleanCmd(g *globals) *cobra.Command {
	var runID string
	var force bool
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Remove the containers, networks and volumes that runs left behind",
		Long: `Remove every container, network and volume labelled firedrill.run of the
runs whose harness is gone: a run killed with SIGKILL, a crashed CI job, an
environment kept with --keep. With --run, only that run.

Runs whose harness is still running (another drill on this Docker host: a CI
job, a colleague, a game day) are left alone and listed; --force removes them
too. A run's harness is alive while its lease container,
firedrill-<run id>-lease, runs: the harness holds the lease's stdin, and the
lease exits when the harness ends in any way, a SIGKILL included.

Nothing without the firedrill.run label is ever touched. Images are kept:
they are the build cache.`,
		Example: `  firedrill clean
  firedrill clean --run 20261121-230501-3fa9c2b1d0
  firedrill clean --force          # also runs whose harness is still running`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dc, err := dockerClient(cmd.Context())
			if err != nil {
				return withCode(firedrill.ExitInconclusive, err)
			}
			defer dc.Close()
			opts := []docker.CleanOption{docker.CleanRun(runID)}
			if force {
				opts = append(opts, docker.CleanForce())
			}
			rep, err := docker.Clean(cmd.Context(), dc, opts...)
			for _, c := range rep.Containers {
				fmt.Fprintf(g.stdout, "removed container %s\n", c)
			}
			for _, n := range rep.Networks {
				fmt.Fprintf(g.stdout, "removed network %s\n", n)
			}
			for _, v := range rep.Volumes {
				fmt.Fprintf(g.stdout, "removed volume %s\n", v)
			}
			for _, id := range rep.Live {
				fmt.Fprintf(g.stdout, "left run %s alone: its harness is still running (--force removes it)\n", id)
			}
			if err != nil {
				return withCode(firedrill.ExitInconclusive, err)
			}
			if rep.Empty() && len(rep.Live) == 0 {
				fmt.Fprintln(g.stdout, "nothing to clean")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&runID, "run", "", "only this run id")
	cmd.Flags().BoolVar(&force, "force", false, "also remove runs whose harness is still running")
	return cmd
}

// newLeaseCmd is what a run's lease container runs (see platform/docker/lease.go):
// it holds the lease until its stdin, held open by the harness, closes.
func newLeaseCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:    "lease",
		Short:  "Hold a run's lease (runs inside the run's lease container)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return docker.HoldLease(os.Stdin)
		},
	}
}
