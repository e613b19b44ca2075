// Package tcprtt measures a TCP round trip from inside a node's network
// namespace: the time a connect takes (SYN out, SYN-ACK or RST back) to a
// peer's port, a few times, reported by its median. It runs in
// firedrill's agent sidecar (`firedrill agent rtt`) and prints one line
// that package chaos parses, for the evidence of a latency
// (docs/architecture.md, "Latency without netem").
package tcprtt
