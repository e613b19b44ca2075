// Package logs follows a container's output through the Docker API: the
// stream a job's report lines and a replaced node's log come in
// (docs/architecture.md, "Sidecars" and "Replacing a lost node").
package logs

import (
	"context"
	"io"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/platform/docker/internal/lines"
)

// Follow copies a container's output (stdout and stderr, from its first
// line) into w: with follow, until the container stops, else what it has
// printed so far. done receives the end of the copy; stop ends it and
// returns once w will be written no more.
func Follow(ctx context.Context, docker *client.Client, id string, w io.Writer, follow bool) (done <-chan error, stop func(), err error) {
	fctx, cancel := context.WithCancel(ctx)
	out, err := docker.ContainerLogs(fctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow})
	if err != nil {
		cancel()
		return nil, nil, err
	}
	result := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		_, err := stdcopy.StdCopy(w, w, out)
		result <- err
	}()
	return result, func() {
		cancel()
		out.Close()
		<-finished
	}, nil
}

// CatchUp hands on, redacted, the lines of a container's log after the
// first skip: what a follow had not delivered when it was stopped. It
// gives up after ten seconds (a daemon that does not answer).
func CatchUp(ctx context.Context, docker *client.Client, id string, each func(string), redact func(string) string, skip int) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rest := &lines.Writer{Each: each, Redact: redact, Skip: skip}
	done, stop, err := Follow(cctx, docker, id, rest, false)
	if err != nil {
		return
	}
	<-done
	stop()
	rest.Flush()
}
