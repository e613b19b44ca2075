// Package runobj holds what the Docker runtime knows of a run's objects
// apart from any one run: their labels, run ids, the run's lease and
// Clean, which sweeps what a killed run left behind (see package docker).
package runobj
