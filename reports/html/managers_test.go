package html

import (
	"testing"

	goldenfiles "github.com/firedrill/firedrill/reports/markdown/golden"
)

// With more than one failover manager in the results, the combined report
// names each one's manager (docs/reports.md, "Game days: repeats, suites
// and history").
func TestCombinedNamesTheManagers(t *testing.T) {
	goldenfiles.CheckManagers(t, Render, "<th>manager</th>", "<td>builtin</td>")
}
