package docker

// Data volumes, and the size-limited disk of a Postgres node
// (docs/architecture.md, "Disk faults").
//
// A node's data lives in a named volume of the run. A Postgres node's is
// size-limited, environment.postgres.disk_size, so that disk-fill fills
// it and never the host's disk. The storage driver here (fuse-overlayfs)
// takes no size option and loop devices need privileges a drill does not
// have, so the volume is a tmpfs of that size: Docker's local volume
// driver mounts one (type=tmpfs, o=size=N). The local driver unmounts it,
// and its data is gone, when the last container using it stops; a kill
// and start of a Postgres node must keep its data (crash recovery), so a
// holder container of the run, the tools image sleeping, keeps the volume
// mounted from before the node starts until the run is removed. It carries
// the run's label like every object of the run: Down and `firedrill clean`
// remove it, and then the volume.

import (
	"context"
	"fmt"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/platform/docker/internal/runobj"
	"github.com/firedrill/firedrill/topology"
)

// KindVolumeHolder is the kind (LabelRole) of a container that keeps a
// size-limited volume mounted.
const KindVolumeHolder = "volume-holder"

// volumeHolderMount is where a holder mounts the volume: a path no image
// has, and mounted without copying anything in (NoCopy), so the volume
// stays empty until the node's own image fills it (Docker copies the
// image's data directory, with its owner, into an empty volume: a
// replica, running as the image's postgres user, needs that owner).
const volumeHolderMount = "/firedrill-volume"

// createVolume creates the data volume of n and returns its name; a
// size-limited one (n.VolumeSize) is a tmpfs kept mounted by a holder.
func (e *Env) createVolume(ctx context.Context, n *topology.Node) (string, error) {
	name := topology.VolumeName(e.RunID, n.Name)
	opts := client.VolumeCreateOptions{Name: name, Labels: e.labels(n)}
	if n.VolumeSize > 0 {
		opts.Driver, opts.DriverOpts = "local", runobj.TmpfsVolumeOptions(n.VolumeSize)
	}
	if _, err := e.docker.VolumeCreate(ctx, opts); err != nil {
		return "", fmt.Errorf("create volume for %s: %w", n.Name, err)
	}
	if n.VolumeSize > 0 {
		if err := e.holdVolume(ctx, n, name); err != nil {
			return "", err
		}
	}
	return name, nil
}

// holdVolume starts the holder of n's volume. Removing the holder (Down,
// clean) unmounts the tmpfs once no node uses it.
func (e *Env) holdVolume(ctx context.Context, n *topology.Node, volume string) error {
	if e.sidecarImage == "" {
		return fmt.Errorf("keep the volume of %s mounted: no tools image resolved for this run", n.Name)
	}
	labels := map[string]string{LabelRun: e.RunID, LabelNode: n.Name + ".volume", LabelRole: KindVolumeHolder}
	created, err := e.docker.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: runobj.VolumeHolderName(e.RunID, n.Name),
		Config: &container.Config{
			Image: e.sidecarImage, Entrypoint: []string{"sleep"}, Cmd: []string{"infinity"},
			Labels: labels, StopSignal: "SIGKILL", // sleep, as pid 1, ignores SIGTERM
		},
		HostConfig: &container.HostConfig{
			NetworkMode: "none",
			Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: volume, Target: volumeHolderMount, ReadOnly: true,
				VolumeOptions: &mount.VolumeOptions{NoCopy: true}}},
		},
	})
	if err != nil {
		return fmt.Errorf("create the holder of %s's volume: %w", n.Name, err)
	}
	if _, err := e.docker.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start the holder of %s's volume: %w", n.Name, err)
	}
	e.log.Debug("volume held", "volume", volume, "size", n.VolumeSize)
	return nil
}
