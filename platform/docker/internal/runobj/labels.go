package runobj

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// Labels put on every object a run creates.
const (
	// LabelRun marks an object as created by the firedrill run whose id it holds.
	LabelRun = "firedrill.run"
	// LabelNode names the environment node a container plays (pg-primary, minio, app).
	LabelNode = "firedrill.node"
	// LabelRole is the node's kind: postgres, storage, app.
	LabelRole = "firedrill.role"
)

func init() {
	// Ryuk, testcontainers' reaper, needs an image that cannot be pulled here.
	// firedrill cleans up by its own labels instead (Env.Down and Clean), so
	// the reaper is switched off before the first testcontainers call.
	_ = os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
}

// runIDRandomBytes is the random part of a run id: 40 bits, so that two runs
// started in the same second on one Docker host (two CI jobs, a developer and
// a game day) pick the same id with a chance of one in 10^12. Even then they
// cannot collide: the run's lease container is claimed by name before
// anything else is created (see lease.go), and the second run stops there.
const runIDRandomBytes = 5

// NewRunID returns a run id that sorts by time: 20261121-230501-3fa9c2b1d0.
func NewRunID() string {
	var b [runIDRandomBytes]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// CheckRunID refuses a run id (given with WithRunID) that would make names
// Docker or Postgres refuse: the name limits of the scenario language leave
// room for scenarios.MaxRunIDLength characters of a run id, and the id is
// part of every container, network and volume name.
func CheckRunID(id string) error {
	if id == "" || len(id) > scenarios.MaxRunIDLength {
		return fmt.Errorf("run id %q: want 1 to %d characters", id, scenarios.MaxRunIDLength)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || (c >= 'A' && c <= 'Z') || c == '_' || c == '.') {
			return fmt.Errorf("run id %q: only letters, digits, '-', '_' and '.' may appear in Docker names", id)
		}
	}
	return nil
}

// NewSecret returns a random password. Secrets are generated per run and
// never logged.
func NewSecret() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// LabelSidecar marks a sidecar container and names the node whose network
// namespace it shares.
const LabelSidecar = "firedrill.sidecar-of"

// VolumeHolderName is the container that keeps node's size-limited volume
// mounted. The dot keeps it apart from every node's container name (node
// names are lowercase letters, digits and dashes).
func VolumeHolderName(runID, node string) string {
	return topology.ObjectPrefix(runID) + node + ".volume"
}

// TmpfsVolumeOptions are the local driver's options for a tmpfs volume
// of size bytes.
func TmpfsVolumeOptions(size int64) map[string]string {
	return map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=" + strconv.FormatInt(size, 10)}
}
