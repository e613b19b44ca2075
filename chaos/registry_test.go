package chaos_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/firedrill/firedrill/chaos"
	_ "github.com/firedrill/firedrill/chaos/faults" // the whole registry: every action of the language
	"github.com/firedrill/firedrill/scenarios"
)

// validParams returns params an action accepts, built from the language's
// description of it (every param it takes, with a valid value), so that New
// can be called for every action, present and future. A param the test does
// not know fails the test: a new param needs a value here.
func validParams(t *testing.T, a scenarios.ActionInfo) scenarios.Params {
	t.Helper()
	var p scenarios.Params
	dur := func(d time.Duration) *scenarios.Duration { return &scenarios.Duration{Duration: d} }
	for _, name := range a.Params {
		switch name {
		case "grace":
			p.Grace = dur(2 * time.Second)
		case "to":
			p.To = nil // the default: everything that is not the target
		case "one_way":
			f := false
			p.OneWay = &f
		case "delay":
			p.Delay = dur(100 * time.Millisecond)
		case "jitter":
			p.Jitter = dur(0)
		case "percent":
			pc := 50.0
			p.Percent = &pc
		case "rate":
			p.Rate = "1mbit"
		case "size":
			// percent and size are alternatives; percent is set.
		case "statement":
			p.Statement = "SELECT 1"
		default:
			t.Fatalf("action %s takes param %q: give it a valid value in validParams", a.Name, name)
		}
	}
	return p
}

// TestRegistryAgreesWithTheLanguage: the registry and the language describe
// the same actions, and agree on which can be reverted, for every action.
func TestRegistryAgreesWithTheLanguage(t *testing.T) {
	language := map[string]scenarios.ActionInfo{}
	for _, a := range scenarios.Actions() {
		language[a.Name] = a
	}
	if len(language) == 0 {
		t.Fatal("the language has no actions")
	}
	for _, name := range chaos.Registered() {
		if _, ok := language[name]; !ok {
			t.Errorf("registered action %q is not an action of the language", name)
		}
	}
	var implemented []string
	for _, a := range scenarios.Actions() {
		spec, ok := chaos.Lookup(a.Name)
		if chaos.Implemented(a.Name) != ok {
			t.Errorf("%s: Implemented says %v, Lookup %v", a.Name, chaos.Implemented(a.Name), ok)
		}
		if !ok {
			continue // listed by Implemented as false: run refuses it
		}
		implemented = append(implemented, a.Name)
		if spec.Action != a.Name {
			t.Errorf("Lookup(%q) returned the spec of %q", a.Name, spec.Action)
		}
		if spec.New == nil {
			t.Errorf("%s: no constructor", a.Name)
			continue
		}
		f, err := spec.New(validParams(t, a))
		if err != nil {
			t.Errorf("%s: New with valid params: %v", a.Name, err)
			continue
		}
		if _, rev := f.(chaos.Reverter); rev != a.Reversible {
			t.Errorf("%s: the fault implements Reverter = %v, the language says reversible = %v", a.Name, rev, a.Reversible)
		}
	}
	if !slices.Equal(chaos.Registered(), implemented) {
		t.Errorf("Registered() = %v, want the implemented language actions %v (sorted)", chaos.Registered(), implemented)
	}
	// The process faults of this issue are on the core.
	for _, a := range []string{scenarios.ActionKill, scenarios.ActionStop, scenarios.ActionRestart, scenarios.ActionPause} {
		if !chaos.Implemented(a) {
			t.Errorf("%s is not registered", a)
		}
	}
	if chaos.Implemented("no-such-action") {
		t.Error("an unknown action is implemented")
	}
}

// TestNewReturnsAFreshFault: per-injection state must have a place of its
// own, so two injections of one action never share a fault value.
func TestNewReturnsAFreshFault(t *testing.T) {
	for _, a := range scenarios.Actions() {
		spec, ok := chaos.Lookup(a.Name)
		if !ok {
			continue
		}
		p := validParams(t, a)
		f1, err1 := spec.New(p)
		f2, err2 := spec.New(p)
		if err1 != nil || err2 != nil {
			t.Errorf("%s: %v, %v", a.Name, err1, err2)
			continue
		}
		v1, v2 := reflect.ValueOf(f1), reflect.ValueOf(f2)
		if v1.Kind() != reflect.Pointer {
			continue // a value: every injection gets its own copy
		}
		if v1.Elem().Type().Size() == 0 {
			continue // nothing to share (Go may give zero-size values one address)
		}
		if v1.Pointer() == v2.Pointer() {
			t.Errorf("%s: New returned the same %T twice", a.Name, f1)
		}
	}
}
