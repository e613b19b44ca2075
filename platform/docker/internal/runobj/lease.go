package runobj

// The lease: a run's claim on its id and the proof, for `firedrill clean`,
// that the harness which owns the run is still alive.
//
// Docker labels cannot change after an object is created, so a heartbeat
// label is impossible, and a process id means nothing to a Docker host shared
// by several machines or PID namespaces (two CI jobs, a developer and a game
// day). The lease is instead a tiny container, firedrill-<run id>-lease,
// created before any other object of the run. Its name makes the claim
// atomic (Docker refuses a second container of the same name), and it runs
// `firedrill lease`, which exits when its standard input closes. The harness
// keeps that stdin attached for the whole run: when the harness ends in any
// way, a SIGKILL included, the kernel closes the connection, Docker closes
// the lease's stdin (StdinOnce) and the lease exits. A run whose lease is not
// running has no harness left.

import (
	"github.com/firedrill/firedrill/topology"

	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// NodeLease is the node name of a run's lease container.
const NodeLease = "lease"

// KindLease is the kind (LabelRole) of a run's lease container.
const KindLease = "lease"

// leaseStartGrace is how long a lease that is created but not yet running
// still counts as alive: between its creation and its start a harness is
// alive but its lease is not running yet.
const leaseStartGrace = 2 * time.Minute

// ErrRunIDTaken is returned when another run holds the lease of the same id.
var ErrRunIDTaken = errors.New("run id already in use")

// Lease is a held claim on a run id.
type Lease struct {
	docker      *client.Client
	containerID string
	conn        client.HijackedResponse
}

// AcquireLease creates, attaches to and starts the lease container of runID
// from image (firedrill's own app image: it needs the firedrill binary). On
// ErrRunIDTaken nothing was created and nothing may be removed: the objects
// labelled with that id belong to another run.
func AcquireLease(ctx context.Context, docker *client.Client, runID, image string) (*Lease, error) {
	name := topology.ContainerName(runID, NodeLease)
	created, err := docker.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: name,
		Config: &container.Config{
			Image:       image,
			Cmd:         []string{"lease"},
			Labels:      map[string]string{LabelRun: runID, LabelNode: NodeLease, LabelRole: KindLease},
			OpenStdin:   true,
			StdinOnce:   true,
			AttachStdin: true,
		},
		HostConfig: &container.HostConfig{NetworkMode: "none"},
	})
	if err != nil {
		if cerrdefs.IsConflict(err) {
			return nil, fmt.Errorf("claim run id %s: %w (a container named %s exists)", runID, ErrRunIDTaken, name)
		}
		return nil, fmt.Errorf("create the run's lease container: %w", err)
	}
	l := &Lease{docker: docker, containerID: created.ID}
	att, err := docker.ContainerAttach(ctx, created.ID, client.ContainerAttachOptions{Stream: true, Stdin: true})
	if err != nil {
		return l, fmt.Errorf("attach to the run's lease container: %w", err)
	}
	l.conn = att.HijackedResponse
	if _, err := docker.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return l, fmt.Errorf("start the run's lease container: %w", err)
	}
	return l, nil
}

// Release lets the lease container exit. Removing it is teardown's job.
func (l *Lease) Release() {
	if l != nil && l.conn.Conn != nil {
		l.conn.Close()
	}
}

// leaseEndWait bounds how long end waits for the lease container to exit.
const leaseEndWait = 10 * time.Second

// End releases the lease and waits until its container has exited, so that
// a `firedrill clean` run right after (a script after `run --keep`) already
// sees the run's harness gone.
func (l *Lease) End(ctx context.Context) error {
	if l == nil || l.containerID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, leaseEndWait)
	defer cancel()
	// Wait from before the release, or the exit could come first and be missed.
	w := l.docker.ContainerWait(ctx, l.containerID, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	l.Release()
	select {
	case <-w.Result:
		return nil
	case err := <-w.Error:
		return fmt.Errorf("wait for the run's lease to end: %w", err)
	}
}

// LeaseAlive reports whether a lease container, as listed, shows a live
// harness.
func LeaseAlive(c container.Summary, now time.Time) bool {
	switch c.State {
	case container.StateRunning, container.StatePaused, container.StateRestarting:
		return true
	case container.StateCreated:
		return now.Sub(time.Unix(c.Created, 0)) < leaseStartGrace
	}
	return false
}

// HoldLease is what `firedrill lease` runs inside the lease container: it
// returns when r (the container's stdin, attached by the harness) closes.
func HoldLease(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("lease: %w", err)
	}
	return nil
}
