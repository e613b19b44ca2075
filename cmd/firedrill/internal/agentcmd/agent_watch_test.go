package agentcmd

import (
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/dr"
)

// The command line the manager builds (dr.WatcherCommand) is the one the
// agent parses.
func TestAgentWatchParsesTheManagersCommand(t *testing.T) {
	spec := dr.WatchSpec{Nodes: []string{"pg-primary", "pg-replica1"}, First: time.Unix(0, 1733100000123456789),
		Interval: 750 * time.Millisecond, Timeout: 500 * time.Millisecond}
	args := dr.WatcherCommand(spec)
	if args[0] != "agent" || args[1] != "watch" {
		t.Fatalf("command %v", args)
	}
	cmd := newAgentWatchCmd(&globals{})
	if err := cmd.ParseFlags(args[2:]); err != nil {
		t.Fatal(err)
	}
	first, _ := cmd.Flags().GetInt64(dr.FlagWatchFirst)
	interval, _ := cmd.Flags().GetDuration(dr.FlagWatchInterval)
	timeout, _ := cmd.Flags().GetDuration(dr.FlagWatchTimeout)
	if first != spec.First.UnixNano() || interval != spec.Interval || timeout != spec.Timeout {
		t.Errorf("parsed first %d interval %s timeout %s, want %+v", first, interval, timeout, spec)
	}
	if got := strings.Join(cmd.Flags().Args(), " "); got != "pg-primary pg-replica1" {
		t.Errorf("nodes %q", got)
	}
}
