package agentcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr"
	"github.com/firedrill/firedrill/postgres"
)

func init() {
	agentSubcommands = append(agentSubcommands, newAgentWatchCmd)
}

// newAgentWatchCmd is the failover manager's watcher (dr.SidecarVantage):
// it runs in the app's network namespace and health-checks every Postgres
// node there, with postgres.CheckDSN, in rounds on the manager's schedule,
// printing a line per round until its input ends (dr.ServeWatcher;
// docs/architecture.md, "The failover manager"). The connection strings
// come in its environment (dr.EnvWatchDSNs): they hold the password.
func newAgentWatchCmd(g *globals) *cobra.Command {
	var (
		firstUnixNano     int64
		interval, timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "watch --first-unix-nano N --interval D --timeout D -- NODE...",
		Short: "Health-check Postgres nodes in rounds from this network namespace until stdin ends",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, nodes []string) error {
			dsns, err := watchDSNs(nodes)
			if err != nil {
				return withCode(firedrill.ExitUsage, err)
			}
			spec := dr.WatchSpec{Nodes: nodes, First: time.Unix(0, firstUnixNano), Interval: interval, Timeout: timeout}
			check := func(ctx context.Context, node string) error { return postgres.CheckDSN(ctx, dsns[node]) }
			if err := dr.ServeWatcher(cmd.Context(), spec, check, os.Stdin, g.stdout); err != nil {
				return withCode(firedrill.ExitInconclusive, err)
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&firstUnixNano, dr.FlagWatchFirst, 0, "the wall-clock instant of round 0, in Unix nanoseconds")
	cmd.Flags().DurationVar(&interval, dr.FlagWatchInterval, time.Second, "the time between two rounds")
	cmd.Flags().DurationVar(&timeout, dr.FlagWatchTimeout, time.Second, "the bound of each check")
	_ = cmd.MarkFlagRequired(dr.FlagWatchFirst)
	return cmd
}

// watchDSNs reads the nodes' connection strings from the environment; an
// error never quotes them.
func watchDSNs(nodes []string) (map[string]string, error) {
	raw := os.Getenv(dr.EnvWatchDSNs)
	if raw == "" {
		return nil, fmt.Errorf("agent watch: %s is not set", dr.EnvWatchDSNs)
	}
	var dsns map[string]string
	if err := json.Unmarshal([]byte(raw), &dsns); err != nil {
		return nil, fmt.Errorf("agent watch: %s is not a JSON object of connection strings", dr.EnvWatchDSNs)
	}
	for _, n := range nodes {
		if dsns[n] == "" {
			return nil, fmt.Errorf("agent watch: %s has no connection string for %s", dr.EnvWatchDSNs, n)
		}
	}
	return dsns, nil
}
