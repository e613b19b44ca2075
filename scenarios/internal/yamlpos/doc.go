// Package yamlpos decodes a yaml.Node tree into Go values by reflection,
// strictly and with positions: every unknown field (with a "did you mean"
// hint), wrong type and bad scalar is reported at its own node, all at
// once, and the position of every field is remembered (Source) for the
// checks that come after decoding. It owns the error type of the scenario
// language (Error, Errors, capped at MaxErrors), the work budget against
// alias and merge-key bombs (MaxVisits) and the typo suggestions.
//
// It knows the field names from the yaml struct tags and nothing of the
// scenario types themselves, which is why it is separate from package
// scenarios: the loader there hands it the root type. Only two hints go by
// a field's path (a bare number for a .delay or .jitter is likely
// milliseconds; a share under abort[] is written from 0 to 1).
package yamlpos
