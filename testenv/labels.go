package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"time"
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

// NewRunID returns a run id that sorts by time and is unique enough to share
// one Docker host with other runs: 20261121-230501-3fa9.
func NewRunID() string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// newSecret returns a random password. Secrets are generated per run and
// never logged.
func newSecret() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
