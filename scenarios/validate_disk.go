package scenarios

import (
	"fmt"

	"github.com/firedrill/firedrill/scenarios/internal/spec"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// diskSize checks environment.postgres.disk_size: a size, between
// MinDiskSize and MaxDiskSize.
func (v *validator) diskSize() {
	const path = "environment.postgres.disk_size"
	raw := v.s.Environment.Postgres.DiskSize
	n, err := spec.ParseSize(raw)
	switch {
	case err != nil && !sizeRE.MatchString(raw):
		v.add(path, fmt.Sprintf("invalid size %s", yamlpos.QuoteValue(raw)), "a number and a unit: B, KB, MB, GB, KiB, MiB or GiB, such as 1GiB")
	case err != nil || n > MaxDiskSize:
		v.add(path, fmt.Sprintf("disk_size %s is larger than %s", raw, spec.FormatSize(MaxDiskSize)),
			"each Postgres node's disk is memory (tmpfs) and takes RAM as it fills: 1GiB is plenty for a drill")
	case n < MinDiskSize:
		v.add(path, fmt.Sprintf("disk_size %s is smaller than %s", raw, spec.FormatSize(MinDiskSize)),
			"a fresh Postgres node takes about 77MiB of its disk and its WAL may take half of it: give it at least 128MiB")
	}
}

// fillSize checks the params.size of a disk-fill (already matching the
// size pattern and > 0): it must fit on the disk it fills.
func (v *validator) fillSize(path, size string) {
	n, err := spec.ParseSize(size)
	if err != nil {
		v.add(path, fmt.Sprintf("size %s is too large", size), "")
		return
	}
	disk, err := spec.ParseSize(v.s.Environment.Postgres.DiskSize)
	if err != nil || n < disk {
		return // a bad disk_size has its own error
	}
	v.add(path, fmt.Sprintf("size %s does not fit on the Postgres disk (environment.postgres.disk_size %s), which also holds the database",
		size, v.s.Environment.Postgres.DiskSize), "fill by less, use percent (percent: 100 fills it), or make disk_size larger")
}
