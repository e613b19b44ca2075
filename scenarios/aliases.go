package scenarios

import "github.com/firedrill/firedrill/scenarios/internal/yamlpos"

// The errors of a scenario are those of the decoder (package yamlpos, see
// doc.go there): every problem, placed at its YAML node.
type (
	// Error is one problem in a scenario, placed at the YAML node that
	// caused it.
	Error = yamlpos.Error
	// Errors is every problem found in a scenario, in file order. The
	// loader and Validate return it as their error; use errors.As to get
	// at it.
	Errors = yamlpos.Errors
)

// MaxErrors is how many problems a scenario reports at most; the rest are
// counted in one last entry ("… and N more problems").
const MaxErrors = yamlpos.MaxErrors
