package agentcmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/internal/nfqueue"
	"github.com/firedrill/firedrill/internal/tcprtt"
)

// New is the hidden parent of what firedrill runs inside a sidecar
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
func New(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
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

func init() {
	agentSubcommands = append(agentSubcommands, newAgentDelayCmd, newAgentRTTCmd)
}

// newAgentDelayCmd is the delayer of a latency fault on a kernel without
// sch_netem (docs/architecture.md, "Latency without netem"): it binds an
// NFQUEUE queue in the node's network namespace and holds each packet the
// queue receives for delay ± jitter. It binds first and says so; the
// iptables rule that sends packets to the queue comes after, from another
// sidecar, and goes before the release, which accepts every packet still
// waiting at once and prints the counts (Hold's contract).
func newAgentDelayCmd(g *globals) *cobra.Command {
	var (
		queue         uint16
		maxLen        uint32
		delay, jitter time.Duration
		seed          uint64
	)
	cmd := &cobra.Command{
		Use:   "delay --queue N --delay D [--jitter J] [--seed S]",
		Short: "Hold every packet of an NFQUEUE queue for delay ± jitter until stdin ends",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if delay <= 0 || jitter < 0 || jitter > delay {
				return withCode(firedrill.ExitUsage, fmt.Errorf("agent delay: want delay > 0 and 0 <= jitter <= delay, got %s ± %s", delay, jitter))
			}
			conn, err := nfqueue.Open(queue, maxLen)
			if err != nil {
				return withCode(firedrill.ExitInconclusive, err)
			}
			fmt.Fprintf(g.stdout, "delaying queue %d: %s ± %s\n", queue, delay, jitter)
			ctx, release := context.WithCancel(cmd.Context())
			defer release()
			go func() {
				// A line or the end of the input (the harness is gone):
				// release.
				_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
				release()
			}()
			d := &nfqueue.Delayer{Delay: delay, Jitter: jitter, Rand: rand.New(rand.NewPCG(seed, uint64(queue)))}
			counts, runErr := d.Run(ctx, conn)
			closeErr := conn.Close()
			fmt.Fprintln(g.stdout, counts.Line())
			if err := errors.Join(runErr, closeErr); err != nil {
				return withCode(firedrill.ExitInconclusive, err)
			}
			return nil
		},
	}
	cmd.Flags().Uint16Var(&queue, "queue", 0, "the NFQUEUE queue number to bind")
	cmd.Flags().Uint32Var(&maxLen, "max-len", nfqueue.DefaultMaxLen, "packets that may wait at once; the kernel drops the rest")
	cmd.Flags().DurationVar(&delay, "delay", 0, "how long each packet is held")
	cmd.Flags().DurationVar(&jitter, "jitter", 0, "uniform spread around the delay")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "seed of the jitter")
	_ = cmd.MarkFlagRequired("queue")
	_ = cmd.MarkFlagRequired("delay")
	return cmd
}

// newAgentRTTCmd times TCP connects to a peer from the node's network
// namespace and prints one line (tcprtt.Sample.Line): a latency's
// evidence, before, during and after.
func newAgentRTTCmd(g *globals) *cobra.Command {
	var (
		count   int
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "rtt HOST:PORT",
		Short: "Time TCP connects to HOST:PORT and print their median",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := tcprtt.Measure(cmd.Context(), args[0], count, timeout)
			if err != nil {
				return withCode(firedrill.ExitInconclusive, err)
			}
			fmt.Fprintln(g.stdout, s.Line())
			return nil
		},
	}
	cmd.Flags().IntVar(&count, "count", 5, "connects to make, one after another")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Second, "bound of each connect")
	return cmd
}
