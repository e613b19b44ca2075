package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

func TestSchemaPrintsValidJSON(t *testing.T) {
	code, out, errOut := run(t, "schema")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var schema map[string]any
	if err := json.Unmarshal([]byte(out), &schema); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
	}
	if !strings.HasSuffix(out, "}\n") {
		t.Errorf("output does not end with a newline")
	}
	props, _ := schema["properties"].(map[string]any)
	for _, field := range []string{"apiVersion", "name", "environment", "timeline"} {
		if _, ok := props[field]; !ok {
			t.Errorf("schema has no property %s", field)
		}
	}
}

// The printed schema carries the loader's limits.
func TestSchemaCarriesTheLoadersLimits(t *testing.T) {
	_, out, _ := run(t, "schema")
	var schema struct {
		Defs map[string]struct {
			Properties map[string]map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal([]byte(out), &schema); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		def, prop, key string
		want           float64
	}{
		{"Postgres", "replicas", "maxItems", scenarios.MaxReplicas},
		{"Replica", "name", "maxLength", float64(scenarios.MaxReplicaNameLength)},
		{"Workload", "writes_per_second", "minimum", 0.001},
	} {
		if got := schema.Defs[c.def].Properties[c.prop][c.key]; got != c.want {
			t.Errorf("%s.%s %s = %v, want %v", c.def, c.prop, c.key, got, c.want)
		}
	}
}
