// Package topology is the one model of a drill's environment: which nodes
// run (name, service, kind, initial role, region, labels, networks, ports,
// volume), the chosen HA stack's coordination nodes (etcd members, the
// monitor: derived and targetable, not started yet), how the run's objects
// are named, and how a fault's target or selector resolves to nodes. The runtime builds from it, the faults and
// the DR engine act on its nodes, and `firedrill plan` prints it: nothing
// re-derives a node name, a network or a resolution elsewhere
// (docs/architecture.md, "One model of the topology").
//
// Resolution asks a State what is true now (which node is primary, which
// nodes run); Initial is the state at the start of a drill, which is what
// plan shows.
package topology
