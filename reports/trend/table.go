package trend

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/aggregate"
	"github.com/firedrill/firedrill/reports/internal/human"
)

// NotMeasured is how a figure a run did not measure is written.
const NotMeasured = "not measured"

// WriteTable writes each scenario's runs and their percentiles; with
// several failover managers, each scenario's heading names its manager.
func WriteTable(w io.Writer, scenarios []aggregate.Scenario) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	byManager := len(aggregate.Managers(scenarios)) > 1
	for i, s := range scenarios {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		name := s.Scenario
		if byManager {
			name += " (" + human.OrDash(s.Manager) + ")"
		}
		fmt.Fprintf(tw, "%s: %s\n", name, Verdicts(s))
		fmt.Fprintln(tw, "  started at (UTC)\trun id\tverdict\tRTO\tRPO\tlost")
		for _, r := range s.Runs {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", startedAt(r.StartedAt), human.OrDash(r.RunID), r.Verdict,
				FormatValue(r.RTO, false), FormatValue(r.RPO, false), FormatValue(r.Lost, true))
		}
		for _, p := range []struct {
			name string
			get  func(aggregate.Stat) *aggregate.Value
		}{
			{"p50", func(st aggregate.Stat) *aggregate.Value { return st.P50 }},
			{"p90", func(st aggregate.Stat) *aggregate.Value { return st.P90 }},
			{"max", func(st aggregate.Stat) *aggregate.Value { return st.Max }},
		} {
			fmt.Fprintf(tw, "  %s\t\t\t%s\t%s\t%s\n", p.name, FormatValue(p.get(s.RTO), false), FormatValue(p.get(s.RPO), false), FormatValue(p.get(s.Lost), true))
		}
		if s.RTO.Unmeasured+s.RPO.Unmeasured+s.Lost.Unmeasured > 0 {
			fmt.Fprintf(tw, "  unmeasured\t\t\t%d\t%d\t%d\n", s.RTO.Unmeasured, s.RPO.Unmeasured, s.Lost.Unmeasured)
			fmt.Fprintln(tw, "  (unmeasured: runs that could not measure the figure, left out of p50/p90/max)")
		}
	}
	return tw.Flush()
}

// Verdicts says how many runs there were and how they ended: "5 runs: 4
// pass, 1 fail".
func Verdicts(s aggregate.Scenario) string {
	var parts []string
	for _, v := range []firedrill.Verdict{firedrill.VerdictPass, firedrill.VerdictFail, firedrill.VerdictInconclusive} {
		if n := s.Verdicts[v]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, v))
		}
	}
	runs := "runs"
	if len(s.Runs) == 1 {
		runs = "run"
	}
	return fmt.Sprintf("%d %s: %s", len(s.Runs), runs, strings.Join(parts, ", "))
}

func startedAt(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// FormatValue writes one figure of the aggregate: a duration (count: a
// number of writes), "never", or "not measured".
func FormatValue(v *aggregate.Value, count bool) string {
	switch {
	case v == nil:
		return NotMeasured
	case v.Never:
		return "never"
	case count:
		return strconv.FormatFloat(v.MS, 'f', -1, 64)
	}
	return human.Millis(v.MS)
}
