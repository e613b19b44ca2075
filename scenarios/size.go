package scenarios

import "github.com/firedrill/firedrill/scenarios/internal/spec"

// Sizes: environment.postgres.disk_size and a disk-fill's params.size.

// DefaultPostgresDiskSize is the size of a Postgres node's data disk when
// environment.postgres.disk_size is left out.
const DefaultPostgresDiskSize = spec.DefaultPostgresDiskSize

// The bounds of environment.postgres.disk_size, in bytes.
const (
	MinDiskSize = spec.MinDiskSize
	MaxDiskSize = spec.MaxDiskSize
)

// ParseSize returns the bytes a size of the language stands for: a number
// and a unit, decimal (KB, MB, GB) or binary (KiB, MiB, GiB), such as
// "512MiB"; rounded up to a whole byte.
func ParseSize(s string) (int64, error) { return spec.ParseSize(s) }

// FormatSize writes bytes for people in binary units with one decimal:
// "0 B", "1.5 KiB", "1.0 GiB".
func FormatSize(bytes int64) string { return spec.FormatSize(bytes) }
