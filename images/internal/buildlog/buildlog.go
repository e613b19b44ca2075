package buildlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// Message is one message of the JSON streams of pull, import and build.
// Daemons send the error both as "error" and "errorDetail".
type Message struct {
	Stream      string `json:"stream"`
	Status      string `json:"status"`
	ID          string `json:"id"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux json.RawMessage `json:"aux"`
}

// ReadStream reads a daemon JSON message stream to its end, calling each for
// every message, and returns the first error message the daemon sent.
func ReadStream(r io.Reader, each func(Message)) error {
	dec := json.NewDecoder(r)
	for {
		var m Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if each != nil {
			each(m)
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}

// Tail is an io.Writer keeping the last lines written (for error messages) and
// logging every complete line at debug level.
type Tail struct {
	mu      sync.Mutex
	max     int
	lines   []string
	partial []byte
	logf    func(line string)
}

func NewTail(max int, logf func(string)) *Tail {
	return &Tail{max: max, logf: logf}
}

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := strings.IndexByte(string(t.partial), '\n')
		if i < 0 {
			break
		}
		t.add(string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
	return len(p), nil
}

func (t *Tail) add(line string) {
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" {
		return
	}
	if t.logf != nil {
		t.logf(line)
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

// String returns the last lines, indented, for an error message.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if len(t.partial) > 0 {
		lines = append(slices.Clone(lines), string(t.partial))
	}
	if len(lines) == 0 {
		return ""
	}
	return "    " + strings.Join(lines, "\n    ")
}

// WithTail appends the last output lines to err.
func WithTail(err error, tail *Tail) error {
	if s := tail.String(); s != "" {
		return fmt.Errorf("%w\n  last output:\n%s", err, s)
	}
	return err
}

func FirstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// StepImage reads the image id out of a classic-builder line
// " ---> 5e88bacaedf7" (the image a step committed, or the cached one it
// reused); "---> Running in …" and "---> Using cache" are not ids.
func StepImage(line string) (string, bool) {
	id, ok := strings.CutPrefix(strings.TrimSpace(line), "---> ")
	if !ok || len(id) < 12 || strings.ContainsFunc(id, func(c rune) bool { return !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') }) {
		return "", false
	}
	return id, true
}
