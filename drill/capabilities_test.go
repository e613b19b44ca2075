package drill

import (
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

// TestEngineRunsTheBuiltins: every built-in scenario runs on this build's
// engine: `firedrill run <built-in>` is never refused.
func TestEngineRunsTheBuiltins(t *testing.T) {
	for _, name := range scenarios.BuiltinNames() {
		s, err := scenarios.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		if u := s.Unsupported(Engine); len(u) > 0 {
			t.Errorf("built-in %s: %v", name, u)
		}
	}
}
