// Package drscore scores the DR engine's part of a drill by the rules of
// docs/measurement.md, "Backups and restores" and "WAL archive lag": DR
// verifies each restore against the ledger and the read-back, works out
// each backup kind's exposure and fails the drill on a failed restore,
// amcheck or plan; Archive scores the WAL archive sampler's readings.
//
// Like package score, it is pure logic: no container, no database, no
// clock.
package drscore
