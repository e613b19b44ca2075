// Package fakert is an in-memory platform.Runtime for unit tests: nodes
// with states that the runtime's calls change the way a container platform
// would (a kill leaves a node exited with code 137, a pause freezes it, a
// start gives it a new pid and start time), a record of every call, and
// switches that make a call fail, take time, or succeed without any effect
// (a fault that did not take effect: docs/architecture.md, "Faults as a
// registry"). It is safe for concurrent use. It is test support only:
// nothing in the product imports it.
package fakert
