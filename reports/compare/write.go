package compare

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Write prints the comparison for a terminal: per scenario, a table of
// the figures, OLD and NEW side by side, and how each changed.
func Write(w io.Writer, c Comparison) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, s := range c.Scenarios {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "%s (OLD %s, NEW %s)\n", s.Scenario, runs(s.OldRuns), runs(s.NewRuns))
		fmt.Fprintf(tw, "  \tOLD\tNEW\tchange\n")
		for _, f := range s.Figures {
			change := string(f.Change)
			if f.Delta != "" {
				change += " (" + f.Delta + ")"
			}
			if f.Note != "" {
				change += ": " + f.Note
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", f.Name, f.Old, f.New, change)
		}
	}
	n := c.Counts()
	fmt.Fprintf(tw, "\n%d better, %d worse, %d same, %d not comparable\n", n[Better], n[Worse], n[Same], n[NotComparable])
	return tw.Flush()
}

func runs(n int) string {
	if n == 1 {
		return "1 run"
	}
	return fmt.Sprintf("%d runs", n)
}
