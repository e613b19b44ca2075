// Package chaos injects faults into a running environment. Each action is a
// Fault: Inject returns once the fault has taken effect, and a fault that
// can be undone also implements Reverter. Targets are named by role
// (postgres.primary, postgres.replica, storage, app) or by node name and are
// resolved when the fault is injected, not when the scenario is loaded:
// postgres.primary means whichever node is primary at that moment.
//
// This version has one action, kill (SIGKILL of the target's container).
// More actions (partitions, latency, disk fill, region drop) and the monkey
// scheduler come next.
package chaos
