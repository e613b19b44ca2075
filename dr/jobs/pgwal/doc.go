// Package pgwal reads what Postgres writes about its WAL, as firedrill's
// WAL archiving and physical backups need it: LSNs, the names of archived
// WAL files and their order, timeline history files, the system
// identifier in pg_control that names a cluster's archive, and the WAL
// retention rule (docs/architecture.md, "WAL archiving and point-in-time
// recovery"). It is pure: no I/O but reading a pg_control file.
package pgwal
