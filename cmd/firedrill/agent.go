package main

import (
	"github.com/spf13/cobra"
)

// newAgentCmd is the hidden parent of what firedrill runs inside a sidecar
// started with platform.WithImage(platform.SidecarAgent): the sidecar's
// command is `firedrill agent <sub> ...` (docs/architecture.md,
// "Sidecars"). Each subcommand is an effect or a measurement written in Go
// rather than a shell line. Subcommands that hold an effect follow Hold's
// contract: print one line once the effect is in place, read standard
// input, and on a line or EOF undo it and print a second line.
//
// Other files add their subcommands here with agentSubcommands (one
// constructor per file, e.g. agent_watch.go): append to it from an init
// function, and the parent picks it up.
func newAgentCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "agent",
		Short:  "Work firedrill does inside a sidecar (runs in the agent image)",
		Hidden: true,
	}
	for _, sub := range agentSubcommands {
		cmd.AddCommand(sub(g))
	}
	return cmd
}

// agentSubcommands are the constructors of `firedrill agent`'s
// subcommands, registered from each file's init.
var agentSubcommands []func(g *globals) *cobra.Command
