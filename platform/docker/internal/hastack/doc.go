// Package hastack holds the pure parts of how the Docker runtime runs the
// HA stacks that fail a cluster over by themselves (dr.failover.manager
// patroni and pg_auto_failover): each member's configuration and command
// line, made from the scenario's settings (docs/architecture.md, "The HA
// stacks' images"). Nothing in it talks to Docker.
package hastack
