// Package spec is the data model of the scenario language: the types a
// scenario decodes into (Scenario and its parts, Duration), their
// defaults (ApplyDefaults), the vocabulary (fault actions with their
// targets, params and reversibility; recovery steps; abort metrics; roles
// and modes), the limits and patterns, the services of the topology as
// written, and what an engine is asked about a scenario (Unsupported,
// Capabilities) and warned about it (Warnings).
//
// It reads no file and checks nothing: package scenarios loads a scenario
// from YAML and validates it, and re-exports every name of this package,
// so that the rest of firedrill writes scenarios.Scenario,
// scenarios.Actions() and so on. The types live here, below the loader and
// the validator, so that each package stays small (docs/architecture.md,
// "Packages"); the JSON Schema generator (package schema) reads them by
// reflection.
//
// Exported functions that take a *Scenario (Source, Clone, FillDefaults,
// ValidTargets, ...) rather than methods are for the loader, the validator
// and the schema only: being functions of an internal package, they stay
// out of the public API of the aliased types.
package spec
