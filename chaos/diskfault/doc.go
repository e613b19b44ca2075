// Package diskfault holds the disk-fill fault, registered with
// chaos.Register from init: a node's own size-limited data volume filled
// from a sidecar, never the host's disk (docs/architecture.md, "Disk
// faults").
package diskfault
