// Package faults imports every fault package so that they register: the
// process faults of package chaos itself, and chaos/netfault,
// chaos/latency and chaos/diskfault, each of which registers its actions
// with chaos.Register from init. Whatever needs the whole registry (the
// drill engine, a test that checks every action of the language) imports
// this package for its side effect, once
// (docs/architecture.md, "Faults as a registry").
package faults

import (
	_ "github.com/firedrill/firedrill/chaos"
	_ "github.com/firedrill/firedrill/chaos/diskfault"
	_ "github.com/firedrill/firedrill/chaos/latency"
	_ "github.com/firedrill/firedrill/chaos/netfault"
)
