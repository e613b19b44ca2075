package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"

	"github.com/spf13/cobra"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/cmd/firedrill/internal/agentcmd"
	"github.com/firedrill/firedrill/cmd/firedrill/internal/reportcmd"
	_ "github.com/firedrill/firedrill/reports/all" // the junit, markdown and html formats
)

// exitError carries the process exit code chosen by a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// withCode attaches an exit code to err.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// globals are the flags every command shares.
type globals struct {
	verbose bool
	stdout  io.Writer
	stderr  io.Writer
	log     *slog.Logger
	// cleanup is cancelled by a second interrupt: skip the reverts, force
	// the teardown.
	cleanup context.Context
	// notices is where the interrupt notices go: stderr, or the live
	// console while a run shows one, so that its redraw does not wipe them.
	notices *switchWriter
}

// switchWriter writes to one writer at a time, changed with Set; safe for
// concurrent use (the signal goroutine writes while a run swaps it).
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Set makes w the destination and returns the previous one.
func (s *switchWriter) Set(w io.Writer) (prev io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, s.w = s.w, w
	return prev
}

// interrupts returns a context cancelled by the first SIGINT or SIGTERM
// (the drill stops, reverts its faults and tears down) and a cleanup
// context cancelled by the second (reverts are skipped and the teardown is
// forced at once). Further signals are ignored: the teardown must finish,
// or the run leaks.
func interrupts(stderr io.Writer) (ctx, cleanup context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	cleanup, force := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				n++
				switch n {
				case 1:
					fmt.Fprintf(stderr, "firedrill: %s: stopping; faults are reverted and the environment removed (interrupt again to skip the reverts)\n", sig)
					cancel()
				case 2:
					fmt.Fprintf(stderr, "firedrill: %s again: skipping reverts, forcing the teardown\n", sig)
					force()
				}
			}
		}
	}()
	return ctx, cleanup, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
		force()
	}
}

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs the CLI and returns the exit code. Signals cancel the
// context; commands clean up before returning.
func execute(args []string, stdout, stderr io.Writer) int {
	notices := &switchWriter{w: stderr}
	ctx, cleanup, stop := interrupts(notices)
	defer stop()
	g := &globals{stdout: stdout, stderr: stderr, cleanup: cleanup, notices: notices}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	if ae, ok := errors.AsType[*agentcmd.ExitError](err); ok {
		err = withCode(ae.Code, ae.Err)
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "firedrill: %v\n", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown command, bad flag.
	fmt.Fprintf(stderr, "firedrill: %v\n", err)
	return firedrill.ExitUsage
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "firedrill",
		Short: "Chaos and disaster-recovery drills with a measured RTO and RPO",
		Long: `firedrill builds a Postgres + MinIO + app environment in Docker from a scenario,
drives an open-loop workload through it, injects faults, lets its DR engine
fail over, and scores the recovery the clients saw against your objectives.

Exit codes: 0 all objectives met, 1 an objective missed, 2 invalid scenario or
usage, 3 inconclusive or infrastructure error, 130 interrupted (after cleanup).
Logs and progress go to stderr; results, and --json output alone, to stdout.`,
		Example: `  firedrill list                      # the built-in scenarios
  firedrill plan primary-kill         # what a drill would do, without starting anything
  firedrill run primary-kill          # run it
  firedrill validate my-drill.yaml    # check a scenario file`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			level := slog.LevelWarn
			if cmd.Name() == "app" {
				level = slog.LevelInfo // the app's log is its container's log
			}
			if g.verbose {
				level = slog.LevelDebug
			}
			g.log = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
			// testcontainers prints every container step by default.
			tclog.SetDefault(tcLogger{g.log})
		},
	}
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "debug logs on stderr")
	root.AddCommand(newRunCmd(g), newImagesCmd(g), newCleanCmd(g), newListCmd(g), newValidateCmd(g), newPlanCmd(g), newSchemaCmd(g),
		newAppCmd(g), newVersionCmd(g), newLeaseCmd(g), agentcmd.New(g.stdout, g.stderr))
	root.AddCommand(reportcmd.Commands(reportcmd.Env{Stdout: g.stdout, Stderr: g.stderr, WithCode: withCode,
		Color: func(w io.Writer) bool { return useColor("auto", w) }})...)
	return root
}

type tcLogger struct{ l *slog.Logger }

func (t tcLogger) Printf(format string, v ...any) {
	t.l.Debug(fmt.Sprintf(format, v...), "from", "testcontainers")
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version",
		Example: `  firedrill version`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, rev := "(devel)", ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				v = bi.Main.Version
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						rev = s.Value
					}
				}
			}
			fmt.Fprintf(g.stdout, "firedrill %s %s\n", v, rev)
			return nil
		},
	}
}
