// Package held is the harness's side of a sidecar that holds an effect
// (docs/architecture.md, "Sidecars"): it reads the sidecar's output (the
// first line says the effect is in place, the rest is streamed and kept),
// and releases it with a line on its input, then removes the sidecar in
// the background. platform/docker creates, attaches and starts the
// sidecar; this package is everything after.
package held
