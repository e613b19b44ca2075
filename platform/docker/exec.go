package docker

import (
	"github.com/firedrill/firedrill/topology"

	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/platform"
)

// LabelSidecar marks a sidecar container and names the node whose network
// namespace it shares.
const LabelSidecar = "firedrill.sidecar-of"

// maxExecOutput caps what Exec keeps of a command's output.
const maxExecOutput = 1 << 20

var sidecarSeq atomic.Int64

// Exec runs cmd in a sidecar container that joins the node's network
// namespace (Docker's --network container:<id>) with the NET_ADMIN
// capability: the node's own image is never changed and needs no shell or
// tools. The sidecar runs the nettools image (a shell, iproute2, iptables;
// docs/architecture.md, "Sidecars"), carries the run's label so that
// `firedrill clean` finds it, and is removed when the command ends.
func (e *Env) Exec(ctx context.Context, name string, cmd []string) (platform.ExecResult, error) {
	n, err := e.mustNode(name)
	if err != nil {
		return platform.ExecResult{}, err
	}
	if e.sidecarImage == "" {
		return platform.ExecResult{}, fmt.Errorf("exec in %s: no sidecar image resolved for this run", name)
	}
	labels := e.labels(nil)
	labels[LabelSidecar] = name
	sname := fmt.Sprintf("%ssidecar-%s-%d", topology.ObjectPrefix(e.RunID), name, sidecarSeq.Add(1))
	created, err := e.docker.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: sname,
		Config: &container.Config{Image: e.sidecarImage, Cmd: cmd, Entrypoint: []string{}, Labels: labels,
			User: "root"},
		HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode("container:" + n.id()),
			CapAdd: []string{"NET_ADMIN"}},
	})
	if err != nil {
		return platform.ExecResult{}, fmt.Errorf("exec in %s: create sidecar: %w", name, err)
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
	var code int
	select {
	case <-ctx.Done():
		return platform.ExecResult{}, fmt.Errorf("exec in %s: %w", name, ctx.Err())
	case err := <-wait.Error:
		return platform.ExecResult{}, fmt.Errorf("exec in %s: wait for sidecar: %w", name, err)
	case r := <-wait.Result:
		code = int(r.StatusCode)
	}
	logs, err := e.docker.ContainerLogs(ctx, created.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return platform.ExecResult{ExitCode: code}, fmt.Errorf("exec in %s: read output: %w", name, err)
	}
	defer logs.Close()
	var out bytes.Buffer
	w := &capped{buf: &out, left: maxExecOutput}
	if _, err := stdcopy.StdCopy(w, w, logs); err != nil {
		return platform.ExecResult{ExitCode: code}, fmt.Errorf("exec in %s: read output: %w", name, err)
	}
	return platform.ExecResult{ExitCode: code, Output: strings.TrimRight(e.redact(out.String()), "\n")}, nil
}

// capped keeps the first left bytes written and drops the rest.
type capped struct {
	buf  *bytes.Buffer
	left int
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p)
	if c.left > 0 {
		k := min(n, c.left)
		c.buf.Write(p[:k])
		c.left -= k
	}
	return n, nil
}
