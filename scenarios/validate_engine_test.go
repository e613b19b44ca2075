package scenarios

import (
	"strings"
	"testing"
)

// The DR engine's own fields: archive_timeout, uploads, the recovery
// target and webhooks. Line numbers are those of base after the edit.
var engineCases = []struct {
	name string
	yaml string
	want []wantErr
}{
	{"archive_timeout on a logical backup", edit(map[int]string{13: "dr:\n  backups:\n    - {kind: logical, every: 10s, archive_timeout: 1s}"}), []wantErr{
		{"15:52", "dr.backups[0].archive_timeout", "only a physical backup archives WAL", "kind: physical"},
	}},
	{"archive_timeout too short", edit(map[int]string{13: "dr:\n  backups:\n    - {kind: physical, every: 10s, archive_timeout: 100ms}"}), []wantErr{
		{"15:53", "dr.backups[0].archive_timeout", "archive_timeout must be from 1s to 1h0m0s, got 100ms", "1s or 2s"},
	}},
	{"uploads over the cap", edit(map[int]string{12: "  timeout: 1s\n  uploads_per_second: 500"}), []wantErr{
		{"13:23", "workload.uploads_per_second", "uploads_per_second must be >= 0 and <= 100, got 500", ""},
	}},
	{"uploads to an app of one's own", edit(map[int]string{12: "  timeout: 1s\n  uploads_per_second: 1", 9: "        region: west\n  app: {image: shop:1}"}), []wantErr{
		{"14:23", "workload.uploads_per_second", "built-in sample app", "environment.app.image"},
	}},
	{"bad recovery target", edit(map[int]string{13: "dr:\n  backups:\n    - {kind: physical, every: 10s}\n  recovery:\n    database: [restore-point-in-time]\n    target: yesterday"}), []wantErr{
		{"18:13", "dr.recovery.target", `"yesterday" is none of latest`, "before-fault"},
	}},
	{"bad lsn", edit(map[int]string{13: "dr:\n  backups:\n    - {kind: physical, every: 10s}\n  recovery:\n    database: [restore-point-in-time]\n    target: lsn:0/XYZ"}), []wantErr{
		{"18:13", "dr.recovery.target", "is not a WAL position", ""},
	}},
	{"target with no point-in-time step", edit(map[int]string{13: "dr:\n  backups:\n    - {kind: logical, every: 10s}\n  recovery:\n    database: [restore-latest-backup]\n    target: before-fault"}), []wantErr{
		{"18:13", "dr.recovery.target", "no plan has that step", "restore-point-in-time"},
	}},
	{"webhook problems, all at once", edit(map[int]string{13: "dr:\n  notify:\n    - url: ftp://hooks.example.com/T0/B0/secret\n      format: slak\n      events: [failover, restores, failover]\n      timeout: 10m\n    - url: https://events.example.com/v2/enqueue\n      format: pagerduty"}), []wantErr{
		{"15:12", "dr.notify[0].url", `a webhook url is http or https, got "ftp:"`, ""},
		{"16:15", "dr.notify[0].format", `unknown webhook format "slak"`, "did you mean slack?"},
		{"17:26", "dr.notify[0].events[1]", `unknown event "restores"`, "did you mean restore?"},
		{"17:36", "dr.notify[0].events[2]", "event failover is listed twice", ""},
		{"18:16", "dr.notify[0].timeout", "timeout must be from 100ms to 5m0s, got 10m", ""},
		{"19:7", "dr.notify[1].routing_key", "needs the routing_key", ""},
	}},
}

func TestEngineFields(t *testing.T) { checkCases(t, engineCases) }

// The URL's secret parts never reach an error, even one about the URL.
func TestWebhookErrorsKeepTheURLSecret(t *testing.T) {
	for _, url := range []string{"ftp://hooks.example.com/services/T0/B0/s3cr3t", "https://user:s3cr3t@/x", "http://[::1/s3cr3t"} {
		y := edit(map[int]string{13: "dr:\n  notify:\n    - url: \"" + url + "\""})
		_, err := LoadBytes("t.yaml", []byte(y))
		if err == nil {
			t.Fatalf("%s: loaded without error", url)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}

func TestEngineDefaults(t *testing.T) {
	s, err := LoadBytes("t.yaml", []byte(edit(map[int]string{13: "dr:\n  backups:\n    - {kind: physical, every: 10s}\n  notify:\n    - url: https://hooks.example.com/x"})))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.DR.Backups[0].ArchiveTimeout.String(); got != "1m0s" {
		t.Errorf("archive_timeout default %s", got)
	}
	n := s.DR.Notify[0]
	if n.Format != "json" || len(n.Events) != 4 || n.Timeout.String() != "10s" {
		t.Errorf("webhook defaults %+v", n)
	}
}
