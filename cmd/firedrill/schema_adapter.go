package main

import "errors"

// ADAPTER (temporary): scenarios.Schema() ([]byte, error) is being added to
// the scenarios package. Until it lands, `firedrill schema` reports that the
// schema is not available. When it does, delete this file and in schema.go
// call scenarios.Schema() instead of scenarioSchema().
var errSchemaMissing = errors.New("this build has no scenario schema yet (scenarios.Schema is not implemented)")

func scenarioSchema() ([]byte, error) { return nil, errSchemaMissing }
