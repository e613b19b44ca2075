//go:build !unix

package live

import "io"

// terminalWidth: outside Unix the console is never taken for a terminal
// (auto is plain there).
func terminalWidth(io.Writer) (width int, isTerminal bool) { return 0, false }
