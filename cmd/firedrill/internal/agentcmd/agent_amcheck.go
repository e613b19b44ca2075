package agentcmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/dr/jobs"
)

func init() {
	agentSubcommands = append(agentSubcommands, newAgentAmcheckCmd)
}

// newAgentAmcheckCmd checks a restored database's btree indexes with
// amcheck, as a DR job inside the environment: the harness speaks to no
// database but through the postgres package, and a restore's verification
// is the DR engine's work (docs/architecture.md, "Recovery plans"). The
// result line carries the verdict; corrupt indexes are a result, not an
// error.
func newAgentAmcheckCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "amcheck",
		Short: "Check every btree index of FIREDRILL_PG_DSN's database with amcheck (a DR job)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := jobDSN(false)
			if err != nil {
				return err
			}
			am := jobs.CheckIndexes(cmd.Context(), dsn)
			var ferr error
			if am.Error != "" {
				ferr = fmt.Errorf("amcheck: %s", am.Error)
			}
			detail := fmt.Sprintf("%d indexes checked", am.Indexes)
			if len(am.Corrupt) > 0 {
				detail += ", corrupt: " + strings.Join(am.Corrupt, ", ")
			}
			return jobFailed(jobs.Finish(cmd.OutOrStdout(), jobs.Report{Phase: jobs.PhaseAmcheck, Detail: detail, Amcheck: am}, ferr))
		},
	}
}
