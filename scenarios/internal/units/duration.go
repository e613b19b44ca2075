package units

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// Duration is a time.Duration written as a Go duration string ("15s",
// "1m30s", "500ms"). A bare number is rejected: it has no unit.
type Duration struct{ time.Duration }

// NewDuration returns a pointer to d as a Duration, for the optional
// objectives of a scenario built in code.
func NewDuration(d time.Duration) *Duration { return &Duration{Duration: d} }

// ParseDuration parses a scenario duration: a Go duration string such as
// "15s", "1m30s" or "500ms". Bare numbers and unknown units are errors whose
// text suggests the fix.
func ParseDuration(s string) (Duration, error) {
	d, msg, hint := parseDuration(s, "!!str")
	if msg != "" {
		return Duration{}, fmt.Errorf("%s (hint: %s)", msg, hint)
	}
	return d, nil
}

// parseDuration parses value, a YAML scalar resolved as tag. On failure it
// returns a message and a hint.
func parseDuration(value, tag string) (d Duration, msg, hint string) {
	v := strings.TrimSpace(value)
	bare := tag == "!!int" || tag == "!!float"
	if tag == "!!str" {
		// A quoted number such as "15" has no unit either.
		_, err := strconv.ParseFloat(v, 64)
		bare = err == nil
	} else if !bare {
		return d, fmt.Sprintf("expected a duration such as 15s, got %s", yamlpos.DescribeTag(tag, value)), ""
	}
	if bare {
		hint = "write a Go duration such as 15s, 1m30s or 500ms"
		if _, err := time.ParseDuration(v + "s"); err == nil {
			hint = "write " + v + "s"
		}
		return d, fmt.Sprintf("a duration needs a unit, got the bare number %s", v), hint
	}
	x, err := time.ParseDuration(v)
	if err == nil && v != value && v != "" {
		err = fmt.Errorf("surrounding spaces")
	}
	if err != nil {
		hint = "write a Go duration such as 15s, 1m30s or 500ms (units: ns, us, ms, s, m, h)"
		if n, ok := strings.CutSuffix(v, "d"); ok {
			if days, err := strconv.Atoi(n); err == nil && days > 0 && days < 1<<20 {
				hint = fmt.Sprintf("days are not a unit: write %dh", 24*days)
			}
		}
		return d, fmt.Sprintf("invalid duration %s", yamlpos.QuoteValue(value)), hint
	}
	return Duration{Duration: x}, "", ""
}

// MarshalYAML writes the duration as a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML reads a Go duration string, for code that decodes a
// Duration with yaml directly; the scenario loader does not go through it.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a duration such as 15s, got %s", n.Line, yamlpos.DescribeNode(n))
	}
	x, msg, hint := parseDuration(n.Value, n.ShortTag())
	if msg != "" {
		return fmt.Errorf("line %d: %s (hint: %s)", n.Line, msg, hint)
	}
	*d = x
	return nil
}

// MarshalText writes the duration as a Go duration string (JSON reports).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	x, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = x
	return nil
}

// DecodeScalar implements yamlpos.ScalarDecoder for the scenario loader.
func (d *Duration) DecodeScalar(n *yaml.Node) (msg, hint string) {
	x, msg, hint := parseDuration(n.Value, n.ShortTag())
	if msg == "" {
		*d = x
	}
	return msg, hint
}

// Expected implements yamlpos.ScalarDecoder: the syntax, for "expected X"
// messages.
func (Duration) Expected() string { return "a duration such as 15s" }
