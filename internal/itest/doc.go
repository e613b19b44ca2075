// Package itest holds helpers shared by the integration tests (build tag
// integration): building the static firedrill binary that becomes the app
// image, and checking that nothing labelled by a run is left in Docker.
// It is test support only; nothing in the product imports it.
package itest
