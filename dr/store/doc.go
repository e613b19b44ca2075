// Package store is the backup store of the DR engine: the bucket layout,
// the manifests and the catalog that lists, verifies and prunes backups,
// and the archived WAL, one archive per cluster under its system
// identifier (docs/architecture.md, "Backups and the catalog" and "WAL
// archiving and point-in-time recovery").
//
// It runs inside the environment, in a job sidecar or in a Postgres
// container's archive_command, and reaches the run's MinIO by its Docker
// name, so a partition or an S3 outage hits backups as it would in
// production.
package store
