// Package target reads dr.recovery.target, the point a
// restore-point-in-time recovery stops at: latest, before-fault, a
// timeline offset, lsn:X/Y or name:<restore point> (ParseRecoveryTarget).
//
// It is apart from package spec, the data model, because it is a parser of
// one field's value that the validator (package scenarios) and dr/recovery,
// through scenarios.ParseRecoveryTarget, use; package scenarios re-exports
// its names.
package target
