package runobj

import (
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

func TestLeaseAlive(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, c := range []struct {
		state   container.ContainerState
		created time.Duration // before now
		want    bool
	}{
		{container.StateRunning, time.Hour, true},
		{container.StatePaused, time.Hour, true},
		{container.StateExited, time.Second, false},
		{container.StateDead, time.Second, false},
		// Created but not started yet: a harness between its create and start.
		{container.StateCreated, 10 * time.Second, true},
		{container.StateCreated, leaseStartGrace, false},
		{container.StateCreated, time.Hour, false},
	} {
		got := LeaseAlive(container.Summary{State: c.state, Created: now.Add(-c.created).Unix()}, now)
		if got != c.want {
			t.Errorf("%s, created %s ago: alive %v, want %v", c.state, c.created, got, c.want)
		}
	}
}

func TestNewRunIDsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := NewRunID()
		if seen[id] {
			t.Fatalf("run id %s twice", id)
		}
		seen[id] = true
		if len(id) != len("20261121-230501-")+2*runIDRandomBytes {
			t.Fatalf("run id %q has the wrong length", id)
		}
	}
}

func TestCheckRunID(t *testing.T) {
	for id, ok := range map[string]bool{
		NewRunID():                 true,
		"itest-clean":              true,
		"":                         false,
		strings.Repeat("a", 32):    true,
		strings.Repeat("a", 33):    false,
		"20261201-120000-ab/../x":  false,
		"run with spaces":          false,
		"20261201-120000-\x1b[31m": false,
	} {
		if err := CheckRunID(id); (err == nil) != ok {
			t.Errorf("CheckRunID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}
