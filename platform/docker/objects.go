package docker

// The run's objects apart from any one run (internal/runobj): labels, run
// ids, the lease and Clean, under their names in this package.

import (
	"context"
	"io"

	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/platform/docker/internal/runobj"
)

// Labels put on every object a run creates (runobj.LabelRun and others).
const (
	LabelRun  = runobj.LabelRun
	LabelNode = runobj.LabelNode
	LabelRole = runobj.LabelRole
)

// NodeLease and KindLease are the node name and kind of a run's lease.
const (
	NodeLease = runobj.NodeLease
	KindLease = runobj.KindLease
)

// ErrRunIDTaken is returned when another run holds the lease of the same id.
var ErrRunIDTaken = runobj.ErrRunIDTaken

// CleanReport lists what Clean removed, and the live runs it left alone.
type CleanReport = runobj.CleanReport

// CleanOption configures Clean.
type CleanOption = runobj.CleanOption

// NewRunID returns a run id that sorts by time: 20261121-230501-3fa9c2b1d0.
func NewRunID() string { return runobj.NewRunID() }

// CleanRun limits Clean to the objects of one run.
func CleanRun(runID string) CleanOption { return runobj.CleanRun(runID) }

// CleanForce removes runs whose harness is still alive too.
func CleanForce() CleanOption { return runobj.CleanForce() }

// Clean removes the objects of every run whose harness is gone (see
// runobj.Clean).
func Clean(ctx context.Context, docker *client.Client, opts ...CleanOption) (CleanReport, error) {
	return runobj.Clean(ctx, docker, opts...)
}

// HoldLease is what `firedrill lease` runs inside the lease container: it
// returns when r (the container's stdin, attached by the harness) closes.
func HoldLease(r io.Reader) error { return runobj.HoldLease(r) }

var (
	removeContainer = runobj.RemoveContainer
	isNotFound      = runobj.IsNotFound
)
