package html

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/aggregate"
	"github.com/firedrill/firedrill/reports/html/internal/svg"
	"github.com/firedrill/firedrill/reports/internal/human"
)

// summaryView is the combined report's head: one row per scenario, and a
// trend chart for each scenario run more than once.
type summaryView struct {
	Table  table
	Trends []trendView
	Index  []indexEntry
}

type trendView struct {
	Scenario string
	Chart    svg.Chart
}

// indexEntry links to a drill's section.
type indexEntry struct {
	Anchor, Label, Verdict, Class string
}

// summarise reads the per-scenario summary from reports/aggregate: the
// percentiles are nearest rank (docs/measurement.md, "Percentiles"), the
// runs that could not measure a figure are counted apart, and an RTO that
// never ended is "never", ranked above every number.
func summarise(results []firedrill.Result) *summaryView {
	sv := &summaryView{Table: table{Head: []string{"scenario", "runs", "verdicts", "RTO p50 · p90 · max", "RPO p50 · p90 · max", "lost writes p50 · p90 · max"}}}
	summaries := aggregate.Summarise(results)
	byManager := len(aggregate.Managers(summaries)) > 1 // docs/reports.md, "Game days: repeats, suites and history"
	if byManager {
		sv.Table.Head = slices.Insert(sv.Table.Head, 1, "manager")
	}
	for _, sc := range summaries {
		var verdicts []string
		class := "pass"
		for _, v := range []firedrill.Verdict{firedrill.VerdictPass, firedrill.VerdictFail, firedrill.VerdictInconclusive} {
			if n := sc.Verdicts[v]; n > 0 {
				verdicts = append(verdicts, fmt.Sprintf("%d %s", n, v))
				if v == firedrill.VerdictFail {
					class = "fail"
				} else if v == firedrill.VerdictInconclusive && class == "pass" {
					class = "unsure"
				}
			}
		}
		row := []cell{{Text: human.OrDash(sc.Scenario)}, {Text: strconv.Itoa(len(sc.Runs))},
			{Text: strings.Join(verdicts, " · "), Class: class}, statCell(sc.RTO, durationValue), statCell(sc.RPO, durationValue), statCell(sc.Lost, countValue)}
		if byManager {
			row = slices.Insert(row, 1, cell{Text: human.OrDash(sc.Manager)})
		}
		sv.Table.Rows = append(sv.Table.Rows, row)
		if len(sc.Runs) > 1 {
			sv.Trends = append(sv.Trends, trendView{Scenario: human.OrDash(sc.Scenario), Chart: trendChart(sc)})
		}
	}
	for i, r := range results {
		word, class := verdictWord(r.Verdict)
		label := human.OrDash(r.Scenario)
		if r.RunID != "" {
			label += " · run " + r.RunID
		}
		if !r.StartedAt.IsZero() {
			label += " · " + r.StartedAt.UTC().Format(time.RFC3339)
		}
		sv.Index = append(sv.Index, indexEntry{Anchor: "drill-" + strconv.Itoa(i+1), Label: label, Verdict: word, Class: class})
	}
	return sv
}

// durationValue writes a run's RTO or RPO; countValue its lost writes.
func durationValue(v aggregate.Value) string {
	if v.Never {
		return "never"
	}
	return human.Millis(v.MS)
}

func countValue(v aggregate.Value) string { return strconv.FormatFloat(v.MS, 'f', -1, 64) }

// statCell writes a figure over runs: its percentiles over the runs that
// measured it, and how many could not, apart.
func statCell(st aggregate.Stat, value func(aggregate.Value) string) cell {
	if st.P50 == nil || st.P90 == nil || st.Max == nil {
		return cell{Text: fmt.Sprintf("not measured (%d runs)", st.Unmeasured), Class: "unsure"}
	}
	c := cell{Text: value(*st.P50) + " · " + value(*st.P90) + " · " + value(*st.Max)}
	if st.Unmeasured > 0 {
		c.Text += fmt.Sprintf(" (over %d runs; %d not measured)", st.Measured, st.Unmeasured)
		c.Class = "unsure"
	}
	if st.Max.Never {
		c.Class = "fail"
	}
	return c
}

// The trend chart's layout.
const (
	trendWidth  = 1100.0
	trendLeft   = 96.0
	trendRight  = 20.0
	trendTop    = 24.0 // the row of runs that never recovered
	trendPlotH  = 160.0
	trendRowH   = 16.0 // the rows of unmeasured figures and of verdicts
	trendBottom = 40.0
)

// trendChart draws a scenario's RTO and RPO run by run, in start order
// (aggregate sorts them): a dot per measured figure, joined while
// consecutive runs measured it. A run that never recovered is a red mark
// above the plot, a figure not measured a hollow mark in its own row under
// it, never a dot at zero; the bottom row gives each run's verdict.
func trendChart(sc aggregate.Scenario) svg.Chart {
	c := svg.Chart{Width: svg.Num(trendWidth), Label: "RTO and RPO per run of " + sc.Scenario}
	maxMS := 1.0
	for _, r := range sc.Runs {
		for _, v := range []*aggregate.Value{r.RTO, r.RPO} {
			if v != nil && !v.Never {
				maxMS = max(maxMS, v.MS)
			}
		}
	}
	step := svg.NiceStep(maxMS, 5)
	maxMS = step * float64(int(maxMS/step)+1)
	plotBottom := trendTop + 14 + trendPlotH
	y := svg.Linear{Domain: maxMS, From: 0, Length: trendPlotH}
	n := len(sc.Runs)
	colW := (trendWidth - trendLeft - trendRight) / float64(n)
	xOf := func(i int) float64 { return trendLeft + colW*(float64(i)+0.5) }

	for v := 0.0; v <= maxMS+step/1000; v += step {
		yy := plotBottom - y.At(v)
		c.Add(svg.Line("grid", trendLeft, yy, trendWidth-trendRight, yy, ""), svg.Text("small", trendLeft-4, yy+3, "end", human.Millis(v)))
	}
	c.Add(svg.Text("warn", trendLeft-4, trendTop+4, "end", "never"),
		svg.Text("small", trendLeft-4, plotBottom+trendRowH-2, "end", "not measured"),
		svg.Text("small", trendLeft-4, plotBottom+2*trendRowH-2, "end", "verdict"))

	for _, fig := range []struct {
		name, class string
		get         func(aggregate.Run) *aggregate.Value
		dy          float64 // the two figures' marks side by side in a run's column
	}{
		{"RTO", "t-rto", func(r aggregate.Run) *aggregate.Value { return r.RTO }, -4},
		{"RPO", "t-rpo", func(r aggregate.Run) *aggregate.Value { return r.RPO }, 4},
	} {
		var run [][2]float64
		flush := func() {
			if len(run) > 1 {
				c.Add(svg.Polyline(fig.class+"-line", run, fig.name))
			}
			run = nil
		}
		for i, r := range sc.Runs {
			v := fig.get(r)
			x := xOf(i) + fig.dy
			who := runLabel(i, r)
			switch {
			case v == nil:
				flush()
				c.Add(svg.Circle("unmeasured", x, plotBottom+trendRowH/2, 3.5, who+": "+fig.name+" not measured"))
			case v.Never:
				flush()
				c.Add(svg.Diamond("never", x, trendTop, 5, who+": "+fig.name+" never (a fault never recovered)"))
			default:
				yy := plotBottom - y.At(v.MS)
				run = append(run, [2]float64{x, yy})
				c.Add(svg.Circle(fig.class, x, yy, 4, who+": "+fig.name+" "+human.Millis(v.MS)))
			}
		}
		flush()
	}
	for i, r := range sc.Runs {
		word, class := verdictWord(r.Verdict)
		c.Add(svg.Rect("v-"+class, xOf(i)-min(colW/2-2, 20), plotBottom+trendRowH+2, min(colW-4, 40), trendRowH-4, runLabel(i, r)+": "+word))
		if n <= 30 || i%((n+29)/30) == 0 {
			c.Add(svg.Text("small", xOf(i), plotBottom+2*trendRowH+14, "middle", "#"+strconv.Itoa(i+1)))
		}
	}
	c.Add(svg.Text("lbl", trendLeft, 12, "start", "RTO ●"), svg.Text("lbl", trendLeft+60, 12, "start", "RPO ●"))
	c.Shapes[len(c.Shapes)-2].Class, c.Shapes[len(c.Shapes)-1].Class = "t-rto-text", "t-rpo-text"
	c.Height = svg.Num(plotBottom + 2*trendRowH + trendBottom)
	return c
}

// runLabel names a run in a hover title.
func runLabel(i int, r aggregate.Run) string {
	s := "run #" + strconv.Itoa(i+1)
	if r.RunID != "" {
		s += " " + r.RunID
	}
	if !r.StartedAt.IsZero() {
		s += " (" + r.StartedAt.UTC().Format(time.RFC3339) + ")"
	}
	return s
}
