// Package trouble classifies Docker trouble during a drill, and keeps the
// run's secrets out of error messages. Nothing in it talks to Docker.
package trouble

import (
	"fmt"
	"strings"

	"github.com/moby/moby/api/types/events"

	"github.com/firedrill/firedrill/platform/docker/internal/runobj"
)

// Error is Docker trouble that ends a drill as an infrastructure
// error: an object of the run removed from outside, or the daemon gone.
// Its message is one line saying what happened.
type Error struct {
	What string // "container firedrill-…-app was removed from outside the run"
	Err  error  // the underlying error, if any
}

func (t *Error) Error() string {
	if t.Err != nil {
		return t.What + ": " + firstLine(t.Err.Error())
	}
	return t.What
}

func (t *Error) Unwrap() error { return t.Err }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// Removal says whether an event is the removal of one of the run's
// objects, all of which are named with the run's prefix; own reports,
// once per expected removal, whether a removal is the run's own.
func Removal(m events.Message, prefix string, own func(id string) bool) *Error {
	if m.Action != events.ActionDestroy && m.Action != events.ActionRemove {
		return nil
	}
	if _, sidecar := m.Actor.Attributes[runobj.LabelSidecar]; sidecar {
		// The run removes its own sidecars when their command ends.
		return nil
	}
	if own(m.Actor.ID) {
		return nil // a node being replaced (replace.go)
	}
	name := m.Actor.Attributes["name"]
	if m.Type == events.VolumeEventType {
		name = m.Actor.ID
	}
	if !strings.HasPrefix(name, prefix) {
		return nil
	}
	kind := string(m.Type)
	return &Error{What: fmt.Sprintf("%s %s was removed from outside the run (docker rm or prune?)", kind, name)}
}

// Redact replaces the run's generated passwords, secrets, in s. Postgres and pgx
// already keep them out of their messages; a container's log, quoted in an
// error, may not.
func Redact(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// RedactErr returns err with its message passed through redact;
// errors.Is and errors.As still see the original.
func RedactErr(err error, redact func(string) string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := redact(msg); red != msg {
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
