package docker

// The DR engine's jobs inside the run: their environment, and their output
// followed line by line as it is printed (docs/architecture.md, "Sidecars").

import (
	"context"
	"io"
	"net"
	"strings"

	"github.com/firedrill/firedrill/platform/docker/internal/logs"
	"github.com/firedrill/firedrill/topology"
)

// Environment variables of firedrill's agent inside the run. The values
// hold the run's secrets: they are passed to containers, never printed.
const (
	EnvS3Endpoint  = "FIREDRILL_S3_ENDPOINT"
	EnvS3Bucket    = "FIREDRILL_S3_BUCKET"
	EnvS3AccessKey = "FIREDRILL_S3_ACCESS_KEY"
	EnvS3SecretKey = "FIREDRILL_S3_SECRET_KEY"
	EnvS3Region    = "FIREDRILL_S3_REGION"
	EnvPostgresDSN = "FIREDRILL_PG_DSN"
)

// JobEnv is the environment of a backup or restore job run inside the run
// (a sidecar on the app's node): the storage at its host name on the
// run's networks, and a connection string listing every Postgres node
// with target_session_attrs=read-write, so that a job finds the current
// primary after a failover. Pass it with platform.WithEnv; the runtime
// redacts the passwords from whatever the job prints.
func (e *Env) JobEnv() map[string]string {
	env := e.s3Env()
	env[EnvPostgresDSN] = e.appDSN("read-write")
	return env
}

// s3Env is how firedrill's agent reaches the run's bucket from inside the
// run: what a job and a Postgres node's archive_command read.
func (e *Env) s3Env() map[string]string {
	port, _, _ := strings.Cut(topology.PortS3, "/")
	return map[string]string{
		EnvS3Endpoint:  "http://" + net.JoinHostPort(topology.NodeStorage, port),
		EnvS3Bucket:    e.Bucket,
		EnvS3AccessKey: s3User,
		EnvS3SecretKey: e.s3Password,
		EnvS3Region:    "us-east-1",
	}
}

// followLog copies a container's output into w (logs.Follow).
func (e *Env) followLog(ctx context.Context, id string, w io.Writer, follow bool) (done <-chan error, stop func(), err error) {
	return logs.Follow(ctx, e.docker, id, w, follow)
}
