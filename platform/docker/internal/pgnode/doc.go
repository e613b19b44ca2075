// Package pgnode holds the pure parts of how the Docker runtime starts a
// Postgres node: the server settings of WAL archiving and the shell
// scripts of a restore into a fresh node (docs/architecture.md,
// "Replacing a lost node"). Nothing in it talks to Docker.
package pgnode

// AgentPath is where firedrill's binary is copied into containers: a path
// no image has, readable and executable by every user (the postgres
// user, uid 999, runs it as archive_command).
const AgentPath = "/opt/firedrill/firedrill"
