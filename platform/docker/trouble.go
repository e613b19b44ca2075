package docker

// Docker trouble during a drill, and the secrets that must never reach an
// error message.

import (
	"github.com/firedrill/firedrill/topology"

	"context"
	"errors"
	"io"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/platform/docker/internal/trouble"
)

// TroubleError is Docker trouble that ends a drill as an infrastructure
// error (see trouble.Error).
type TroubleError = trouble.Error

// Watch reports Docker trouble while a drill runs: it returns a channel that
// receives one *TroubleError when a container, network or volume of the run
// is removed by someone other than the run itself, or when the connection to
// the daemon's event stream is lost (a daemon restart or stop). It stops
// when ctx ends, which must happen before Down: the run's own teardown
// removes objects too. Faults do not remove objects (kill, stop and pause
// leave the container in place), so every removal seen here is trouble,
// but for the run's sidecars, which the run removes when their command ends.
func (e *Env) Watch(ctx context.Context) <-chan *TroubleError {
	out := make(chan *TroubleError, 1)
	ev := e.docker.Events(ctx, client.EventsListOptions{
		Filters: make(client.Filters).Add("type", string(events.ContainerEventType), string(events.NetworkEventType), string(events.VolumeEventType)),
	})
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-ev.Messages:
				if t := e.troubleIn(m); t != nil {
					out <- t
					return
				}
			case err := <-ev.Err:
				if ctx.Err() != nil {
					return
				}
				if err == nil || errors.Is(err, io.EOF) {
					err = errors.New("event stream closed")
				}
				out <- &TroubleError{What: "lost the connection to the Docker daemon (restarted or stopped?)", Err: err}
				return
			}
		}
	}()
	return out
}

// troubleIn says whether an event is the removal of one of the run's
// objects, all of which are named with the run's prefix.
func (e *Env) troubleIn(m events.Message) *TroubleError {
	return trouble.Removal(m, topology.ObjectPrefix(e.RunID), e.ownRemoval)
}

// redact replaces the run's generated passwords in s. Postgres and pgx
// already keep them out of their messages; a container's log, quoted in an
// error, may not.
func (e *Env) redact(s string) string { return trouble.Redact(s, e.pgPassword, e.s3Password) }

// redactErr returns err with the run's passwords replaced in its message;
// errors.Is and errors.As still see the original.
func (e *Env) redactErr(err error) error { return trouble.RedactErr(err, e.redact) }
