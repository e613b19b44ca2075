package docker

// Docker trouble during a drill, and the secrets that must never reach an
// error message.

import (
	"github.com/firedrill/firedrill/topology"

	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
)

// TroubleError is Docker trouble that ends a drill as an infrastructure
// error: an object of the run removed from outside, or the daemon gone.
// Its message is one line saying what happened.
type TroubleError struct {
	What string // "container firedrill-…-app was removed from outside the run"
	Err  error  // the underlying error, if any
}

func (t *TroubleError) Error() string {
	if t.Err != nil {
		return t.What + ": " + firstLine(t.Err.Error())
	}
	return t.What
}

func (t *TroubleError) Unwrap() error { return t.Err }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

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
	if m.Action != events.ActionDestroy && m.Action != events.ActionRemove {
		return nil
	}
	if _, sidecar := m.Actor.Attributes[LabelSidecar]; sidecar {
		// The run removes its own sidecars when their command ends.
		return nil
	}
	if e.ownRemoval(m.Actor.ID) {
		return nil // a node being replaced (replace.go)
	}
	name := m.Actor.Attributes["name"]
	if m.Type == events.VolumeEventType {
		name = m.Actor.ID
	}
	if !strings.HasPrefix(name, topology.ObjectPrefix(e.RunID)) {
		return nil
	}
	kind := string(m.Type)
	return &TroubleError{What: fmt.Sprintf("%s %s was removed from outside the run (docker rm or prune?)", kind, name)}
}

// redact replaces the run's generated passwords in s. Postgres and pgx
// already keep them out of their messages; a container's log, quoted in an
// error, may not.
func (e *Env) redact(s string) string {
	for _, secret := range []string{e.pgPassword, e.s3Password} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// redactErr returns err with the run's passwords replaced in its message;
// errors.Is and errors.As still see the original.
func (e *Env) redactErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := e.redact(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (r *redactedError) Error() string { return r.msg }
func (r *redactedError) Unwrap() error { return r.err }
