package docker

// firedrill's static binary inside images that are not firedrill's
// (docs/architecture.md, "Sidecars"): the run's agent image, FROM scratch
// with the binary at /firedrill, is its one source. It is read once per
// run and copied into a container after it is created and before it
// starts, so the official Postgres image is used unchanged.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/firedrill/firedrill/platform/docker/internal/agenttar"
	"github.com/firedrill/firedrill/platform/docker/internal/pgnode"
	"github.com/firedrill/firedrill/topology"
)

// AgentPath is where firedrill's binary is copied into containers.
const AgentPath = pgnode.AgentPath

// agentInImage is the binary's path in the agent image.
const agentInImage = "/firedrill"

// kindAgentReader is the LabelRole of the container, never started, that
// the binary is read from.
const kindAgentReader = "agent-binary"

// agentCopy is the binary as an archive for CopyToContainer at "/", made
// once per run.
type agentCopy struct {
	once    sync.Once
	archive []byte
	err     error
}

// agentArchive returns the archive of AgentPath, reading the binary out
// of the agent image on the first call. The read outlives a cancelled
// first caller (it is remembered for the run): it is bounded by
// readyTimeout instead.
func (e *Env) agentArchive(ctx context.Context) ([]byte, error) {
	e.agent.once.Do(func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
		defer cancel()
		bin, err := e.readAgentBinary(rctx)
		if err != nil {
			e.agent.err = fmt.Errorf("read firedrill's binary from the agent image %s: %w", e.agentImage, err)
			return
		}
		e.agent.archive, e.agent.err = agenttar.Archive(bin)
	})
	return e.agent.archive, e.agent.err
}

// readAgentBinary creates a container of the agent image without starting
// it, copies the binary out and removes the container. The container
// carries the run's label, so that a killed run's leftover is cleaned, and
// LabelSidecar, so that the trouble watcher knows its removal is the
// run's own.
func (e *Env) readAgentBinary(ctx context.Context) ([]byte, error) {
	if e.agentImage == "" {
		return nil, errors.New("no agent image resolved for this run")
	}
	labels := e.labels(nil)
	labels[LabelRole] = kindAgentReader
	labels[LabelSidecar] = ""
	created, err := e.docker.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:       fmt.Sprintf("%s%s-%d", topology.ObjectPrefix(e.RunID), kindAgentReader, sidecarSeq.Add(1)),
		Config:     &container.Config{Image: e.agentImage, Labels: labels},
		HostConfig: &container.HostConfig{NetworkMode: "none"},
	})
	if err != nil {
		return nil, fmt.Errorf("create container: %w", err)
	}
	defer func() { _ = removeContainer(context.WithoutCancel(ctx), e.docker, created.ID) }()
	cp, err := e.docker.CopyFromContainer(ctx, created.ID, client.CopyFromContainerOptions{SourcePath: agentInImage})
	if err != nil {
		return nil, fmt.Errorf("copy %s out: %w", agentInImage, err)
	}
	defer cp.Content.Close()
	return agenttar.FirstFile(cp.Content)
}

// copyAgent copies the binary into a created container, before it starts.
func (e *Env) copyAgent(ctx context.Context, id string) error {
	archive, err := e.agentArchive(ctx)
	if err != nil {
		return err
	}
	if _, err := e.docker.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: bytes.NewReader(archive)}); err != nil {
		return fmt.Errorf("copy firedrill's binary into the container: %w", err)
	}
	return nil
}

// withAgent is the testcontainers option that copies the binary into a
// node's container between its creation and its start.
func (e *Env) withAgent() testcontainers.ContainerCustomizer {
	return testcontainers.WithAdditionalLifecycleHooks(testcontainers.ContainerLifecycleHooks{
		PostCreates: []testcontainers.ContainerHook{func(ctx context.Context, c testcontainers.Container) error {
			return e.copyAgent(ctx, c.GetContainerID())
		}},
	})
}
