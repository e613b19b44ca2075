//go:build unix

package live

import (
	"io"

	"golang.org/x/sys/unix"
)

// terminalWidth is the width of the terminal w writes to, and whether it
// is one: a pipe or a file has no window size (the ioctl fails with
// ENOTTY), a terminal always has one (0 columns when it does not say).
func terminalWidth(w io.Writer) (width int, isTerminal bool) {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return 0, false
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, false
	}
	return int(ws.Col), true
}
