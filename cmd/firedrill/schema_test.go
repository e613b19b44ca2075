package main

import (
	"encoding/json"
	"strings"
	"testing"
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
