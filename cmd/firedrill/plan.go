package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/drill"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/scenarios"
)

// Plan prints what the engine derives: drill.NewPlan builds the plan from
// the engine's own packages (docs/architecture.md, "One model of the
// topology") and drill.WritePlanText writes it for people. What is left
// here is opening Docker, read-only, and escaping the scenario's text for
// the terminal.

func newPlanCmd(g *globals) *cobra.Command {
	var asJSON bool
	var seed int64
	cmd := &cobra.Command{
		Use:   "plan SCENARIO",
		Short: "Show what a drill would do, without starting anything",
		Long: `A dry run: load the scenario (a file or a built-in name), fill in every default
and print what 'firedrill run' would build and do:

  - the topology: each region's Docker network, the wan network joining them,
    every node with its role, region, container name, published ports and
    data volume;
  - the image each role would use and where it would come from (present
    locally, firedrill's recipe image, a pull, or a build), and firedrill's
    own app image for the run's lease when the scenario names another app
    image; plan only looks: it never pulls or builds, and says "unknown
    (Docker unreachable)" when Docker cannot be reached;
  - the DR engine's settings (backups, failover, recovery plans), the
    workload, the timeline with every fault's time, action, target, duration
    and parameters, and the nodes its target resolves to (targets are
    resolved at injection; plan shows the resolution at the start of the
    drill); the monkey, with its schedule when the seed is known (--seed, else
    monkey.seed): each fault's id, time, action, target and duration, as
    'firedrill run --seed' injects them; the abort conditions;
  - the objectives, and the failover budget: the worst-case detection time
    (check_interval x failures_before_action + check_timeout) against the RTO
    objective, with a warning when detection alone does not fit in it;
  - what this build cannot run yet ('firedrill run' refuses the scenario
    while that list is not empty).

<run> stands for the run id, which each run chooses when it starts. Nothing
is created and no container is started. An invalid scenario exits 2 with
its problems, as 'firedrill validate' prints them. With --json the same plan
is printed as one JSON object on stdout, and nothing else is.`,
		Example: `  firedrill plan primary-kill
  firedrill plan my-drill.yaml
  firedrill plan --seed 42 chaos-monkey      # the monkey's faults that run --seed 42 injects
  firedrill plan --json my-drill.yaml | jq .failover_budget`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			scn, err := scenarios.Resolve(args[0])
			if err != nil {
				return withCode(firedrill.ExitUsage, terminalError{err})
			}
			look, done := planLookup(cmd.Context(), g)
			defer done()
			var opts []drill.PlanOption
			if cmd.Flags().Changed("seed") {
				opts = append(opts, drill.WithPlanSeed(seed))
			}
			if asJSON {
				if err := writeJSON(g.stdout, drill.NewPlan(cmd.Context(), scn, look, opts...)); err != nil {
					return withCode(firedrill.ExitInconclusive, err)
				}
				return nil
			}
			// Scenario text (a description, a label value) may hold control
			// characters: escaped before they reach the terminal (image
			// references are valid references, unchanged by it).
			return drill.WritePlanText(g.stdout, drill.NewPlan(cmd.Context(), scn.MapStrings(termSafe), look, opts...))
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON on stdout")
	cmd.Flags().Int64Var(&seed, "seed", 0, "draw the monkey's schedule from this seed, as 'firedrill run --seed' does (default: monkey.seed)")
	return cmd
}

// planLookup opens what plan asks about images, and returns how to close
// it. A variable so that tests answer instead of Docker.
var planLookup = dockerLookup

// dockerLookup asks Docker, read-only; without Docker every image is
// unknown.
func dockerLookup(ctx context.Context, g *globals) (drill.ImageLookup, func()) {
	dc, err := dockerClient(ctx)
	if err != nil {
		g.log.Debug("plan: no Docker", "err", err)
		return drill.NoImages("Docker unreachable"), func() {}
	}
	opts := []images.ImagesOption{images.WithPull(false), images.WithProgress(io.Discard), images.WithLogger(g.log)}
	if exe, err := appBinary(); err == nil {
		opts = append(opts, images.WithAppBinary(exe))
	}
	return drill.DockerImages(dc, images.NewImages(dc, opts...)), func() { dc.Close() }
}
