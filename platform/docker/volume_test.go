package docker

import (
	"strings"
	"testing"

	"github.com/firedrill/firedrill/platform/docker/internal/runobj"
	"github.com/firedrill/firedrill/topology"
)

// The WAL settings take at most half the disk, so the rest is the
// database's and a full disk is what a disk-fill makes it.

func TestVolumeHolderName(t *testing.T) {
	got := runobj.VolumeHolderName("r1", topology.NodePrimary)
	if got != "firedrill-r1-pg-primary.volume" {
		t.Errorf("holder name %q", got)
	}
	// No node's container can have it: node names have no dot.
	if strings.HasPrefix(got, topology.ContainerName("r1", topology.NodePrimary)+"-") {
		t.Errorf("holder name %q could be a node's container name", got)
	}
	if o := runobj.TmpfsVolumeOptions(1 << 30); o["type"] != "tmpfs" || o["device"] != "tmpfs" || o["o"] != "size=1073741824" {
		t.Errorf("tmpfs options %v", o)
	}
}
