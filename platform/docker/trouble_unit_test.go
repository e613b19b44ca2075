package docker

import (
	"github.com/firedrill/firedrill/topology"

	"errors"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/events"
)

func TestTroubleIn(t *testing.T) {
	e := &Env{RunID: "20261201-120000-0123456789"}
	other := "20261201-120000-abcdefabcd"
	msg := func(typ events.Type, action events.Action, id, name string) events.Message {
		m := events.Message{Type: typ, Action: action, Actor: events.Actor{ID: id, Attributes: map[string]string{}}}
		if name != "" {
			m.Actor.Attributes["name"] = name
		}
		return m
	}
	for _, c := range []struct {
		m    events.Message
		want string // "" means no trouble
	}{
		{msg(events.ContainerEventType, events.ActionDestroy, "c1", topology.ContainerName(e.RunID, "app")),
			"container firedrill-20261201-120000-0123456789-app was removed from outside the run"},
		{msg(events.NetworkEventType, events.ActionDestroy, "n1", topology.ObjectPrefix(e.RunID)+"east"),
			"network firedrill-20261201-120000-0123456789-east was removed"},
		{msg(events.VolumeEventType, events.ActionDestroy, topology.ObjectPrefix(e.RunID)+"pg-primary", ""),
			"volume firedrill-20261201-120000-0123456789-pg-primary was removed"},
		// A kill or a stop is a fault, not trouble.
		{msg(events.ContainerEventType, events.ActionDie, "c1", topology.ContainerName(e.RunID, "pg-primary")), ""},
		{msg(events.ContainerEventType, events.ActionKill, "c1", topology.ContainerName(e.RunID, "pg-primary")), ""},
		// Another run's objects are none of this run's business.
		{msg(events.ContainerEventType, events.ActionDestroy, "c2", topology.ContainerName(other, "app")), ""},
	} {
		got := e.troubleIn(c.m)
		switch {
		case c.want == "" && got != nil:
			t.Errorf("%s %s %v: trouble %q, want none", c.m.Type, c.m.Action, c.m.Actor.Attributes, got)
		case c.want != "" && (got == nil || !strings.Contains(got.Error(), c.want)):
			t.Errorf("%s %s: trouble %v, want %q", c.m.Type, c.m.Action, got, c.want)
		}
	}
}

func TestRedact(t *testing.T) {
	e := &Env{pgPassword: "pgsecret123", s3Password: "s3secret456"}
	inner := errors.New("start app: exit 1\n    last log lines of app:\n      dial postgres://firedrill:pgsecret123@pg-primary; minio key s3secret456")
	err := e.redactErr(inner)
	if strings.Contains(err.Error(), "pgsecret123") || strings.Contains(err.Error(), "s3secret456") {
		t.Fatalf("secret in %q", err)
	}
	if !strings.Contains(err.Error(), "firedrill:[redacted]@pg-primary") {
		t.Errorf("redacted message %q lost its context", err)
	}
	if !errors.Is(err, inner) {
		t.Error("the redacted error no longer wraps the original")
	}
	if plain := errors.New("nothing secret"); e.redactErr(plain) != plain {
		t.Error("an error without secrets was rewrapped")
	}
	if (&Env{}).redact("abc") != "abc" {
		t.Error("empty secrets must not redact anything")
	}
}
