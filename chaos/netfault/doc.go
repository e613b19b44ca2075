// Package netfault holds the network faults: partition, loss, bandwidth,
// s3-outage and region-drop, one file each, each registering its action
// with chaos.Register from init. Each acts from inside the target nodes'
// network namespaces, with rules or qdiscs of the injection's own held by
// a sidecar (chaos/internal/netkit), and its evidence is what a probe from
// inside the node sees (docs/architecture.md, "Network faults").
package netfault
