// Package agentcmd is the hidden `firedrill agent ...` command tree: what
// firedrill runs inside sidecars (started with
// platform.WithImage(platform.SidecarAgent)) and DR job containers rather
// than on the harness's side (docs/architecture.md, "Sidecars"). New builds
// the tree; cmd/firedrill adds it to its root.
//
// A subcommand's error that carries an exit code is an *ExitError; the
// caller turns it into the process's exit status.
package agentcmd

import (
	"fmt"
	"io"
)

// ExitError carries the process exit code chosen by an agent subcommand.
// A nil Err means exit with Code and print nothing.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// withCode attaches an exit code to err.
func withCode(code int, err error) error { return &ExitError{Code: code, Err: err} }

// globals are what the agent subcommands read of the CLI's shared state.
type globals struct {
	stdout io.Writer
	stderr io.Writer
}
