package held

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/platform/docker/internal/lines"
	"github.com/firedrill/firedrill/platform/docker/internal/runobj"
)

var _ platform.Held = (*Sidecar)(nil)

// ErrExited is the sidecar's exit before its first line: the effect was
// never in place.
var ErrExited = errors.New("the sidecar exited before the effect was in place")

// Sidecar is one sidecar holding an effect.
type Sidecar struct {
	docker  *client.Client
	node    string
	id      string
	conn    client.HijackedResponse
	redact  func(string) string
	timeout time.Duration // bounds the background wait and removal

	lines  *bufio.Scanner
	first  chan string
	second chan struct{} // closed at the second line or the end of the output
	done   chan struct{} // closed when the output ends

	stderr lines.LockedBuffer // what the sidecar wrote on stderr, capped

	mu     sync.Mutex
	out    []string // lines after the first
	stream platform.LineStream
	once   sync.Once
	err    error
	rel    string
}

// New starts reading the output of the created, attached (conn) sidecar
// id in node's namespace, before the caller starts it. redact takes the
// run's secrets out of what is kept; timeout bounds the removal.
func New(docker *client.Client, node, id string, conn client.HijackedResponse, redact func(string) string, timeout time.Duration) *Sidecar {
	h := &Sidecar{docker: docker, node: node, id: id, conn: conn, redact: redact, timeout: timeout,
		first: make(chan string, 1), second: make(chan struct{}), done: make(chan struct{})}
	// Only standard output speaks the contract: a warning or an error
	// on stderr before the first line must not pass for "the effect is in
	// place". Stderr is kept for the error of a sidecar that gives up.
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, &h.stderr, h.conn.Reader)
		pw.CloseWithError(err)
	}()
	h.lines = bufio.NewScanner(pr)
	go h.drain()
	return h
}

// WaitFirst returns once the sidecar printed its first line: the effect is
// in place. If it exits first (ErrExited, with what it printed) or ctx
// ends, the sidecar is removed.
func (h *Sidecar) WaitFirst(ctx context.Context) error {
	select {
	case _, ok := <-h.first:
		if !ok {
			out := strings.TrimSpace(strings.Join([]string{h.output(), h.stderr.String()}, "\n"))
			h.Abort(ctx)
			return fmt.Errorf("%w: %s", ErrExited, h.redact(out))
		}
		return nil
	case <-ctx.Done():
		h.Abort(context.WithoutCancel(ctx))
		return ctx.Err()
	}
}

// Abort closes the attach connection and removes the sidecar.
func (h *Sidecar) Abort(ctx context.Context) {
	h.conn.Close()
	h.remove(ctx)
}

// drain reads the sidecar's output: the first line is handed to
// WaitFirst, the rest kept for Release and streamed to Lines (redacted: a
// sidecar's environment may hold a secret).
func (h *Sidecar) drain() {
	defer close(h.done)
	defer h.stream.End()
	var secondOnce sync.Once
	defer secondOnce.Do(func() { close(h.second) })
	first := true
	for h.lines.Scan() {
		line := h.lines.Text()
		if first {
			first = false
			h.first <- line
			close(h.first)
			continue
		}
		h.mu.Lock()
		h.out = append(h.out, line)
		h.mu.Unlock()
		h.stream.Add(h.redact(line))
		secondOnce.Do(func() { close(h.second) })
	}
	if first {
		close(h.first)
	}
}

// Lines streams what the sidecar prints after its first line, as it
// prints it; the channel closes when the output ends, or once the released
// sidecar is removed.
func (h *Sidecar) Lines() <-chan string { return h.stream.Chan() }

func (h *Sidecar) output() string {
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.out, "\n")
}

// Release undoes the effect: one line on the sidecar's input and the
// input closed; it returns at the sidecar's next line (the effect undone)
// or its exit. The sidecar then finishes and is removed in the
// background, so the caller (a revert) is not held up by Docker.
func (h *Sidecar) Release(ctx context.Context) (string, error) {
	h.once.Do(func() {
		_, werr := io.WriteString(h.conn.Conn, "release\n")
		cerr := h.conn.CloseWrite()
		select {
		case <-h.second:
		case <-ctx.Done():
			h.err = fmt.Errorf("release in %s: %w", h.node, ctx.Err())
		}
		h.mu.Lock()
		h.rel = h.redact(strings.Join(h.out, "\n"))
		h.mu.Unlock()
		if h.rel == "" && h.err == nil {
			h.err = fmt.Errorf("release in %s: the sidecar ended without undoing its effect (write: %v, close: %v): %s",
				h.node, werr, cerr, h.redact(strings.TrimSpace(h.stderr.String())))
		}
		go func() {
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.timeout)
			defer cancel()
			w := h.docker.ContainerWait(wctx, h.id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
			select {
			case <-w.Result:
			case <-w.Error:
			}
			h.conn.Close()
			h.remove(wctx)
			h.stream.Abandon()
		}()
	})
	return h.rel, h.err
}

func (h *Sidecar) remove(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.timeout)
	defer cancel()
	_ = runobj.RemoveContainer(rctx, h.docker, h.id)
}
