package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/sampleapp"
	"github.com/firedrill/firedrill/scenarios"
)

func newImagesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "images",
		Short: "Build or list the images a drill needs",
		Long: `firedrill needs a Postgres 15, a MinIO, an app and a net-tools image. When an
official image (postgres:15, minio/minio) is present or can be pulled it is used
unchanged; otherwise firedrill builds its own from Debian packages and the Go
module proxy. Built images are tagged firedrill/<role>:<version>-<hash>; a
changed recipe gets a new hash and is rebuilt, an unchanged one is reused.`,
		Example: `  firedrill images list
  firedrill images needs
  firedrill images build
  firedrill images prune`,
	}
	var force bool
	build := &cobra.Command{
		Use:   "build [ROLE...]",
		Short: "Build the local recipe images (all roles by default), concurrently",
		Long: `Build firedrill's recipe image of each role given (all by default) unless an
image for the current recipe exists. Before anything starts, the machine is
checked for what the builds need (debootstrap, root, the Go toolchain): every
missing thing is reported at once, with the command that installs it. The builds
then run at the same time; each progress line names its role.`,
		Example: `  firedrill images build
  firedrill images build postgres --force`,
		RunE: func(cmd *cobra.Command, args []string) error {
			roles, err := parseRoles(args)
			if err != nil {
				return withCode(firedrill.ExitUsage, err)
			}
			docker, im, err := openImages(cmd.Context(), g, true)
			if err != nil {
				return err
			}
			defer docker.Close()
			built, err := im.BuildAll(cmd.Context(), roles, force)
			for _, r := range roles {
				if img, ok := built[r]; ok {
					fmt.Fprintf(g.stdout, "%-9s %s (%s)\n", r, img.Ref, img.Source)
				}
			}
			if err != nil {
				if cmd.Context().Err() != nil {
					return withCode(firedrill.ExitInterrupted, err)
				}
				return withCode(firedrill.ExitInconclusive, err)
			}
			return nil
		},
	}
	build.Flags().BoolVar(&force, "force", false, "rebuild even when an image with the current recipe exists")
	list := &cobra.Command{
		Use:     "list",
		Short:   "Show which images are present and which would be built",
		Example: `  firedrill images list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			docker, im, err := openImages(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer docker.Close()
			st, err := im.List(cmd.Context())
			if err != nil {
				return withCode(firedrill.ExitInconclusive, err)
			}
			return printImageStatus(g, st)
		},
	}
	prune := &cobra.Command{
		Use:   "prune",
		Short: "Remove firedrill's recipe images superseded by a newer recipe",
		Long: `Every change to a recipe (or, for the app image, every new firedrill binary)
builds a new image; the old ones stay as 'stale' in 'firedrill images list'.
prune removes them. Current images and official images are kept.`,
		Example: `  firedrill images prune`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			docker, im, err := openImages(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer docker.Close()
			removed, err := im.Prune(cmd.Context())
			for _, r := range removed {
				fmt.Fprintf(g.stdout, "removed image %s\n", r)
			}
			if err != nil {
				return withCode(firedrill.ExitInconclusive, err)
			}
			if len(removed) == 0 {
				fmt.Fprintln(g.stdout, "no stale images")
			}
			return nil
		},
	}
	cmd.AddCommand(build, newImagesNeedsCmd(g), list, prune)
	return cmd
}

func newImagesNeedsCmd(g *globals) *cobra.Command {
	var packages bool
	cmd := &cobra.Command{
		Use:   "needs [ROLE...]",
		Short: "Show what building the missing images needs and this machine lacks",
		Long: `For each role given (all by default) whose image is not present, show what its
recipe needs on this machine and is missing (debootstrap, root, the Go toolchain),
with the command that installs it. Images already present, and steps whose output
is cached (a debootstrap base image, the MinIO binary), need nothing. An official
image that can be pulled needs nothing either, which this command cannot know.
With --packages, print only the system packages to install, one a line (nothing
when none is missing); what no package provides goes to stderr. Exit code 0
either way.`,
		Example: `  firedrill images needs
  pkgs=$(firedrill images needs --packages postgres minio app nettools)
  [ -z "$pkgs" ] || sudo apt-get install -y $pkgs`,
		RunE: func(cmd *cobra.Command, args []string) error {
			roles, err := parseRoles(args)
			if err != nil {
				return withCode(firedrill.ExitUsage, err)
			}
			docker, im, err := openImages(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer docker.Close()
			missing, err := im.Needs(cmd.Context(), roles, false)
			if err != nil {
				return withCode(firedrill.ExitInconclusive, err)
			}
			if packages {
				for _, p := range (&images.MissingError{Missing: missing}).Packages() {
					fmt.Fprintln(g.stdout, p)
				}
				for _, m := range missing {
					if m.Need.Package == "" {
						fmt.Fprintf(g.stderr, "firedrill: also needed, not a package: %s (for %s): %s\n", m.Need.Name, m.For(), m.Fix)
					}
				}
				return nil
			}
			if len(missing) == 0 {
				fmt.Fprintln(g.stdout, "nothing missing: the images present need nothing, the others can be built here")
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NEED\tFOR\tWHY\tTO DO")
			for _, m := range missing {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Need.Name, m.For(), m.Need.Why, m.Fix)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&packages, "packages", false, "print only the missing system packages, one a line")
	return cmd
}

// openImages connects to Docker and returns the image resolver the image
// commands and run share; with progress, builds report to stderr. The
// caller closes the client. Errors carry their exit code.
func openImages(ctx context.Context, g *globals, progress bool) (*client.Client, *images.Images, error) {
	docker, err := dockerClient(ctx)
	if err != nil {
		return nil, nil, withCode(firedrill.ExitInconclusive, err)
	}
	exe, err := appBinary()
	if err != nil {
		docker.Close()
		return nil, nil, withCode(firedrill.ExitInconclusive, err)
	}
	opts := []images.ImagesOption{images.WithAppBinary(exe), images.WithLogger(g.log)}
	if progress {
		opts = append(opts, images.WithProgress(g.stderr))
	} else {
		opts = append(opts, images.WithProgress(io.Discard))
	}
	return docker, images.NewImages(docker, opts...), nil
}

func parseRoles(args []string) ([]images.Role, error) {
	if len(args) == 0 {
		return images.Roles(), nil
	}
	var out []images.Role
	for _, a := range args {
		found := false
		for _, r := range images.Roles() {
			if string(r) == a {
				out = append(out, r)
				found = true
			}
		}
		if !found {
			var names []string
			for _, r := range images.Roles() {
				names = append(names, string(r))
			}
			return nil, fmt.Errorf("unknown image role %q (roles: %s)", a, strings.Join(names, ", "))
		}
	}
	return out, nil
}

func newListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios",
		Long: `List the scenarios built into this binary, one line each: the name to give
'firedrill run', 'plan' or 'validate', and what the drill shows. With --json,
a JSON array of {"name", "file", "description"} on stdout.`,
		Example: `  firedrill list
  firedrill plan "$(firedrill list --json | jq -r '.[0].name')"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			type entry struct {
				Name        string `json:"name"`
				File        string `json:"file"`
				Description string `json:"description"`
			}
			entries := []entry{}
			for _, name := range scenarios.BuiltinNames() {
				s, err := scenarios.Builtin(name)
				if err != nil {
					return withCode(firedrill.ExitInconclusive, err)
				}
				entries = append(entries, entry{Name: name, File: s.File, Description: strings.TrimSpace(s.Description)})
			}
			if asJSON {
				return writeJSON(g.stdout, entries)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			for _, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\n", e.Name, firstLine(e.Description))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON on stdout")
	return cmd
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func newAppCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "app",
		Short: "Run the sample application (inside its container)",
		Long: `The sample application the workload goes through: PUT /records/{id} writes a
record and answers after commit, GET /records/{id} reads it (from a replica when
one is up), GET /healthz checks the database. It is configured from the
environment: FIREDRILL_APP_LISTEN, FIREDRILL_APP_WRITE_DSN, FIREDRILL_APP_READ_DSN.`,
		Example: `  FIREDRILL_APP_LISTEN=:8080 \
  FIREDRILL_APP_WRITE_DSN='postgres://u:p@localhost:5432/app?target_session_attrs=read-write' \
  FIREDRILL_APP_READ_DSN='postgres://u:p@localhost:5432/app?target_session_attrs=prefer-standby' \
  firedrill app`,
		Args:   cobra.NoArgs,
		Hidden: false,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := sampleapp.ConfigFromEnv()
			if err != nil {
				return withCode(firedrill.ExitUsage, err)
			}
			if cfg.Logger == nil {
				cfg.Logger = g.log
			}
			if err := sampleapp.Run(cmd.Context(), cfg); err != nil && !errors.Is(err, cmd.Context().Err()) {
				return withCode(1, err)
			}
			return nil
		},
	}
}

func printImageStatus(g *globals, st []images.ImageStatus) error {
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tIMAGE\tPRESENT\tSIZE")
	for _, s := range st {
		fmt.Fprintf(tw, "%s\n", s.Row())
	}
	return tw.Flush()
}
