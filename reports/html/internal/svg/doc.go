// Package svg holds the shapes the HTML report's charts are drawn with
// (reports/html): a Chart is a list of Shapes in drawing order, which the
// page's template writes as SVG elements, escaping their text and hover
// titles. It knows geometry only; the colours, classes and meaning of
// each shape are reports/html's.
package svg
