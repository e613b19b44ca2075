package runobj

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// CleanReport lists what Clean removed, and the live runs it left alone.
type CleanReport struct {
	Containers []string
	Networks   []string
	Volumes    []string
	// Live are the runs whose harness is still running (their lease is
	// alive): Clean left them alone. CleanForce removes them too.
	Live []string
}

// Empty reports whether nothing was removed.
func (r CleanReport) Empty() bool {
	return len(r.Containers)+len(r.Networks)+len(r.Volumes) == 0
}

// CleanOption configures Clean.
type CleanOption func(*cleanConfig)

type cleanConfig struct {
	runID string
	force bool
	now   func() time.Time
}

// CleanRun limits Clean to the objects of one run.
func CleanRun(runID string) CleanOption { return func(c *cleanConfig) { c.runID = runID } }

// CleanForce removes runs whose harness is still alive too.
func CleanForce() CleanOption { return func(c *cleanConfig) { c.force = true } }

// Clean removes the containers, networks and volumes labelled firedrill.run
// of every run whose harness is gone (only of one run with CleanRun). A run's
// harness is gone when its lease container is not running (see lease.go);
// live runs are listed in the report and left alone unless CleanForce is
// given. Clean only ever selects by the firedrill.run label, so objects
// firedrill did not create are never touched. Containers go first (a network
// in use cannot be removed), then networks, then volumes. It keeps going
// after an error and returns all errors joined.
func Clean(ctx context.Context, docker *client.Client, opts ...CleanOption) (CleanReport, error) {
	cfg := cleanConfig{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	var rep CleanReport
	var errs []error
	label := LabelRun
	if cfg.runID != "" {
		label = LabelRun + "=" + cfg.runID
	}
	filter := make(client.Filters).Add("label", label)

	cs, err := docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return rep, fmt.Errorf("list containers: %w", err)
	}
	// A run is live while its lease is: decide per run before removing
	// anything, so that a run is never half removed by this call.
	live := map[string]bool{}
	if !cfg.force {
		for _, c := range cs.Items {
			if c.Labels[LabelNode] == NodeLease && LeaseAlive(c, cfg.now()) {
				live[c.Labels[LabelRun]] = true
			}
		}
		for id := range live {
			rep.Live = append(rep.Live, id)
		}
		slices.Sort(rep.Live)
	}
	ours := func(labels map[string]string) bool {
		id, ok := labels[LabelRun] // belt and braces: never act on unlabelled objects
		return ok && !live[id]
	}

	for _, c := range cs.Items {
		if !ours(c.Labels) {
			continue
		}
		if err := RemoveContainer(ctx, docker, c.ID); err != nil {
			errs = append(errs, fmt.Errorf("remove container %s: %w", shortName(c.Names), err))
			continue
		}
		rep.Containers = append(rep.Containers, shortName(c.Names))
	}

	ns, err := docker.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		errs = append(errs, fmt.Errorf("list networks: %w", err))
	} else {
		for _, n := range ns.Items {
			if !ours(n.Labels) {
				continue
			}
			if _, err := docker.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !IsNotFound(err) {
				errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
				continue
			}
			rep.Networks = append(rep.Networks, n.Name)
		}
	}

	vs, err := docker.VolumeList(ctx, client.VolumeListOptions{Filters: filter})
	if err != nil {
		errs = append(errs, fmt.Errorf("list volumes: %w", err))
	} else {
		for _, v := range vs.Items {
			if !ours(v.Labels) {
				continue
			}
			if _, err := docker.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); err != nil && !IsNotFound(err) {
				errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
				continue
			}
			rep.Volumes = append(rep.Volumes, v.Name)
		}
	}
	return rep, errors.Join(errs...)
}

// removalWait bounds the wait for a removal someone else started.
const removalWait = 30 * time.Second

// RemoveContainer force-removes a container with its anonymous volumes. A
// removal already under way is waited for rather than reported: the daemon
// finishes a removal whose client died (a harness killed in its teardown),
// and two cleans may meet on one container.
func RemoveContainer(ctx context.Context, docker *client.Client, id string) error {
	_, err := docker.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err == nil || IsNotFound(err) {
		return nil
	}
	if !strings.Contains(err.Error(), "already in progress") {
		return err
	}
	deadline := time.Now().Add(removalWait)
	for time.Now().Before(deadline) {
		if _, ierr := docker.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); IsNotFound(ierr) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%w (still there after %s)", err, removalWait)
}

func shortName(names []string) string {
	if len(names) == 0 {
		return "?"
	}
	n := names[0]
	if len(n) > 0 && n[0] == '/' {
		n = n[1:]
	}
	return n
}

// IsNotFound reports a Docker "no such object" error: something removed
// concurrently (for instance by testcontainers' own Terminate) is not a failure.
func IsNotFound(err error) bool {
	return err != nil && cerrdefs.IsNotFound(err)
}
