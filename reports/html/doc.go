// Package html renders results as one self-contained HTML file with an SVG
// timeline (docs/reports.md, "HTML"), registered as the "html" format
// (report.html).
//
// For each drill the page has a header (scenario, run, start, duration,
// verdict with its reasons, warnings and exit code), the objectives, the
// timeline and the tables of what the terminal summary says (faults,
// writes, reads, uploads, the failover manager, replication, backups,
// restores and plans, events). Several results open with a summary per
// scenario, read from reports/aggregate, and a trend chart of the RTO and
// RPO of each scenario run more than once.
//
// The pieces:
//
//   - html.go: the registry entry, Render and the page's model; page.tmpl
//     is the page, rendered by html/template, which escapes everything
//     taken from a result.
//   - timeline.go: the timeline's event lanes (faults and their RTO,
//     failover, backups, restores with their phases, plans with their
//     steps, redundancy) and, behind them, each fault's objective band
//     from T to T + the rto target; series.go: the panels of the time
//     series (writes per bucket, reads, latency, replication lag).
//   - sections.go: the tables under the timeline; summary.go: the
//     combined summary and the trend chart.
//   - svg.go: the colours and classes of the shapes, one meaning each;
//     internal/svg: the shapes themselves and the scales, geometry only.
//
// The page refers to nothing outside itself (inline CSS, inline SVG, a
// little inline script that only adds hover details: every shape has a
// <title> tooltip without it) and is written as well-formed XML too, so
// that tests read it with encoding/xml. A figure that was not measured is
// shown as not measured, never drawn at zero. The integration test loads
// the page in headless Chromium and checks the screenshot.
package html
