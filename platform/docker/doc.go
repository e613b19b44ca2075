// Package docker builds and tears down the Docker environment a drill runs
// in: one Docker network per region plus a "wan" network that joins them, a
// Postgres primary with streaming replicas, MinIO as the S3 backup target and
// the sample application. The images those need come from package
// the images package, which builds them locally from Debian packages and the Go
// module proxy when no registry can be reached.
//
// Every container, network and volume it creates carries the label
// firedrill.run=<run id>. Env.Down removes them; Clean sweeps whatever a
// killed run left behind, and refuses to touch anything without the label.
//
// The harness reaches containers only through ports published on 127.0.0.1.
// Containers reach each other by name over the networks this package made.
package docker
