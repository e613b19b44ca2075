package drill

import (
	"slices"

	"github.com/firedrill/firedrill/chaos"
	_ "github.com/firedrill/firedrill/chaos/faults" // every fault package registers its actions
	"github.com/firedrill/firedrill/dr/recovery"
	_ "github.com/firedrill/firedrill/dr/stackwatch" // the HA stacks' watchers register as failover managers
	"github.com/firedrill/firedrill/scenarios"
)

// Engine is what this build's engine executes, as the scenario language
// asks it (Scenario.Unsupported): the fault actions are the chaos
// registry's, the features those the drill assembles. `firedrill run`
// refuses a scenario that uses anything else, before starting anything.
var Engine scenarios.Capabilities = engine{}

type engine struct{}

var _ scenarios.Capabilities = engine{}

// Action: the fault registry is the one source of truth.
func (engine) Action(name string) bool { return chaos.Implemented(name) }

// Feature: selectors (mode all and one) resolve through the topology;
// the monkey's faults are drawn by chaos.MonkeySchedule and abort
// conditions watched by firedrill.AbortWatcher; backups run on dr's
// scheduler and recovery plans on dr/recovery's engine, whose step
// registry must hold every step of the language; the rest comes with
// later issues.
func (engine) Feature(f scenarios.Feature) bool {
	switch f {
	case scenarios.FeatureSelector, scenarios.FeatureMonkey, scenarios.FeatureAbort, scenarios.FeatureReads, scenarios.FeatureBackups:
		return true
	case scenarios.FeaturePatroni, scenarios.FeaturePgAutoFailover:
		return true // dr/stackwatch watches them; platform/docker runs them
	case scenarios.FeatureRecoveryPlans:
		return slices.Equal(recovery.Implemented(), scenarios.StepNames())
	}
	return false
}
