package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/firedrill/firedrill/scenarios"
)

var (
	testWall   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	testOrigin = origin{runID: "run-42", scenario: "primary-kill"}
	testNote   = notification{
		Event: scenarios.NotifyRestore, At: 12345 * time.Millisecond, Wall: testWall.Add(12345 * time.Millisecond),
		Target: "pg-primary", Summary: "[primary-kill] restore failed on pg-primary: no backup",
		Detail: "no valid backup <in> the store & none older", Injection: "f0", Severity: severityError,
	}
)

func TestJSONBody(t *testing.T) {
	b, err := encode(scenarios.Webhook{Format: scenarios.WebhookJSON}, testNote, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeJSON(t, b)
	want := jsonBody{Version: 1, Event: "restore", RunID: "run-42", Scenario: "primary-kill",
		At: "2026-03-01T12:00:12.345Z", AtMS: 12345, Target: "pg-primary", Summary: testNote.Summary,
		Detail: testNote.Detail, Injection: "f0"}
	if got != want {
		t.Errorf("json body:\n got %+v\nwant %+v", got, want)
	}
	if _, err := time.Parse(time.RFC3339, got.At); err != nil {
		t.Errorf("at %q is not RFC 3339: %v", got.At, err)
	}
}

func TestSlackBody(t *testing.T) {
	b, err := encode(scenarios.Webhook{Format: scenarios.WebhookSlack}, testNote, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	if got.Text != testNote.Summary {
		t.Errorf("text = %q, want the summary %q", got.Text, testNote.Summary)
	}
	if len(got.Blocks) != 1 || got.Blocks[0].Type != "section" || got.Blocks[0].Text.Type != "mrkdwn" {
		t.Fatalf("blocks = %+v, want one section with mrkdwn text", got.Blocks)
	}
	section := got.Blocks[0].Text.Text
	for _, want := range []string{"primary-kill", "run-42", "pg-primary", "t+12.345s", "2026-03-01T12:00:12.345Z",
		"no valid backup &lt;in&gt; the store &amp; none older"} {
		if !strings.Contains(section, want) {
			t.Errorf("section %q lacks %q", section, want)
		}
	}
}

func TestSlackSectionWithinLimit(t *testing.T) {
	long := testNote
	long.Detail = strings.Repeat("x", 5000)
	if got := utf8.RuneCountInString(slackSection(long, testOrigin)); got > maxSlackSection {
		t.Errorf("section is %d characters, over Slack's %d", got, maxSlackSection)
	}
}

func TestPagerDutyBody(t *testing.T) {
	long := testNote
	long.Summary = strings.Repeat("é", 2000)
	hook := scenarios.Webhook{Format: scenarios.WebhookPagerDuty, RoutingKey: "R0UTINGKEY"}
	b, err := encode(hook, long, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		RoutingKey  string `json:"routing_key"`
		EventAction string `json:"event_action"`
		DedupKey    string `json:"dedup_key"`
		Payload     struct {
			Summary       string         `json:"summary"`
			Source        string         `json:"source"`
			Severity      string         `json:"severity"`
			Timestamp     string         `json:"timestamp"`
			Component     string         `json:"component"`
			Group         string         `json:"group"`
			Class         string         `json:"class"`
			CustomDetails map[string]any `json:"custom_details"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	if got.RoutingKey != "R0UTINGKEY" || got.EventAction != "trigger" || got.DedupKey != "run-42/restore/pg-primary" {
		t.Errorf("envelope = %q %q %q", got.RoutingKey, got.EventAction, got.DedupKey)
	}
	p := got.Payload
	if n := utf8.RuneCountInString(p.Summary); n > maxPagerDutySummary || n < maxPagerDutySummary-1 {
		t.Errorf("summary is %d characters, want it clipped to %d", n, maxPagerDutySummary)
	}
	if p.Source != "firedrill/run-42" || p.Severity != "error" || p.Timestamp != "2026-03-01T12:00:12.345Z" ||
		p.Component != "pg-primary" || p.Group != "primary-kill" || p.Class != "restore" {
		t.Errorf("payload = %+v", p)
	}
	if p.CustomDetails["detail"] != testNote.Detail || p.CustomDetails["run_id"] != "run-42" || p.CustomDetails["at_ms"] != 12345.0 {
		t.Errorf("custom_details = %v", p.CustomDetails)
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := encode(scenarios.Webhook{Format: "xml"}, testNote, testOrigin); err == nil {
		t.Error("format xml encoded without an error")
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T0/B0/XYZ":     "https://hooks.slack.com",
		"HTTP://user:pass@127.0.0.1:8080/hook?token=abc": "http://127.0.0.1:8080",
		"http://[::1]:9/x": "http://[::1]:9",
		"not a url %zz":    "[redacted]",
		"/relative/path":   "[redacted]",
		"https://events.pagerduty.com/v2/enqueue#fragment": "https://events.pagerduty.com",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
