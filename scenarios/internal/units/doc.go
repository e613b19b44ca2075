// Package units holds the scalar types of the scenario language that
// several of its packages share: Duration, a time.Duration written as a Go
// duration string ("15s"), which rejects a bare number since it has no
// unit.
//
// It is apart from package spec so that the packages below spec (package
// failover, the failover managers' settings) can use it too; spec gives
// Duration its usual name (spec.Duration, scenarios.Duration).
package units
