// Package markdown renders results as Markdown for pull requests and
// GitHub's job summaries (docs/reports.md, "Markdown").
package markdown
