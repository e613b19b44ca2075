package docker

import (
	"github.com/firedrill/firedrill/topology"

	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/platform/docker/internal/lines"
	"github.com/firedrill/firedrill/platform/docker/internal/runobj"
)

// LabelSidecar marks a sidecar container and names the node whose network
// namespace it shares.
const LabelSidecar = runobj.LabelSidecar

var sidecarSeq atomic.Int64

// Exec runs cmd in a sidecar container that joins the node's network
// namespace (Docker's --network container:<id>) with the NET_ADMIN
// capability: the node's own image is never changed and needs no shell or
// tools. The sidecar runs the nettools image (a shell, iproute2, iptables;
// docs/architecture.md, "Sidecars") unless opts choose firedrill's agent
// or the run's Postgres image with the agent in it, carries the run's label so that `firedrill clean` finds it, and is
// removed when the command ends.
func (e *Env) Exec(ctx context.Context, name string, cmd []string, opts ...platform.SidecarOption) (platform.ExecResult, error) {
	created, err := e.createSidecar(ctx, "exec in", name, cmd, false, opts)
	if err != nil {
		return platform.ExecResult{}, err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
		defer cancel()
		_ = removeContainer(rctx, e.docker, created.ID)
	}()
	wait := e.docker.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := e.docker.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return platform.ExecResult{}, fmt.Errorf("exec in %s: start sidecar: %w", name, err)
	}
	// The output is followed while the command runs, so WithOutput sees
	// each line as it is printed; the follow ends when the sidecar exits.
	var out bytes.Buffer
	lines := &lines.Writer{Each: platform.NewSidecarConfig(opts...).Output, Redact: e.redact, All: &lines.Capped{Buf: &out, Left: lines.MaxOutput}}
	copied, stop, err := e.followLog(ctx, created.ID, lines, true)
	if err != nil {
		return platform.ExecResult{}, fmt.Errorf("exec in %s: read output: %w", name, err)
	}
	defer stop() // no line is handed on after Exec returns
	var code int
	select {
	case <-ctx.Done():
		return platform.ExecResult{}, fmt.Errorf("exec in %s: %w", name, ctx.Err())
	case err := <-wait.Error:
		return platform.ExecResult{}, fmt.Errorf("exec in %s: wait for sidecar: %w", name, err)
	case r := <-wait.Result:
		code = int(r.StatusCode)
	}
	select {
	case <-ctx.Done():
		return platform.ExecResult{ExitCode: code}, fmt.Errorf("exec in %s: read output: %w", name, ctx.Err())
	case err := <-copied:
		if err != nil {
			return platform.ExecResult{ExitCode: code}, fmt.Errorf("exec in %s: read output: %w", name, err)
		}
	}
	lines.Flush()
	return platform.ExecResult{ExitCode: code, Output: strings.TrimRight(e.redact(out.String()), "\n")}, nil
}

// createSidecar creates (not starts) a sidecar in the node's network
// namespace for cmd, configured by opts; attach keeps its standard input
// open for Hold. what starts its errors ("exec in").
func (e *Env) createSidecar(ctx context.Context, what, name string, cmd []string, attach bool, opts []platform.SidecarOption) (client.ContainerCreateResult, error) {
	n, err := e.mustNode(name)
	if err != nil {
		return client.ContainerCreateResult{}, err
	}
	cfg := platform.NewSidecarConfig(opts...)
	image := map[platform.SidecarImage]string{platform.SidecarTools: e.sidecarImage,
		platform.SidecarAgent: e.agentImage, platform.SidecarPostgres: e.postgresImage}[cfg.Image]
	if image == "" {
		return client.ContainerCreateResult{}, fmt.Errorf("%s %s: no %s sidecar image resolved for this run", what, name, cfg.Image)
	}
	labels := e.labels(nil)
	labels[LabelSidecar] = name
	sname := fmt.Sprintf("%ssidecar-%s-%d", topology.ObjectPrefix(e.RunID), name, sidecarSeq.Add(1))
	config := &container.Config{Image: image, Cmd: cmd, Entrypoint: []string{}, Labels: labels, User: "root"}
	if cfg.Image == platform.SidecarAgent {
		// The agent image is the static binary alone, its entrypoint:
		// cmd is the subcommand and its arguments ("agent", ...). It has
		// no /etc/passwd, so root is named by number.
		config.Entrypoint = nil
		config.User = "0:0"
	}
	if cfg.Image == platform.SidecarPostgres {
		// The Postgres image with the binary copied in (agentbin.go):
		// the binary is the entrypoint, as in the agent image.
		config.Entrypoint = []string{AgentPath}
		config.User = "0:0"
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.Env)) {
		config.Env = append(config.Env, k+"="+cfg.Env[k])
	}
	if attach {
		config.OpenStdin, config.StdinOnce, config.AttachStdin, config.AttachStdout, config.AttachStderr = true, true, true, true, true
	}
	host := &container.HostConfig{NetworkMode: container.NetworkMode("container:" + n.id()), CapAdd: []string{"NET_ADMIN"}}
	if cfg.Volume {
		if n.Volume == "" {
			return client.ContainerCreateResult{}, fmt.Errorf("%s %s: the node has no data volume", what, name)
		}
		host.Mounts = []mount.Mount{{Type: mount.TypeVolume, Source: topology.VolumeName(e.RunID, name), Target: n.Volume}}
	}
	created, err := e.docker.ContainerCreate(ctx, client.ContainerCreateOptions{Name: sname, Config: config, HostConfig: host})
	if err != nil {
		return client.ContainerCreateResult{}, fmt.Errorf("%s %s: create sidecar: %w", what, name, err)
	}
	if cfg.Image == platform.SidecarPostgres {
		if err := e.copyAgent(ctx, created.ID); err != nil {
			_ = removeContainer(context.WithoutCancel(ctx), e.docker, created.ID)
			return client.ContainerCreateResult{}, fmt.Errorf("%s %s: %w", what, name, err)
		}
	}
	return created, nil
}
