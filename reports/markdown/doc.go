// Package markdown renders results as GitHub-flavoured Markdown for pull
// request comments and GitHub's job summaries ($GITHUB_STEP_SUMMARY)
// (docs/reports.md, "Markdown"): the verdict with its exit code and
// reasons, the objectives, the faults, the writes, the backups and
// restores, and the warnings. Several results start with a table per
// scenario from reports/aggregate (percentiles by nearest rank, runs that
// did not measure a figure counted apart), then each drill in a <details>
// section.
//
// Files: markdown.go (the document), words.go (the plain words of a
// fault's or a restore's figures, which reports/junit writes too),
// escape.go (untrusted text made safe). A figure that was not measured
// is written "not measured", never 0.
package markdown
