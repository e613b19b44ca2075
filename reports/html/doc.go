// Package html renders results as one self-contained HTML file with an SVG
// timeline (docs/reports.md, "HTML").
package html
