package svg

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Shape is one SVG element of a chart. El picks the element; the
// geometry fields it does not use stay empty. Text and Title may come from
// a result: the template escapes them.
type Shape struct {
	El             string // rect, line, polyline, circle, text, path
	Class          string
	X, Y, W, H     string // rect; text (X, Y); circle (X, Y, W = r)
	X1, Y1, X2, Y2 string // line
	Points         string // polyline
	D              string // path
	Anchor         string // text: start, middle, end
	Text           string
	Title          string // the hover detail, a <title> child
	// Shapes are a group's (El "g") children: they share its Title.
	Shapes []Shape
}

// Group gathers shapes under one hover title (a bucket's bars).
func Group(title string, children ...Shape) Shape {
	return Shape{El: "g", Title: title, Shapes: children}
}

// Num writes a coordinate: a tenth of a pixel is finer than a screen
// shows, and fewer digits keep a long drill's file small.
func Num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// Rect is a rectangle.
func Rect(class string, x, y, w, h float64, title string) Shape {
	return Shape{El: "rect", Class: class, X: Num(x), Y: Num(y), W: Num(max(w, 0)), H: Num(max(h, 0)), Title: title}
}

// Line is a segment.
func Line(class string, x1, y1, x2, y2 float64, title string) Shape {
	return Shape{El: "line", Class: class, X1: Num(x1), Y1: Num(y1), X2: Num(x2), Y2: Num(y2), Title: title}
}

// Text is a label at (x, y), anchored start, middle or end.
func Text(class string, x, y float64, anchor, s string) Shape {
	return Shape{El: "text", Class: class, X: Num(x), Y: Num(y), Anchor: anchor, Text: s}
}

// Circle is a dot of radius r.
func Circle(class string, x, y, r float64, title string) Shape {
	return Shape{El: "circle", Class: class, X: Num(x), Y: Num(y), W: Num(r), Title: title}
}

// Diamond is an instant's marker (a failover step, an event): a small
// rhombus centred on (x, y).
func Diamond(class string, x, y, r float64, title string) Shape {
	d := fmt.Sprintf("M%s %sL%s %sL%s %sL%s %sZ", Num(x), Num(y-r), Num(x+r), Num(y), Num(x), Num(y+r), Num(x-r), Num(y))
	return Shape{El: "path", Class: class, D: d, Title: title}
}

// Polyline joins points; a caller draws each stretch of measured values
// as its own polyline, so that a gap (no value) is never drawn as zero.
func Polyline(class string, pts [][2]float64, title string) Shape {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Num(p[0]) + "," + Num(p[1]))
	}
	return Shape{El: "polyline", Class: class, Points: b.String(), Title: title}
}

// Chart is one SVG: its size and its shapes, in drawing order.
type Chart struct {
	Width, Height string
	Label         string // aria-label
	Shapes        []Shape
}

// Add appends shapes, drawn over those before them.
func (c *Chart) Add(s ...Shape) { c.Shapes = append(c.Shapes, s...) }

// Clip cuts a label to n runes; the full text stays in the shape's title.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Linear maps [0, domain] onto [from, from+length] (a pixel range).
type Linear struct{ Domain, From, Length float64 }

// At is the pixel of v, v clamped to the domain.
func (l Linear) At(v float64) float64 {
	if l.Domain <= 0 {
		return l.From
	}
	return l.From + min(max(v, 0), l.Domain)/l.Domain*l.Length
}

// NiceStep is the smallest round step (1, 2 or 5 times a power of ten)
// that divides span into at most n steps.
func NiceStep(span float64, n int) float64 {
	if span <= 0 || n <= 0 {
		return 1
	}
	raw := span / float64(n)
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= raw {
			return m * pow
		}
	}
	return 10 * pow
}

// SecondsLabel writes an axis tick in seconds ("0s", "2.5s", "90s"): the
// timeline's axis counts seconds from the drill's start, whatever the
// span, so that ticks read against each other; a figure in a table or a
// hover detail goes through human instead.
func SecondsLabel(ms float64) string {
	return strconv.FormatFloat(math.Round(ms)/1000, 'f', -1, 64) + "s"
}
