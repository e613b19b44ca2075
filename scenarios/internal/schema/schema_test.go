package schema

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios/internal/spec"
)

// The schema's own checks; package scenarios tests the generated file, the
// descriptions and what the schema accepts and refuses.

// The limits in the field descriptions (the schema's and docs') are the
// ones the loader checks.
func TestLimitsInDescriptions(t *testing.T) {
	for field, want := range map[string]string{
		"Postgres.Replicas":   fmt.Sprintf("at most %d", spec.MaxReplicas),
		"Environment.Regions": fmt.Sprintf("at most %d", spec.MaxRegions),
		"Replica.Name":        fmt.Sprintf("at most %d", spec.MaxReplicaNameLength),
		"Workload.WritesPerSecond": fmt.Sprintf("from %s to %d, and the timeline must hold at least %d writes",
			strconv.FormatFloat(spec.MinWritesPerSecond, 'g', -1, 64), spec.MaxWritesPerSecond, spec.MinTimelineWrites),
		"Timeline.Duration":      fmt.Sprintf("from %s to %dh", spec.MinTimelineDuration, int(spec.MaxTimelineDuration.Hours())),
		"Failover.CheckInterval": "at least " + spec.MinCheckInterval.String(),
		"Backup.Every":           "at least " + spec.MinRepeat.String(),
		"Monkey.MeanInterval":    "at least " + spec.MinRepeat.String(),
	} {
		if !strings.Contains(fieldDocs[field], want) {
			t.Errorf("%s: %q does not say %q", field, fieldDocs[field], want)
		}
	}
}

// Every bound in a schema tag is 0, 1 or a named limit: tagOptions panics
// on any other number, and the generator runs over every field.
func TestSchemaBoundsAreNamed(t *testing.T) {
	if _, err := Generate(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("a literal bound of 2000 in a schema tag was accepted")
		}
	}()
	tagOptions(reflect.StructField{Name: "X", Tag: `schema:"max=2000"`})
}

// Every kind of target an action may name has a pattern in the per-action
// rules.
func TestEveryTargetKindHasAPattern(t *testing.T) {
	for _, a := range spec.Actions() {
		for _, k := range a.Targets {
			if targetPatterns[k] == "" {
				t.Errorf("%s: no target pattern for kind %s", a.Name, k)
			}
		}
	}
	for _, k := range spec.TargetKinds {
		if targetPatterns[k] == "" {
			t.Errorf("no target pattern for kind %s", k)
		}
	}
}
