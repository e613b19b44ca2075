package spec

import (
	"time"

	"github.com/firedrill/firedrill/scenarios/internal/failover"
)

// The limits of the language. The validator checks them and the JSON
// Schema publishes them: schema tags name them (schema:"max=maxAppInstances",
// see SchemaLimits), so each number is written here and nowhere else.

// The Postgres servers of a drill run with these settings (platform/docker reads
// them): each replica holds one replication slot and one WAL sender, and
// the replica being cloned holds a second sender for pg_basebackup -X
// stream while the ones before it stream.
const (
	MaxWALSenders       = 10
	MaxReplicationSlots = 10
)

// MaxReplicas is how many replicas those settings carry.
const MaxReplicas = min(MaxReplicationSlots, MaxWALSenders-1)

// MaxRegions: every region holds a service, and there are at most the
// primary, the replicas, the storage and the app.
const MaxRegions = 1 + MaxReplicas + 2

// MaxRunIDLength is the longest run id the name limits leave room for;
// the Docker runtime's run ids must not be longer.
const MaxRunIDLength = 32

// MaxIdentifier is both Postgres's identifier limit (NAMEDATALEN-1 bytes:
// cluster_name, replication slot names) and a DNS label's (a container is
// reachable by its name on its networks).
const MaxIdentifier = 63

// MaxNameLength bounds the scenario's name and region names.
const MaxNameLength = MaxIdentifier

// MaxReplicaNameLength bounds a replica's name: replica r runs as node
// pg-r (its cluster_name; its replication slot is pg_r) in the container
// firedrill-<run id>-pg-r, and the container name is the longest of them.
const MaxReplicaNameLength = MaxIdentifier - len("firedrill-") - MaxRunIDLength - len("-") - len("pg-")

// Rates and counts.
const (
	MaxWritesPerSecond = 2000
	// MinWritesPerSecond is one write every 1000s. The probe schedules
	// write i at i/rate: below this the gap between two writes leaves a
	// drill nothing to measure, and far below it overflows a
	// time.Duration.
	MinWritesPerSecond = 0.001
	// MinTimelineWrites is how many writes the timeline must hold for an
	// RTO to be measured at all.
	MinTimelineWrites = 10
	MaxAppInstances   = 16
	MaxPercent        = 100
)

// Disk sizes (environment.postgres.disk_size). A fresh Postgres node of
// a drill takes about 77MiB of its disk (the catalogs and its first 16MiB
// WAL segments), and the servers' WAL settings give WAL up to half the disk
// (platform/docker's walArgs): below MinDiskSize the rest is too little
// for a drill's writes. Each disk is memory (tmpfs): MaxDiskSize keeps a
// typo from promising more RAM than a machine has.
const (
	MinDiskSize = 128 << 20
	MaxDiskSize = 64 << 30
)

// Durations.
const (
	MinTimelineDuration = time.Second
	MaxTimelineDuration = 7 * 24 * time.Hour // a week-long game day
	// MinCheckInterval keeps the builtin failover manager's health checks
	// from running in a tight loop.
	MinCheckInterval = failover.MinCheckInterval
	// MinRepeat bounds what repeats through the drill (backups, monkey
	// faults), so that a typo in a unit does not fire it in a tight loop.
	MinRepeat = time.Second
)

// SchemaLimits are the limits schema tags may name.
var SchemaLimits = map[string]float64{
	"maxWritesPerSecond":    MaxWritesPerSecond,
	"minWritesPerSecond":    MinWritesPerSecond,
	"maxAppInstances":       MaxAppInstances,
	"maxPercent":            MaxPercent,
	"maxHealthCheckRetries": failover.PgAutoFailoverMaxRetries,
	"maxNameLength":         MaxNameLength,
	"maxReplicaNameLength":  float64(MaxReplicaNameLength),
	"maxReplicas":           MaxReplicas,
	"maxRegions":            MaxRegions,
	"maxUploadsPerSecond":   MaxUploadsPerSecond,
}

// Uploads and WAL archiving.
const (
	// MaxUploadsPerSecond bounds workload.uploads_per_second: each upload
	// is a file on the app's uploads disk.
	MaxUploadsPerSecond = 100
	// MinArchiveTimeout and MaxArchiveTimeout bound a physical backup's
	// archive_timeout; DefaultArchiveTimeout is pgBackRest's archive-timeout.
	MinArchiveTimeout     = time.Second
	MaxArchiveTimeout     = time.Hour
	DefaultArchiveTimeout = time.Minute
	// DefaultWebhookTimeout bounds a notification's delivery, retries
	// included; MinWebhookTimeout and MaxWebhookTimeout bound the setting.
	DefaultWebhookTimeout = 10 * time.Second
	MinWebhookTimeout     = 100 * time.Millisecond
	MaxWebhookTimeout     = 5 * time.Minute
)
