// Package ghactions writes GitHub Actions workflow commands (::error and
// ::warning annotations) and escapes text so that it cannot become one:
// `firedrill validate --format github` today, the reports' CI output next.
package ghactions
