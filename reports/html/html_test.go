package html

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports"
	"github.com/firedrill/firedrill/reports/html/internal/svg"
	"github.com/firedrill/firedrill/reports/markdown/golden"
)

// node is an element of a parsed report: the page is written to be
// well-formed XML as well as HTML, so that these tests read its structure
// with encoding/xml instead of matching strings.
type node struct {
	Name     string
	Attr     map[string]string
	Children []*node
	Text     string // the character data directly inside it
}

// parse reads a rendered page strictly as XML.
func parse(t *testing.T, page []byte) *node {
	t.Helper()
	doc, err := parseDoc(page)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func parseDoc(page []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(page))
	dec.Strict = true
	root := &node{Name: "#document"}
	stack := []*node{root}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return root, nil
		}
		if err != nil {
			line, col := dec.InputPos()
			lines := strings.Split(string(page), "\n")
			context := ""
			if line-1 < len(lines) {
				context = lines[line-1]
			}
			return nil, fmt.Errorf("the page is not well-formed at %d:%d: %w\n%s", line, col, err, svg.Clip(context, 300))
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{Name: tok.Name.Local, Attr: map[string]string{}}
			for _, a := range tok.Attr {
				n.Attr[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.Children = append(top.Children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].Text += string(tok)
		}
	}
}

// all lists the elements under n (n included) that match.
func (n *node) all(match func(*node) bool) []*node {
	var out []*node
	var walk func(*node)
	walk = func(m *node) {
		if match(m) {
			out = append(out, m)
		}
		for _, c := range m.Children {
			walk(c)
		}
	}
	walk(n)
	return out
}

func named(name string) func(*node) bool { return func(n *node) bool { return n.Name == name } }

func classed(el, class string) func(*node) bool {
	return func(n *node) bool { return n.Name == el && n.Attr["class"] == class }
}

// title is the hover title of an element: its <title> child's text.
func (n *node) title() string {
	for _, c := range n.Children {
		if c.Name == "title" {
			return c.Text
		}
	}
	return ""
}

// text is all the character data under n.
func (n *node) text() string {
	var b strings.Builder
	for _, m := range n.all(func(*node) bool { return true }) {
		b.WriteString(m.Text)
	}
	return b.String()
}

func (n *node) float(t *testing.T, attr string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.Attr[attr], 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.Name, attr, n.Attr[attr], err)
	}
	return v
}

func render(t *testing.T, results ...firedrill.Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, results, ""); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// svgs are the page's charts; the first is the first drill's timeline
// when the page has one drill.
func svgs(t *testing.T, doc *node) []*node {
	t.Helper()
	out := doc.all(named("svg"))
	if len(out) == 0 {
		t.Fatal("the page has no SVG")
	}
	return out
}

func TestRegistered(t *testing.T) {
	f, ok := reports.Lookup("html")
	if !ok || f.File != "report.html" || f.New == nil || f.Doc == "" {
		t.Fatalf("html format: %+v, registered %v", f, ok)
	}
	var buf bytes.Buffer
	if err := f.New(reports.Options{Title: "game day 3"}).Render(&buf, []firedrill.Result{drDrill(), drDrill()}); err != nil {
		t.Fatal(err)
	}
	if got := parse(t, buf.Bytes()).all(named("h1")); len(got) != 1 || got[0].Text != "game day 3" {
		t.Errorf("the title of a combined report is Options.Title; h1 = %v", got)
	}
}

// TestSelfContained renders every fixture of the renderers and this
// package's DR drill: each
// page is well-formed, and nothing in it refers outside itself.
func TestSelfContained(t *testing.T) {
	_, cases := golden.Fixtures(t) // the scorer's results and the renderers' DR drill
	cases["dr-timeline"] = drDrill()
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			page := render(t, r)
			checkSelfContained(t, page)
			for _, chart := range svgs(t, parse(t, page)) {
				if chart.Attr["viewBox"] == "" {
					t.Error("an SVG without a viewBox does not scale")
				}
			}
			// Each chart on its own, as an SVG file would be.
			for _, chunk := range strings.SplitAfter(string(page), "</svg>") {
				i := strings.Index(chunk, "<svg")
				if i < 0 {
					continue
				}
				if err := xml.NewDecoder(strings.NewReader(chunk[i:])).Decode(new(struct{})); err != nil {
					t.Errorf("an SVG is not well-formed XML: %v", err)
				}
			}
		})
	}
}

// checkSelfContained fails on anything the page would fetch.
func checkSelfContained(t *testing.T, page []byte) {
	t.Helper()
	for _, p := range externalReferences(page) {
		t.Error(p)
	}
}

// externalReferences lists what in page would be fetched from outside
// it: an absolute or scheme-relative URL, an element that loads, a style
// that imports or points at a url(), an inline handler, a script beyond
// the page's own.
func externalReferences(page []byte) []string {
	var out []string
	for _, bad := range []string{"http://", "https://", "@import", "url("} {
		if i := bytes.Index(page, []byte(bad)); i >= 0 {
			out = append(out, fmt.Sprintf("the page contains %q: …%s…", bad, page[max(i-60, 0):min(i+60, len(page))]))
		}
	}
	doc, err := parseDoc(page)
	if err != nil {
		return append(out, err.Error())
	}
	for _, n := range doc.all(func(*node) bool { return true }) {
		switch n.Name {
		case "link", "img", "iframe", "object", "embed", "image", "use", "audio", "video", "source", "base", "form":
			out = append(out, fmt.Sprintf("the page has a <%s> element", n.Name))
		}
		for k, v := range n.Attr {
			switch k {
			case "src", "href", "action", "poster", "srcset", "data", "background":
				if !strings.HasPrefix(v, "#") {
					out = append(out, fmt.Sprintf("<%s %s=%q> refers outside the page", n.Name, k, v))
				}
			case "style":
				out = append(out, fmt.Sprintf("<%s style=%q>: style goes in the style sheet", n.Name, v))
			}
			if strings.HasPrefix(k, "on") {
				out = append(out, fmt.Sprintf("<%s %s=…>: an inline handler", n.Name, k))
			}
		}
	}
	if scripts := doc.all(named("script")); len(scripts) != 1 {
		out = append(out, fmt.Sprintf("%d script elements, want the one of the page", len(scripts)))
	}
	return out
}

// TestExternalReferencesCatches: the check finds each kind of outside
// reference, so that a page passing it is self-contained.
func TestExternalReferencesCatches(t *testing.T) {
	good := render(t, drDrill())
	if p := externalReferences(good); len(p) != 0 {
		t.Fatalf("the report itself: %v", p)
	}
	for _, inject := range []string{
		`<a href="//cdn.example/x.css">x</a>`,
		`<img src="data:image/png;base64,AAAA"/>`,
		`<link rel="stylesheet" href="s.css"/>`,
		`<script src="x.js"></script>`,
		`<style>@import "x.css";</style>`,
		`<p class="x" onclick="go()">x</p>`,
		`<svg><use href="sprite.svg#a"></use></svg>`,
		`<p>see https://example.com</p>`,
		`<p>unclosed`,
	} {
		page := bytes.Replace(good, []byte("<main>"), []byte("<main>"+inject), 1)
		if p := externalReferences(page); len(p) == 0 {
			t.Errorf("%s is not caught", inject)
		}
	}
}

// marker is an RTO marker: the group of its line across the chart.
type marker struct {
	class string
	x     float64
	title string
}

func rtoMarkers(t *testing.T, chart *node) []marker {
	t.Helper()
	var out []marker
	for _, g := range chart.all(named("g")) {
		for _, c := range g.Children {
			if c.Name == "line" && strings.HasPrefix(c.Attr["class"], "rto-") {
				out = append(out, marker{c.Attr["class"], c.float(t, "x1"), g.title()})
			}
		}
	}
	return out
}

// band is an objective band's span in pixels.
type band struct {
	x0, x1 float64
	title  string
}

func bands(t *testing.T, chart *node) []band {
	t.Helper()
	var out []band
	for _, r := range chart.all(classed("rect", "band")) {
		x := r.float(t, "x")
		out = append(out, band{x, x + r.float(t, "width"), r.title()})
	}
	return out
}

// TestTimelineDR checks that the DR drill's timeline draws every fault,
// its objective band and its RTO inside it, each restore phase, the
// plan's steps, the backups (the failed one marked) and the failover.
func TestTimelineDR(t *testing.T) {
	r := drDrill()
	doc := parse(t, render(t, r))
	tl := svgs(t, doc)[0]
	titles := map[string]bool{}
	for _, n := range tl.all(func(*node) bool { return true }) {
		if s := n.title(); s != "" {
			titles[s] = true
		}
	}
	hasTitle := func(prefix string) bool {
		for s := range titles {
			if strings.HasPrefix(s, prefix) {
				return true
			}
		}
		return false
	}
	for _, f := range r.Faults {
		if !hasTitle(f.ID + " " + f.Action + " " + f.Target) {
			t.Errorf("no shape of fault %s", f.ID)
		}
	}

	bs, ms := bands(t, tl), rtoMarkers(t, tl)
	if len(bs) != 2 || len(ms) != 2 {
		t.Fatalf("%d objective bands and %d RTO markers, want one each per fault (2)", len(bs), len(ms))
	}
	for i, f := range r.Faults {
		if !strings.HasPrefix(bs[i].title, f.ID+" RTO objective") {
			t.Errorf("band %d is %q, want %s's", i, bs[i].title, f.ID)
		}
		if m := ms[i]; m.class != "rto-met" || m.x <= bs[i].x0 || m.x >= bs[i].x1 {
			t.Errorf("%s's RTO marker %+v is not a met marker inside its band %+v", f.ID, m, bs[i])
		}
	}
	// The band starts at T and is the target long: f1's band is as wide
	// as f0's, and starts 20s (T1 − T0) after it.
	if w0, w1 := bs[0].x1-bs[0].x0, bs[1].x1-bs[1].x0; w0 < w1-0.2 || w0 > w1+0.2 {
		t.Errorf("bands of %v and %v px for the same target", w0, w1)
	}
	perMS := (bs[0].x1 - bs[0].x0) / 15000
	if d := bs[1].x0 - bs[0].x0; d < 20000*perMS-0.2 || d > 20000*perMS+0.2 {
		t.Errorf("f1's band starts %v px after f0's, want %v (20s)", d, 20000*perMS)
	}

	for _, class := range []string{"ph-provision", "ph-download", "ph-restore", "ph-first_write"} {
		if len(tl.all(classed("rect", class))) != 1 {
			t.Errorf("no restore phase %s on the timeline", class)
		}
	}
	for class, want := range map[string]int{"step-ok": 4, "step-skipped": 1, "backup": 5, "backup-failed": 1, "promote": 1, "blind": 1, "fault": 1} {
		if got := len(tl.all(classed("rect", class))); got != want {
			t.Errorf("%d rects of class %s, want %d", got, class, want)
		}
	}
	for _, class := range []string{"detect", "fence", "redundancy"} {
		if len(tl.all(classed("path", class))) != 1 {
			t.Errorf("no %s marker", class)
		}
	}
	if len(tl.all(classed("polyline", "p50"))) == 0 || len(tl.all(classed("polyline", "p99"))) == 0 {
		t.Error("no latency lines")
	}
	if len(tl.all(classed("polyline", "lag0"))) == 0 || len(tl.all(classed("polyline", "lag1"))) == 0 {
		t.Error("no lag line per standby")
	}

	// The tables: faults, writes, restores with their phases.
	body := doc.text()
	for _, want := range []string{"fresh node 2s", "download 800ms", "restore 6.2s", "first write 600ms",
		"exit 0: every objective met", "158 of 1050 acked", "failed: pg_dump", "5. reseed"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
}

// TestRTOPastTarget: a recovery later than the target is a red marker
// past its band, and an overlapped injection has no band of its own.
func TestRTOPastTarget(t *testing.T) {
	r := drDrill()
	r.Faults[1].RTOMS = ptr(18000.0)
	r.Faults[0].Recovery, r.Faults[0].RTOMS = firedrill.RecoveryOverlapped, nil
	tl := svgs(t, parse(t, render(t, r)))[0]
	bs, ms := bands(t, tl), rtoMarkers(t, tl)
	if len(bs) != 1 || len(ms) != 1 {
		t.Fatalf("%d bands, %d markers; want 1 and 1 (none for the overlapped f0)", len(bs), len(ms))
	}
	if ms[0].class != "rto-missed" || ms[0].x <= bs[0].x1 {
		t.Errorf("marker %+v, band %+v: want a missed marker past the band", ms[0], bs[0])
	}
	if !strings.Contains(ms[0].title, "past the objective band") {
		t.Errorf("marker title %q", ms[0].title)
	}
}

// TestEscaping: whatever a result holds is text on the page, never
// markup.
func TestEscaping(t *testing.T) {
	r := drDrill()
	r.Scenario = `<script>alert("scenario")</script>`
	r.RunID = `" onmouseover="alert(1)`
	r.Faults[0].Action = `<img src=x onerror=alert(2)>`
	r.Events[3].Detail = `</title><script>alert(3)</script>`
	r.Reasons = []string{`<b>bold</b> & co`}
	r.Objectives[0].Detail = `]]><!-- -->`
	page := render(t, r, r)
	checkSelfContained(t, page)
	doc := parse(t, page)
	if got := doc.all(named("b")); len(got) != 2*4 { // the meta's four values per drill, none from the reason
		t.Errorf("%d <b> elements, want 8 (the reason's <b> is text)", len(got))
	}
	body := doc.text()
	for _, want := range []string{`<script>alert("scenario")</script>`, `<img src=x onerror=alert(2)>`, `<b>bold</b> & co`, `</title><script>alert(3)</script>`} {
		if !strings.Contains(body, want) {
			t.Errorf("%q is not on the page as text", want)
		}
	}
	if bytes.Contains(page, []byte(`<script>alert`)) || bytes.Contains(page, []byte(`<img`)) {
		t.Error("markup from the result reached the page unescaped")
	}
}

// TestNotMeasured: a figure that was not measured is said to be so, and
// is not drawn at zero: no RTO marker, no latency point for a bucket
// without an acknowledged write, no lag point for a standby not
// streaming, no trend dot for a run that did not measure it.
func TestNotMeasured(t *testing.T) {
	r := drDrill()
	r.Writes.Lost, r.Writes.FailedButPresent, r.RPOMS = nil, nil, nil
	for i := range r.Faults {
		r.Faults[i].Recovery, r.Faults[i].RTOMS, r.Faults[i].Lost, r.Faults[i].RPOMS = firedrill.RecoveryNoData, nil, nil, nil
	}
	doc := parse(t, render(t, r))
	tl := svgs(t, doc)[0]
	if ms := rtoMarkers(t, tl); len(ms) != 0 {
		t.Errorf("RTO markers %+v for faults without data", ms)
	}
	var facts = map[string]string{}
	for _, dl := range doc.all(named("dl")) {
		for i := 0; i+1 < len(dl.Children); i += 2 {
			facts[dl.Children[i].Text] = dl.Children[i+1].Text
		}
	}
	for _, label := range []string{"lost", "RPO", "failed but present"} {
		if facts[label] != notMeasured {
			t.Errorf("%s: %q, want %q", label, facts[label], notMeasured)
		}
	}
	if body := doc.text(); !strings.Contains(body, "no data: no write was sent after the injection") {
		t.Error("a no-data RTO is not said to be so")
	}

	withLatency := 0
	for _, b := range r.Series.Buckets {
		if b.LatencyP50MS != nil {
			withLatency++
		}
	}
	points := 0
	for _, pl := range tl.all(classed("polyline", "p50")) {
		points += len(strings.Fields(pl.Attr["points"]))
	}
	if points != withLatency {
		t.Errorf("%d latency points for %d buckets with a latency", points, withLatency)
	}
	notStreaming := 0
	for _, p := range r.Series.Lag {
		if !p.Streaming {
			notStreaming++
		}
	}
	if got := len(tl.all(classed("circle", "unmeasured"))); got != notStreaming {
		t.Errorf("%d marks of lag unknown, want %d (one per reading not streaming)", got, notStreaming)
	}
	lagPoints := 0
	for _, class := range []string{"lag0", "lag1"} {
		for _, pl := range tl.all(classed("polyline", class)) {
			lagPoints += len(strings.Fields(pl.Attr["points"]))
		}
	}
	// Two panels (unflushed WAL, replay lag): the streaming readings in
	// the first, those with a replay lag in the second.
	want := 0
	for _, p := range r.Series.Lag {
		if p.Streaming {
			want++
			if p.ReplayLagMS != nil {
				want++
			}
		}
	}
	if lagPoints != want {
		t.Errorf("%d lag points, want %d (none for a reading without a lag)", lagPoints, want)
	}
}

// TestCombined: several results open with the per-scenario summary, a
// trend chart for each scenario run more than once, then every drill.
func TestCombined(t *testing.T) {
	_, g := golden.Fixtures(t)
	a, b, c := drDrill(), drDrill(), drDrill()
	b.RunID, b.StartedAt = "r-2", a.StartedAt.Add(-3600e9) // ran first: the trend goes by start
	b.Faults[1].Recovery, b.Faults[1].RTOMS = firedrill.RecoveryNever, nil
	b.Verdict = firedrill.VerdictFail
	c.RunID, c.StartedAt, c.RPOMS = "r-3", a.StartedAt.Add(3600e9), nil
	doc := parse(t, render(t, a, b, c, g["pass"]))

	if got := len(doc.all(func(n *node) bool { return n.Name == "section" && n.Attr["class"] == "drill" })); got != 4 {
		t.Errorf("%d drill sections, want 4", got)
	}
	summary := doc.all(func(n *node) bool { return n.Name == "section" && n.Attr["class"] == "summary" })
	if len(summary) != 1 {
		t.Fatal("no summary section")
	}
	rows := summary[0].all(named("tr"))
	if len(rows) != 3 { // the header and two scenarios
		t.Fatalf("%d summary rows, want 3", len(rows))
	}
	var dr []string
	for _, td := range rows[1].Children {
		dr = append(dr, td.Text)
	}
	want := []string{"disk-full-restore", "3", "2 pass · 1 fail", "11.1s · never · never", "7.9s · 7.9s · 7.9s (over 2 runs; 1 not measured)", "158 · 158 · 158"}
	if fmt.Sprint(dr) != fmt.Sprint(want) {
		t.Errorf("summary row\n got %q\nwant %q", dr, want)
	}

	trends := summary[0].all(named("svg"))
	if len(trends) != 1 {
		t.Fatalf("%d trend charts, want 1 (primary-kill ran once)", len(trends))
	}
	tr := trends[0]
	if got := len(tr.all(classed("circle", "t-rto"))); got != 2 {
		t.Errorf("%d RTO dots, want 2 (the third run never recovered)", got)
	}
	if got := len(tr.all(classed("path", "never"))); got != 1 {
		t.Errorf("%d never marks, want 1", got)
	}
	if got := len(tr.all(classed("circle", "t-rpo"))); got != 2 {
		t.Errorf("%d RPO dots, want 2 (one run did not measure it)", got)
	}
	unmeasured := tr.all(classed("circle", "unmeasured"))
	if len(unmeasured) != 1 || !strings.Contains(unmeasured[0].title(), "r-3") || !strings.Contains(unmeasured[0].title(), "RPO not measured") {
		t.Errorf("unmeasured marks %v, want r-3's RPO", unmeasured)
	}
	// In start order: r-2 (never) is the first run.
	never := tr.all(classed("path", "never"))[0].title()
	if !strings.HasPrefix(never, "run #1 r-2") {
		t.Errorf("never mark %q, want run #1 r-2 (the earliest)", never)
	}
}

// TestLongDrillIsSmall: a 10-minute drill with the series' cap of
// buckets, a lag reading a second from two standbys and hundreds of
// events stays well under a megabyte.
func TestLongDrillIsSmall(t *testing.T) {
	r := drDrill()
	r.DurationMS = 600000
	s := &firedrill.Series{BucketMS: 1000}
	for i := range 600 {
		s.Buckets = append(s.Buckets, firedrill.SeriesBucket{AtMS: float64(i) * 1000, WritesOK: 18, WritesFailed: 2, ReadsOK: 9, ReadsFailed: 1,
			LatencyP50MS: ptr(3.25), LatencyP99MS: ptr(9.75), LatencyMaxMS: ptr(12.5)})
		for _, standby := range []string{"pg-replica", "pg-replica2"} {
			s.Lag = append(s.Lag, firedrill.LagPoint{AtMS: float64(i) * 1000, Primary: "pg-primary", Replica: standby, Streaming: true,
				UnflushedBytes: int64(i * 37), ReplayLagMS: ptr(float64(i%9) + 0.5)})
		}
	}
	r.Series = s
	for i := range 300 {
		r.Events = append(r.Events, firedrill.Event{AtMS: float64(i) * 2000, SpanMS: 1200, Kind: firedrill.EventBackupTaken, Detail: "logical b-" + strconv.Itoa(i), Evidence: "48 KiB"})
	}
	page := render(t, r)
	if len(page) > 1<<20 {
		t.Errorf("a 10-minute drill is %d bytes, want under 1 MiB", len(page))
	}
	parse(t, page)
}

// TestNoResults: an empty set of results is a page that says so.
func TestNoResults(t *testing.T) {
	page := render(t)
	checkSelfContained(t, page)
	if !strings.Contains(parse(t, page).text(), "No result to report.") {
		t.Error("an empty report does not say it is empty")
	}
}
