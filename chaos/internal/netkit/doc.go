// Package netkit is what the network faults share (chaos/netfault's
// partition, loss, bandwidth, s3-outage and region-drop, and chaos/latency):
// docs/architecture.md, "Network faults". It is internal to chaos: only the
// fault packages under it use it.
//
//   - PeersOf: the other side of a fault, resolved now, with each peer's
//     addresses now.
//   - NewInjectionName: an iptables chain name (and a qdisc handle) of one
//     injection's own, so a revert deletes exactly what it added and never
//     a rule of someone else.
//   - HoldScript: the bash program a Hold sidecar runs: apply, say "held",
//     wait for a line or the end of its input, report, undo, say
//     "released <report>".
//   - HoldEach, HoldOn and HeldSet: a Hold sidecar on each node at once,
//     recorded per node; ReleaseEach, ChainUndone and JoinResults: their
//     release at the revert, the check from inside that nothing is left,
//     and the evidence.
//   - ProbeTCP: TCP connects run from inside a node's network namespace,
//     all at once, each bounded: the evidence that traffic flows or not.
//   - EachNode: one call per node, all at once, results in node order.
//
// Every address here is IPv4: the run's Docker networks are.
package netkit
