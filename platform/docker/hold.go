package docker

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/platform/docker/internal/held"
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
	att, err := e.docker.ContainerAttach(ctx, created.ID, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		_ = removeContainer(context.WithoutCancel(ctx), e.docker, created.ID)
		return nil, fmt.Errorf("hold in %s: attach to sidecar: %w", name, err)
	}
	h := held.New(e.docker, name, created.ID, att.HijackedResponse, e.redact, readyTimeout)
	if _, err := e.docker.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		h.Abort(ctx)
		return nil, fmt.Errorf("hold in %s: start sidecar: %w", name, err)
	}
	if err := h.WaitFirst(ctx); err != nil {
		return nil, fmt.Errorf("hold in %s: %w", name, err)
	}
	return h, nil
}
