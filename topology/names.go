package topology

// Every object a run creates is named with the run's prefix, so a person
// can tell whose it is and `firedrill clean` can find it; labels, not
// names, decide what is removed (docs/architecture.md, "Naming").

// ObjectPrefix starts the name of every object of a run:
// "firedrill-<run id>-".
func ObjectPrefix(runID string) string { return "firedrill-" + runID + "-" }

// ContainerName is the container (or pod) of a node in a run; it is also
// the node's host name on the run's networks.
func ContainerName(runID, node string) string { return ObjectPrefix(runID) + node }

// NetworkName is the platform network of a logical network (a region or
// WAN) in a run.
func NetworkName(runID, network string) string { return ObjectPrefix(runID) + network }

// VolumeName is the data volume of a node in a run.
func VolumeName(runID, node string) string { return ObjectPrefix(runID) + node }

// RunPlaceholder stands for the run id in names printed before a run
// exists (firedrill plan).
const RunPlaceholder = "<run>"
