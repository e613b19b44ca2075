// Package latency holds the latency fault, registered with chaos.Register
// from init: every packet a target sends delayed by params.delay ±
// params.jitter, by a netem qdisc where the kernel has sch_netem and by an
// NFQUEUE rule and firedrill's own delayer (internal/nfqueue) where it has
// not, for the same effect either way (docs/architecture.md, "Latency
// without netem").
package latency
