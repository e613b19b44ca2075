// Package platform is the seam between the drill engine and the container
// platform it runs on. Runtime is the small interface every platform
// implements (the Docker runtime in platform/docker today, a Kubernetes
// runtime later): start, stop, kill, pause and resume a node, cut it off
// a network and reconnect it, run a command in its network namespace
// through a sidecar, reach its ports, and say what state it is in.
//
// Nodes are named by package topology; a Runtime never invents a name.
// The engine's parts (faults, Postgres administration, the DR engine)
// reach containers only through this interface (docs/architecture.md,
// "The runtime interface").
package platform
