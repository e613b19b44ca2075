// Package platformtest is the contract every platform.Runtime must pass:
// start, stop, kill, restart, pause and resume a node with the state the
// platform reports after each, network cut and heal seen from inside
// another node, exec in a node's network namespace, and endpoints. The
// Docker runtime's integration tier runs it; a second runtime is a matter
// of passing it too (docs/architecture.md, "Where this is tested").
package platformtest
