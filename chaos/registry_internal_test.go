package chaos

import (
	"slices"
	"testing"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

func TestRegisterRefusesUnknownAndDuplicateActions(t *testing.T) {
	for _, c := range []struct {
		name string
		spec Spec
	}{
		{"not in the language", Spec{Action: "melt", New: func(scenarios.Params) (Fault, error) { return &kill{}, nil }}},
		{"twice", Spec{Action: scenarios.ActionKill, New: func(scenarios.Params) (Fault, error) { return &kill{}, nil }}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := Registered()
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", c.spec.Action)
				}
				if !slices.Equal(Registered(), before) {
					t.Errorf("the registry changed: %v -> %v", before, Registered())
				}
			}()
			Register(c.spec)
		})
	}
}

func TestGraceParam(t *testing.T) {
	if got := graceOf(scenarios.Params{}); got != defaultGrace {
		t.Errorf("grace without params: %s, want %s", got, defaultGrace)
	}
	if got := graceOf(scenarios.Params{Grace: &scenarios.Duration{Duration: 0}}); got != 0 {
		t.Errorf("an explicit zero grace became %s", got)
	}
	// A fault built in code without defaults must behave as the language's
	// default says.
	for _, a := range scenarios.Actions() {
		def, ok := a.Defaults["grace"]
		if !ok {
			continue
		}
		d, err := time.ParseDuration(def)
		if err != nil || d != defaultGrace {
			t.Errorf("%s: the language's default grace is %q, the faults' %s", a.Name, def, defaultGrace)
		}
	}
}
