package spec

import (
	"reflect"
	"slices"
	"testing"

	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// The action table is complete and consistent with Params: each param an
// action takes is a field of Params, each default parses.
func TestActionTable(t *testing.T) {
	params := yamlpos.Fields(reflect.TypeFor[Params]()).Names
	if !slices.Equal(params, ParamFields) {
		t.Errorf("ParamFields %v, Params fields %v", ParamFields, params)
	}
	for _, info := range Actions() {
		if info.Summary == "" || len(info.Targets) == 0 {
			t.Errorf("%s: incomplete entry %+v", info.Name, info)
		}
		for _, k := range info.Targets {
			if !slices.Contains(TargetKinds, k) {
				t.Errorf("%s: unknown target kind %s", info.Name, k)
			}
		}
		for _, p := range info.Params {
			if !slices.Contains(params, p) {
				t.Errorf("%s: parameter %s is not a field of Params", info.Name, p)
			}
		}
		for p, def := range info.Defaults {
			var ps Params
			setParam(&ps, p, def) // panics on a bad default
			if ParamUnset(&ps, p) {
				t.Errorf("%s: default of %s not set", info.Name, p)
			}
		}
		a, ok := LookupAction(info.Name)
		if !ok || a.Reversible != info.Reversible || !slices.Equal(a.RequiredParams(), info.Required) {
			t.Errorf("%s: ActionInfo %+v differs from the table %+v", info.Name, info, a)
		}
	}
	if !slices.Equal(ActionNames(), []string{ActionBandwidth, ActionDiskFill, ActionKill, ActionLatency, ActionLoss,
		ActionPartition, ActionPause, ActionRegionDrop, ActionRestart, ActionS3Outage, ActionSQL, ActionStop}) {
		t.Errorf("actions %v", ActionNames())
	}
	for _, name := range StepNames() {
		if st, _ := LookupStep(name); st.Summary == "" {
			t.Errorf("step %s has no summary", name)
		}
	}
	for _, name := range MetricNames() {
		if m, _ := LookupMetric(name); m.Summary == "" {
			t.Errorf("metric %s has no summary", name)
		}
	}
}

// Features lists every feature but FeatureAction, once.
func TestFeatures(t *testing.T) {
	fs := Features()
	if slices.Contains(fs, FeatureAction) || len(fs) != 14 {
		t.Errorf("features %v", fs)
	}
	seen := map[Feature]bool{}
	for _, f := range fs {
		if seen[f] || f == "" {
			t.Errorf("feature %q listed twice or empty", f)
		}
		seen[f] = true
	}
}
