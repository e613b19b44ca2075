// Package words holds the plain words every report format uses for a
// drill's figures, unescaped (each format escapes them its own way): the
// marks of an objective's status, the verdict, how an injection's outage
// ended, its phases in order, what it lost, a restore's phases, what an
// exit code means. One copy, so that the terminal, Markdown, JUnit and
// HTML say the same thing the same way; a figure that was not measured
// says so, never 0 (docs/measurement.md).
package words
