// Package lines follows a container's output line by line, as it is
// printed, and keeps a capped copy of it (docs/architecture.md, "Sidecars").
// Nothing in it talks to Docker.
package lines

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// MaxOutput caps what is kept of a command's output, and the length of a
// line handed on whole.
const MaxOutput = 1 << 20

// Writer hands each complete line written to it, redacted (Redact), to
// Each (when set) as soon as the line ends, but for the first Skip lines, and
// keeps everything in All (when set). Flush hands on a last line that has
// no newline. A line longer than MaxOutput is handed on in pieces of
// that size. Emitted counts the lines seen, skipped ones included.
type Writer struct {
	Each    func(string)
	Redact  func(string) string
	All     io.Writer
	Skip    int
	Emitted int
	partial []byte
}

func (w *Writer) Write(p []byte) (int, error) {
	if w.All != nil {
		_, _ = w.All.Write(p)
	}
	if w.Each == nil {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.emit(w.partial[:i])
		w.partial = append(w.partial[:0], w.partial[i+1:]...)
	}
	if len(w.partial) >= MaxOutput {
		w.Flush()
	}
	return len(p), nil
}

// Flush hands on what is left of an unfinished line.
func (w *Writer) Flush() {
	if w.Each != nil && len(w.partial) > 0 {
		w.emit(w.partial)
		w.partial = w.partial[:0]
	}
}

func (w *Writer) emit(line []byte) {
	w.Emitted++
	if w.Emitted > w.Skip {
		w.Each(w.Redact(strings.TrimSuffix(string(line), "\r")))
	}
}

// Capped keeps the first left bytes written and drops the rest.
type Capped struct {
	Buf  *bytes.Buffer
	Left int
}

func (c *Capped) Write(p []byte) (int, error) {
	n := len(p)
	if c.Left > 0 {
		k := min(n, c.Left)
		c.Buf.Write(p[:k])
		c.Left -= k
	}
	return n, nil
}

// LockedBuffer keeps the first MaxOutput bytes written to it, for a
// writer and readers on different goroutines.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if left := MaxOutput - b.buf.Len(); left > 0 {
		b.buf.Write(p[:min(len(p), left)])
	}
	return len(p), nil
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
