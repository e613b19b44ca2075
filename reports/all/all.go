// Package all registers every report format of the reports registry: a
// command that renders reports imports it for its side effects.
package all

import (
	_ "github.com/firedrill/firedrill/reports/html"     // html
	_ "github.com/firedrill/firedrill/reports/junit"    // junit
	_ "github.com/firedrill/firedrill/reports/markdown" // markdown
)
