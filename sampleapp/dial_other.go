//go:build !linux

package sampleapp

import "time"

// setUserTimeout does nothing where TCP_USER_TIMEOUT does not exist: the
// app runs on Linux in its container; this keeps a build elsewhere
// correct, with the keepalives and the dial bound still in force.
func setUserTimeout(uintptr, time.Duration) error { return nil }
