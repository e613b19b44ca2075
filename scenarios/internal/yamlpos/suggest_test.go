package yamlpos

import "testing"

func TestSuggest(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"rgion", "region"},
		{"regoin", "region"},
		{"Region", "region"},
		{"api_version", "apiVersion"},
		{"failures_before_actoin", "failures_before_action"},
		{"zzz", ""},
		{"", ""},
	} {
		if got := Suggest(tc.in, []string{"region", "regions", "apiVersion", "failures_before_action", "name"}); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
