// Package replication scores the replication-lag sampler's readings by the
// rules of docs/measurement.md, "Replication lag and RPO exposure"
// (Replication): each standby's lag, and the RPO exposure, over the drill
// and while each reverted fault was in effect.
//
// Like package score, it is pure logic: no container, no database, no
// clock.
package replication
