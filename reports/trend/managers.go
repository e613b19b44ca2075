package trend

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/aggregate"
	"github.com/firedrill/firedrill/reports/internal/human"
	"github.com/firedrill/firedrill/reports/internal/words"
)

// WriteManagerTable writes the comparison of failover managers
// (`firedrill run --manager`; docs/reports.md, "Game days: repeats, suites
// and history"): a row per scenario per manager with its runs and
// verdicts, the RTO's p50 and max, the median of each phase of the faults
// that set the RTO, the most writes lost, how many runs saw a split brain,
// and the time to full redundancy (the full_redundancy phase) p50 and max.
func WriteManagerTable(w io.Writer, scenarios []aggregate.Scenario) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmanager\truns\tRTO p50\tRTO max\tphases p50\tlost max\tsplit brain\tfull redundancy p50\tmax")
	for _, s := range scenarios {
		full := s.Phases[firedrill.PhaseFullRedundancy]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d of %d\t%s\t%s\n", human.OrDash(s.Scenario), human.OrDash(s.Manager), Verdicts(s),
			FormatValue(s.RTO.P50, false), FormatValue(s.RTO.Max, false), phaseMedians(s),
			FormatValue(s.Lost.Max, true), s.SplitBrain, len(s.Runs), FormatValue(full.P50, false), FormatValue(full.Max, false))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "(phases: offsets from the fault of the run's RTO, median over the runs that had the phase; docs/measurement.md, \"RTO\")")
	return err
}

// phaseMedians is the median of each phase up to the first write, in the
// order they happen: "detect 2.01s · fence 2.10s · promote 2.50s".
func phaseMedians(s aggregate.Scenario) string {
	var parts []string
	for _, p := range words.FaultPhaseOrder {
		st, ok := s.Phases[p.Key]
		if !ok || st.P50 == nil || p.Key == firedrill.PhaseFullRedundancy {
			continue
		}
		parts = append(parts, p.Label+" "+FormatValue(st.P50, false))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " · ")
}
