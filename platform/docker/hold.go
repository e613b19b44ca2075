package docker

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/platform/docker/internal/lines"
)

// Hold runs cmd in a sidecar in the node's network namespace, attached to
// its standard input, and returns once cmd has printed its first line.
// Release writes a line and closes the input; cmd undoes its effect and
// exits. The input also ends when the harness dies (the attach connection
// closes), so an effect held this way never outlives the harness: the
// same guarantee as the run's lease (docs/architecture.md, "Sidecars").
func (e *Env) Hold(ctx context.Context, name string, cmd []string, opts ...platform.SidecarOption) (platform.Held, error) {
	created, err := e.createSidecar(ctx, "hold in", name, cmd, true, opts)
	if err != nil {
		return nil, err
	}
	h := &held{e: e, node: name, id: created.ID, first: make(chan string, 1), second: make(chan struct{}), done: make(chan struct{})}
	att, err := e.docker.ContainerAttach(ctx, created.ID, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		h.remove(ctx)
		return nil, fmt.Errorf("hold in %s: attach to sidecar: %w", name, err)
	}
	h.conn = att.HijackedResponse
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
	if _, err := e.docker.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		h.conn.Close()
		h.remove(ctx)
		return nil, fmt.Errorf("hold in %s: start sidecar: %w", name, err)
	}
	select {
	case first, ok := <-h.first:
		if !ok {
			out := strings.TrimSpace(strings.Join([]string{h.output(), h.stderr.String()}, "\n"))
			h.conn.Close()
			h.remove(ctx)
			return nil, fmt.Errorf("hold in %s: the sidecar exited before the effect was in place: %s", name, e.redact(out))
		}
		_ = first
		return h, nil
	case <-ctx.Done():
		h.conn.Close()
		h.remove(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("hold in %s: %w", name, ctx.Err())
	}
}

// held is one sidecar holding an effect.
type held struct {
	e    *Env
	node string
	id   string
	conn client.HijackedResponse

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

// drain reads the sidecar's output: the first line is handed to Hold, the
// rest kept for Release and streamed to Lines (redacted: a sidecar's
// environment may hold a secret).
func (h *held) drain() {
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
		h.stream.Add(h.e.redact(line))
		secondOnce.Do(func() { close(h.second) })
	}
	if first {
		close(h.first)
	}
}

// Lines streams what the sidecar prints after its first line, as it
// prints it; the channel closes when the output ends, or once the released
// sidecar is removed.
func (h *held) Lines() <-chan string { return h.stream.Chan() }

func (h *held) output() string {
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.out, "\n")
}

// Release undoes the effect: one line on the sidecar's input and the
// input closed; it returns at the sidecar's next line (the effect undone)
// or its exit. The sidecar then finishes and is removed in the
// background, so the caller (a revert) is not held up by Docker.
func (h *held) Release(ctx context.Context) (string, error) {
	h.once.Do(func() {
		_, werr := io.WriteString(h.conn.Conn, "release\n")
		cerr := h.conn.CloseWrite()
		select {
		case <-h.second:
		case <-ctx.Done():
			h.err = fmt.Errorf("release in %s: %w", h.node, ctx.Err())
		}
		h.mu.Lock()
		h.rel = h.e.redact(strings.Join(h.out, "\n"))
		h.mu.Unlock()
		if h.rel == "" && h.err == nil {
			h.err = fmt.Errorf("release in %s: the sidecar ended without undoing its effect (write: %v, close: %v): %s",
				h.node, werr, cerr, h.e.redact(strings.TrimSpace(h.stderr.String())))
		}
		go func() {
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
			defer cancel()
			w := h.e.docker.ContainerWait(wctx, h.id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
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

func (h *held) remove(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
	defer cancel()
	_ = removeContainer(rctx, h.e.docker, h.id)
}
