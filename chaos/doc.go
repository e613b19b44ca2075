// Package chaos injects faults into a running drill. Every action is one
// file that registers a Spec in the fault registry: its name (one of the
// language's actions, scenarios.Actions) and a constructor that builds a
// fresh Fault for each injection from its decoded, validated params, so
// per-injection state (a sidecar, a rule handle, the nodes it stopped) has
// a place to live. A Fault that can be undone also implements Reverter.
// The process faults (kill, stop, restart, pause) are here; the network
// faults in chaos/netfault, the latency in chaos/latency, disk-fill in
// chaos/diskfault, each registering from init; chaos/faults imports them
// all, for whatever needs the whole registry (the drill engine).
//
// The Injector resolves an injection's targets through package topology
// at injection time (postgres.primary is whichever node is primary then),
// stamps the instant its effect is applied (after resolution), and returns
// evidence that the fault took effect: a fault that did not take effect is
// an error, which makes the drill inconclusive, never a pass
// (docs/architecture.md, "Faults as a registry"; docs/measurement.md,
// "Injections: T, Span and E").
package chaos
