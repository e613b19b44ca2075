package images

// A full disk during a build shows up as thirty lines of dpkg or daemon output
// ending in "no space left on device". It gets one line instead: what filled
// up and what to do about it.

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// DiskFullError is a build that ran out of disk space, in Docker's data root
// (Docker true: importing, building, committing layers) or on this machine
// (debootstrap's root filesystem, go install's caches).
type DiskFullError struct {
	Role   Role
	Docker bool
	// Step is the tool that failed on the host ("debootstrap", "go install").
	Step string
	// Dir is firedrill's cache directory, where host-side builds write.
	Dir string
	// Err is the full error, tool output included (also logged at debug level).
	Err error
}

func (e *DiskFullError) Error() string {
	if e.Docker {
		return fmt.Sprintf("build %s image: Docker's disk is full (no space left on device); "+
			"see what uses it with `docker system df`, remove superseded images with `firedrill images prune` "+
			"and what else you do not need, or free space on the disk of Docker's data root, then run again", e.Role)
	}
	where := e.Dir
	if e.Step == "go install" {
		where += " or Go's caches (`go env GOCACHE GOMODCACHE`)"
	}
	return fmt.Sprintf("build %s image: no space left on device during %s on this machine; "+
		"free space on the disk of %s (`df -h %s`), then run again", e.Role, e.Step, where, e.Dir)
}

func (e *DiskFullError) Unwrap() error { return e.Err }

// imgDaemonError marks an error the Docker daemon reported (import, build).
type imgDaemonError struct{ err error }

func (e *imgDaemonError) Error() string { return e.err.Error() }
func (e *imgDaemonError) Unwrap() error { return e.err }

func imgDaemon(err error) error {
	if err == nil {
		return nil
	}
	return &imgDaemonError{err}
}

// imgToolError marks an error of a build tool run on the host.
type imgToolError struct {
	label string
	err   error
}

func (e *imgToolError) Error() string { return e.err.Error() }
func (e *imgToolError) Unwrap() error { return e.err }

// imgDiskFull returns a DiskFullError when err is one, else nil.
func imgDiskFull(role Role, err error, cacheDir string) error {
	if err == nil {
		return nil
	}
	if !errors.Is(err, syscall.ENOSPC) && !strings.Contains(strings.ToLower(err.Error()), "no space left on device") {
		return nil
	}
	full := &DiskFullError{Role: role, Dir: cacheDir, Step: "the build", Err: err}
	var de *imgDaemonError
	var te *imgToolError
	switch {
	case errors.As(err, &de):
		full.Docker = true
	case errors.As(err, &te):
		full.Step = te.label
	}
	return full
}
