package testenv

import (
	"context"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// CleanReport lists what Clean removed.
type CleanReport struct {
	Containers []string
	Networks   []string
	Volumes    []string
}

// Empty reports whether nothing was found.
func (r CleanReport) Empty() bool {
	return len(r.Containers)+len(r.Networks)+len(r.Volumes) == 0
}

// Clean removes every container, network and volume labelled firedrill.run
// (only those of runID when it is not empty). It only ever selects by that
// label, so objects firedrill did not create are never touched. Containers
// go first (a network in use cannot be removed), then networks, then volumes.
// It keeps going after an error and returns all errors joined.
func Clean(ctx context.Context, docker *client.Client, runID string) (CleanReport, error) {
	var rep CleanReport
	var errs []error
	label := LabelRun
	if runID != "" {
		label = LabelRun + "=" + runID
	}
	filter := make(client.Filters).Add("label", label)

	cs, err := docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return rep, fmt.Errorf("list containers: %w", err)
	}
	for _, c := range cs.Items {
		if _, ok := c.Labels[LabelRun]; !ok { // belt and braces: never act on unlabelled objects
			continue
		}
		if _, err := docker.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) {
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
			if _, ok := n.Labels[LabelRun]; !ok {
				continue
			}
			if _, err := docker.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !isNotFound(err) {
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
			if _, ok := v.Labels[LabelRun]; !ok {
				continue
			}
			if _, err := docker.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); err != nil && !isNotFound(err) {
				errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
				continue
			}
			rep.Volumes = append(rep.Volumes, v.Name)
		}
	}
	return rep, errors.Join(errs...)
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

// isNotFound reports a Docker "no such object" error: something removed
// concurrently (for instance by testcontainers' own Terminate) is not a failure.
func isNotFound(err error) bool {
	return err != nil && cerrdefs.IsNotFound(err)
}
