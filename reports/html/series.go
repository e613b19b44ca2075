package html

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/html/internal/svg"
	"github.com/firedrill/firedrill/reports/internal/human"
)

// series draws the time series' panels under the event lanes
// (docs/measurement.md, "Time series"): writes per bucket stacked by
// outcome, reads when they ran, write latency p50 and p99, and the
// replication lag per standby. It draws buckets, never single
// operations, so a long drill stays a small file. A bucket without an
// acknowledged write has no latency, and a standby that was not
// streaming has no lag: both are gaps in their line, never zero.
func (tl *timelineBuilder) series() {
	s := tl.r.Series
	if s == nil {
		return
	}
	if len(s.Buckets) > 0 {
		tl.buckets(s)
	}
	if len(s.Lag) > 0 {
		tl.lag(s.Lag)
	}
}

// panel starts a panel of height h under what is drawn, with its label
// and the value its top stands for; it returns the panel's top and
// bottom.
func (tl *timelineBuilder) panel(label, topValue string, h float64) (top, bottom float64) {
	top = tl.y + panelGap
	bottom = top + h
	tl.mid = append(tl.mid,
		svg.Text("lbl", 6, top+10, "start", label),
		svg.Text("small", tlLeft-4, top+8, "end", topValue),
		svg.Text("small", tlLeft-4, bottom, "end", "0"),
		svg.Line("axis", tlLeft, bottom, tlLeft+tlPlotWidth, bottom, ""))
	tl.y = bottom
	return top, bottom
}

// buckets draws the writes (and reads) per bucket and the latency lines.
// Each bucket is one group whose hover title gives all its figures.
func (tl *timelineBuilder) buckets(s *firedrill.Series) {
	maxWrites, maxReads, maxLatency := 1, 0, 0.0
	for _, b := range s.Buckets {
		maxWrites = max(maxWrites, b.WritesOK+b.WritesFailed+b.WritesIndeterminate)
		maxReads = max(maxReads, b.ReadsOK+b.ReadsFailed)
		if b.LatencyP99MS != nil {
			maxLatency = max(maxLatency, *b.LatencyP99MS)
		}
	}
	per := " / " + human.Millis(s.BucketMS)
	wTop, wBottom := tl.panel("writes"+per, strconv.Itoa(maxWrites), writesH)
	var rBottom, lBottom float64
	if maxReads > 0 {
		_, rBottom = tl.panel("reads"+per, strconv.Itoa(maxReads), readsH)
	}
	if maxLatency > 0 {
		_, lBottom = tl.panel("write latency", human.Millis(maxLatency), latencyH)
	}
	wy := svg.Linear{Domain: float64(maxWrites), From: 0, Length: writesH}
	ry := svg.Linear{Domain: float64(maxReads), From: 0, Length: readsH}
	ly := svg.Linear{Domain: maxLatency, From: 0, Length: latencyH}

	var p50, p99 [][][2]float64 // stretches of buckets with a latency
	var run50, run99 [][2]float64
	for _, b := range s.Buckets {
		x0, x1 := tl.x.At(b.AtMS), tl.x.At(b.AtMS+s.BucketMS)
		w := max(x1-x0-0.6, 0.8)
		var bars []svg.Shape
		stack := func(class string, n int, bottom float64, y svg.Linear) float64 {
			if n == 0 {
				return bottom
			}
			h := y.At(float64(n))
			bars = append(bars, svg.Rect(class, x0, bottom-h, w, h, ""))
			return bottom - h
		}
		top := stack("w-ok", b.WritesOK, wBottom, wy)
		top = stack("w-failed", b.WritesFailed, top, wy)
		stack("w-indet", b.WritesIndeterminate, top, wy)
		if maxReads > 0 {
			stack("r-failed", b.ReadsFailed, stack("r-ok", b.ReadsOK, rBottom, ry), ry)
		}
		bottom := max(wBottom, rBottom, lBottom)
		bars = append(bars, svg.Rect("hit", x0, wTop, x1-x0, bottom-wTop, ""))
		tl.mid = append(tl.mid, svg.Group(bucketTitle(b, s.BucketMS), bars...))

		mx := (x0 + x1) / 2
		if b.LatencyP50MS != nil && b.LatencyP99MS != nil && maxLatency > 0 {
			run50 = append(run50, [2]float64{mx, lBottom - ly.At(*b.LatencyP50MS)})
			run99 = append(run99, [2]float64{mx, lBottom - ly.At(*b.LatencyP99MS)})
			continue
		}
		p50, p99 = appendRun(p50, run50), appendRun(p99, run99)
		run50, run99 = nil, nil
	}
	p50, p99 = appendRun(p50, run50), appendRun(p99, run99)
	for _, run := range p99 {
		tl.mid = append(tl.mid, stretch("p99", run, "write latency p99"))
	}
	for _, run := range p50 {
		tl.mid = append(tl.mid, stretch("p50", run, "write latency p50"))
	}
}

// appendRun keeps a stretch of measured points, if it has any.
func appendRun(runs [][][2]float64, run [][2]float64) [][][2]float64 {
	if len(run) == 0 {
		return runs
	}
	return append(runs, run)
}

// stretch draws measured points as a line; a lone point as a short
// dash, so that it shows in the line's own stroke.
func stretch(class string, pts [][2]float64, title string) svg.Shape {
	if len(pts) == 1 {
		pts = [][2]float64{{pts[0][0] - 1.5, pts[0][1]}, {pts[0][0] + 1.5, pts[0][1]}}
	}
	return svg.Polyline(class, pts, title)
}

// bucketTitle is a bucket's hover detail: its writes by outcome, its
// reads, its write latency or that it had none.
func bucketTitle(b firedrill.SeriesBucket, width float64) string {
	s := fmt.Sprintf("%s–%s: writes %d ok, %d failed, %d indeterminate", human.Millis(b.AtMS), human.Millis(b.AtMS+width),
		b.WritesOK, b.WritesFailed, b.WritesIndeterminate)
	if b.ReadsOK+b.ReadsFailed > 0 {
		s += fmt.Sprintf("; reads %d ok, %d not ok", b.ReadsOK, b.ReadsFailed)
	}
	if b.LatencyP50MS != nil && b.LatencyP99MS != nil && b.LatencyMaxMS != nil {
		s += "; latency p50 " + human.Millis(*b.LatencyP50MS) + ", p99 " + human.Millis(*b.LatencyP99MS) + ", max " + human.Millis(*b.LatencyMaxMS)
	} else {
		s += "; no write acknowledged: no latency"
	}
	return s
}

// lag draws the replication lag per standby: the WAL it had not flushed
// (what a failover to it would have lost), and Postgres's replay lag when
// it reported one. A reading in which the standby was not streaming has
// no lag (unknown, not zero): it is a hollow mark on the panel's floor.
func (tl *timelineBuilder) lag(points []firedrill.LagPoint) {
	var replicas []string
	var maxBytes int64 = 1
	maxReplay := 0.0
	for _, p := range points {
		if !slices.Contains(replicas, p.Replica) {
			replicas = append(replicas, p.Replica)
		}
		if p.Streaming {
			maxBytes = max(maxBytes, p.UnflushedBytes)
			if p.ReplayLagMS != nil {
				maxReplay = max(maxReplay, *p.ReplayLagMS)
			}
		}
	}
	_, bottom := tl.panel("unflushed WAL", human.Bytes(maxBytes), lagH)
	by := svg.Linear{Domain: float64(maxBytes), From: 0, Length: lagH}
	tl.lagLines(points, replicas, bottom, func(p firedrill.LagPoint) (float64, bool) {
		return by.At(float64(p.UnflushedBytes)), p.Streaming
	}, true)
	if maxReplay > 0 {
		_, bottom := tl.panel("replay lag", human.Millis(maxReplay), lagH)
		ry := svg.Linear{Domain: maxReplay, From: 0, Length: lagH}
		tl.lagLines(points, replicas, bottom, func(p firedrill.LagPoint) (float64, bool) {
			if !p.Streaming || p.ReplayLagMS == nil {
				return 0, false
			}
			return ry.At(*p.ReplayLagMS), true
		}, false)
	}
}

// lagLines draws one line per standby of the heights value gives, broken
// where it has none; with marks, each reading without one is a hollow
// mark on the floor.
func (tl *timelineBuilder) lagLines(points []firedrill.LagPoint, replicas []string, bottom float64,
	value func(firedrill.LagPoint) (float64, bool), marks bool) {
	for i, name := range replicas {
		colour := i % len(lagColours)
		var run [][2]float64
		var runs [][][2]float64
		var peak int64
		for _, p := range points {
			if p.Replica != name {
				continue
			}
			h, ok := value(p)
			x := tl.x.At(p.AtMS)
			if !ok {
				runs, run = appendRun(runs, run), nil
				if marks {
					tl.mid = append(tl.mid, svg.Circle("unmeasured", x, bottom-2, 2.5,
						name+" not streaming at "+human.Millis(p.AtMS)+" (primary "+p.Primary+"): lag unknown"))
				}
				continue
			}
			peak = max(peak, p.UnflushedBytes)
			run = append(run, [2]float64{x, bottom - h})
		}
		runs = appendRun(runs, run)
		title := name
		if marks {
			title += ": unflushed WAL, max " + human.Bytes(peak)
		} else {
			title += ": replay lag"
		}
		for _, r := range runs {
			tl.mid = append(tl.mid, stretch("lag"+strconv.Itoa(colour), r, title))
		}
		label := svg.Text("lbl lagpt"+strconv.Itoa(colour), 14, bottom-lagH+24+float64(i)*12, "start", svg.Clip(name, labelChars-2))
		label.Title = title
		tl.mid = append(tl.mid, label)
	}
}
