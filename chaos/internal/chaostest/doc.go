// Package chaostest is what the tests of the fault packages share, so that
// none keeps a copy: a Target on a fake runtime and the checks of a
// fault's calls and evidence (NewCall, NewFault, WantEvidence), the
// network faults' world of addressed nodes (NetWorld), and, with the
// integration build tag, the rig of the integration tests: one environment
// up on Docker and a fault on it as the Injector would build it (NetRig).
package chaostest
