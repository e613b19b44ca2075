package html

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports"
	"github.com/firedrill/firedrill/reports/html/internal/svg"
	"github.com/firedrill/firedrill/reports/internal/human"
	"github.com/firedrill/firedrill/reports/internal/words"
)

func init() {
	reports.Register(reports.Format{
		Name: "html",
		File: "report.html",
		Doc:  "one self-contained HTML file: an SVG timeline of each drill, its objectives and tables",
		New:  func(o reports.Options) reports.Renderer { return New(o) },
	})
}

// Renderer writes the HTML report (docs/reports.md, "HTML").
type Renderer struct{ opts reports.Options }

// New builds a renderer; it reads Options.Title (the title of a combined
// report) and nothing else.
func New(opts reports.Options) *Renderer { return &Renderer{opts: opts} }

// Render writes one self-contained HTML page for results, in the order
// they ran: with several, a combined summary first (per scenario, from
// reports/aggregate) and a trend chart of each scenario run more than
// once, then every drill's section.
func (r *Renderer) Render(w io.Writer, results []firedrill.Result) error {
	return Render(w, results, r.opts.Title)
}

var _ reports.Renderer = (*Renderer)(nil)

//go:embed page.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// Render writes results as one HTML page titled title (empty: the
// scenario's name for one drill). Everything taken from a result goes
// through html/template, which escapes it for where it lands; the page
// refers to nothing outside itself.
func Render(w io.Writer, results []firedrill.Result, title string) error {
	p := page{Title: title, CSS: shapeCSS(), Generated: "firedrill"}
	if p.Title == "" {
		p.Title = "firedrill report"
		if len(results) == 1 {
			p.Title = "firedrill · " + human.OrDash(results[0].Scenario)
		}
	}
	if len(results) > 1 {
		p.Summary = summarise(results)
	}
	for i, res := range results {
		p.Drills = append(p.Drills, drillSection(i, res))
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("html report: write: %w", err)
	}
	return nil
}

// page is what the template renders.
type page struct {
	Title     string
	CSS       template.CSS
	Generated string
	Summary   *summaryView
	Drills    []drillView
}

// drillView is one drill's section.
type drillView struct {
	Anchor       string
	Scenario     string
	Meta         []fact
	Verdict      string
	VerdictClass string
	Counts       string
	Exit         string
	Reasons      []string
	Warnings     []string
	Abort        string
	Objectives   table
	Timeline     svg.Chart
	Legend       []legendItem
	Sections     []section
}

// fact is a labelled value; Class marks a bad or unsure one.
type fact struct{ Label, Value, Class string }

// cell is a table cell; Class marks a bad or unsure one.
type cell struct{ Text, Class string }

// table is a table with its header row; it is left out when it has no row.
type table struct {
	Caption string
	Head    []string
	Rows    [][]cell
}

// section is a titled block of facts, notes and tables.
type section struct {
	Title  string
	Facts  []fact
	Notes  []fact
	Tables []table
}

type legendItem struct{ Class, Label string }

func cells(texts ...string) []cell {
	out := make([]cell, len(texts))
	for i, t := range texts {
		out[i] = cell{Text: t}
	}
	return out
}

// exitMeaning says what the drill's exit code tells a pipeline (README.md,
// "Exit codes").
func exitMeaning(v firedrill.Verdict) string {
	code := v.ExitCode()
	return "exit " + strconv.Itoa(code) + ": " + words.ExitMeaning(code)
}

// toneClass is the CSS class of a mark's tone.
func toneClass(t words.Tone) string {
	switch t {
	case words.Good:
		return "pass"
	case words.Bad:
		return "fail"
	case words.Unsure:
		return "unsure"
	}
	return ""
}

func verdictWord(v firedrill.Verdict) (word, class string) {
	word, tone := words.VerdictWord(v)
	return word, toneClass(tone)
}

func statusMark(s firedrill.ObjectiveStatus) (mark, class string) {
	mark, tone := words.StatusMark(s)
	return mark, toneClass(tone)
}

func drillSection(i int, r firedrill.Result) drillView {
	d := drillView{Anchor: "drill-" + strconv.Itoa(i+1), Scenario: human.OrDash(r.Scenario)}
	d.Meta = append(d.Meta, fact{Label: "run", Value: human.OrDash(r.RunID)})
	if !r.StartedAt.IsZero() {
		d.Meta = append(d.Meta, fact{Label: "started", Value: r.StartedAt.UTC().Format(time.RFC3339)})
	}
	d.Meta = append(d.Meta, fact{Label: "duration", Value: human.Millis(r.DurationMS)})
	failover := "on"
	if !r.FailoverEnabled {
		failover = "off"
	}
	d.Meta = append(d.Meta, fact{Label: "failover", Value: failover})
	d.Verdict, d.VerdictClass = verdictWord(r.Verdict)
	d.Counts = strings.Join(words.StatusCounts(r.Objectives), " · ")
	d.Exit = exitMeaning(r.Verdict)
	d.Reasons, d.Warnings = r.Reasons, r.Warnings
	if a := r.Abort; a != nil {
		d.Abort = "aborted at " + human.Millis(a.AtMS) + ": " + a.Detail
	}
	d.Objectives = table{Head: []string{"", "objective", "target", "measured", "detail"}}
	for _, o := range r.Objectives {
		mark, class := statusMark(o.Status)
		d.Objectives.Rows = append(d.Objectives.Rows, []cell{{mark, class}, {o.Name, ""}, {o.Target, ""}, {o.Measured, class}, {o.Detail, ""}})
	}
	d.Timeline = timeline(r)
	d.Legend = legend(r)
	d.Sections = append(d.Sections, faultsSection(r), writesSection(r))
	for _, s := range []*section{readsSection(r), uploadsSection(r), managerSection(r), replicationSection(r), drSection(r)} {
		if s != nil {
			d.Sections = append(d.Sections, *s)
		}
	}
	d.Sections = append(d.Sections, eventsSection(r))
	return d
}

// legend lists what the timeline of r draws, and only that.
func legend(r firedrill.Result) []legendItem {
	items := []legendItem{{"fault", "fault in effect (injection to revert)"}}
	if _, ok := rtoTarget(r); ok {
		items = append(items, legendItem{"band", "RTO objective band: T to T + target"})
	}
	items = append(items, legendItem{"rto-met", "measured RTO, within target"}, legendItem{"rto-missed", "RTO past target, or never recovered"})
	if r.Series != nil && len(r.Series.Buckets) > 0 {
		items = append(items, legendItem{"w-ok", "writes ok"}, legendItem{"w-failed", "writes failed"}, legendItem{"w-indet", "writes indeterminate"},
			legendItem{"p50", "latency p50"}, legendItem{"p99", "latency p99"})
	}
	has := map[firedrill.EventKind]bool{}
	for _, e := range r.Events {
		has[e.Kind] = true
	}
	for _, k := range []struct {
		kind        firedrill.EventKind
		class, text string
	}{
		{firedrill.EventDetect, "detect", "failover detect"}, {firedrill.EventFence, "fence", "fence"},
		{firedrill.EventPromote, "promote", "promote"}, {firedrill.EventDemote, "demote", "demote"},
		{firedrill.EventFailoverBlind, "blind", "manager blind"},
		{firedrill.EventFailoverWithheld, "withheld", "failover withheld"}, {firedrill.EventRedundancyRestored, "redundancy", "redundancy restored"},
	} {
		if has[k.kind] {
			items = append(items, legendItem{k.class, k.text})
		}
	}
	if d := r.DR; d != nil {
		if len(d.Backups) > 0 {
			items = append(items, legendItem{"backup", "backup"}, legendItem{"backup-failed", "backup failed"})
		}
		for _, p := range words.RestorePhaseOrder {
			for _, rs := range d.Restores {
				if _, ok := rs.Phases[p.Key]; ok {
					items = append(items, legendItem{"ph-" + p.Key, "restore: " + p.Label})
					break
				}
			}
		}
		if len(d.Plans) > 0 {
			items = append(items, legendItem{"step-ok", "plan step ok"}, legendItem{"step-skipped", "step skipped"}, legendItem{"step-failed", "step failed"})
		}
	}
	if r.Series != nil && len(r.Series.Lag) > 0 {
		items = append(items, legendItem{"unmeasured", "standby not streaming: lag unknown"})
	}
	return items
}
