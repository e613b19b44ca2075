package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

// notification is one thing told to the webhooks: the one model every
// format renders (docs/architecture.md, "Notifications").
type notification struct {
	// Event is the notification event: scenarios.NotifyFailover...
	Event string
	// At is the offset on the drill's monotonic clock; Wall the wall-clock
	// instant it stands for (the timeline's start plus At), a label only.
	At   time.Duration
	Wall time.Time
	// Target is what the notification concerns: a node, or the name of a
	// missed objective.
	Target string
	// Summary is one line that stands alone (a Slack notification's text,
	// a PagerDuty alert's title); Detail says the rest.
	Summary string
	Detail  string
	// Injection is the id of the injection the source event belongs to.
	Injection string
	// Severity is PagerDuty's: critical, error, warning or info.
	Severity string
}

// PagerDuty severities (the Events API v2's payload.severity).
const (
	severityCritical = "critical"
	severityError    = "error"
	severityInfo     = "info"
)

// Limits of the receivers: PagerDuty's payload.summary and dedup_key,
// Slack's section text.
const (
	maxPagerDutySummary = 1024
	maxPagerDutyDedup   = 255
	maxSlackSection     = 3000
)

// bodyVersion is the version of firedrill's own JSON object; it changes
// only when a field changes meaning or goes away.
const bodyVersion = 1

// origin is what every body says about the drill that sent it.
type origin struct {
	runID    string
	scenario string
}

// jsonBody is firedrill's own object, the body of format json.
type jsonBody struct {
	Version   int     `json:"version"`
	Event     string  `json:"event"`
	RunID     string  `json:"run_id"`
	Scenario  string  `json:"scenario"`
	At        string  `json:"at"`
	AtMS      float64 `json:"at_ms"`
	Target    string  `json:"target"`
	Summary   string  `json:"summary"`
	Detail    string  `json:"detail"`
	Injection string  `json:"injection,omitempty"`
}

// slackBody is a Slack incoming-webhook message: text is the notification
// fallback, the blocks what the channel shows.
type slackBody struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type string    `json:"type"`
	Text slackText `json:"text"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// pagerDutyEvent is a PagerDuty Events API v2 alert event.
type pagerDutyEvent struct {
	RoutingKey  string           `json:"routing_key"`
	EventAction string           `json:"event_action"`
	DedupKey    string           `json:"dedup_key"`
	Client      string           `json:"client"`
	Payload     pagerDutyPayload `json:"payload"`
}

type pagerDutyPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class"`
	CustomDetails map[string]any `json:"custom_details"`
}

// encode renders n in a webhook's format.
func encode(hook scenarios.Webhook, n notification, o origin) ([]byte, error) {
	var body any
	switch hook.Format {
	case scenarios.WebhookJSON, "":
		body = jsonBody{Version: bodyVersion, Event: n.Event, RunID: o.runID, Scenario: o.scenario,
			At: wallLabel(n.Wall), AtMS: firedrill.Millis(n.At), Target: n.Target,
			Summary: n.Summary, Detail: n.Detail, Injection: n.Injection}
	case scenarios.WebhookSlack:
		body = slackBody{Text: n.Summary, Blocks: []slackBlock{{Type: "section",
			Text: slackText{Type: "mrkdwn", Text: slackSection(n, o)}}}}
	case scenarios.WebhookPagerDuty:
		body = pagerDuty(hook.RoutingKey, n, o)
	default:
		return nil, fmt.Errorf("unknown webhook format %q", hook.Format)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode a %s notification: %w", hook.Format, err)
	}
	return b, nil
}

func pagerDuty(routingKey string, n notification, o origin) pagerDutyEvent {
	details := map[string]any{"run_id": o.runID, "scenario": o.scenario, "event": n.Event,
		"at_ms": firedrill.Millis(n.At), "target": n.Target, "detail": n.Detail}
	if n.Injection != "" {
		details["injection"] = n.Injection
	}
	return pagerDutyEvent{
		RoutingKey:  routingKey,
		EventAction: "trigger",
		DedupKey:    clip(o.runID+"/"+n.Event+"/"+n.Target, maxPagerDutyDedup),
		Client:      "firedrill",
		Payload: pagerDutyPayload{
			Summary:       clip(n.Summary, maxPagerDutySummary),
			Source:        "firedrill/" + o.runID,
			Severity:      n.Severity,
			Timestamp:     wallLabel(n.Wall),
			Component:     n.Target,
			Group:         o.scenario,
			Class:         n.Event,
			CustomDetails: details,
		},
	}
}

// slackSection is the message's details in Slack's mrkdwn, within the
// section block's limit.
func slackSection(n notification, o origin) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%s*\n", slackEscape(n.Summary))
	fmt.Fprintf(&b, "*Scenario* %s · *Run* %s\n", slackEscape(o.scenario), slackEscape(o.runID))
	fmt.Fprintf(&b, "*When* t+%s (%s)\n", n.At.Round(time.Millisecond), wallLabel(n.Wall))
	if n.Target != "" {
		fmt.Fprintf(&b, "*Target* %s\n", slackEscape(n.Target))
	}
	if n.Detail != "" {
		b.WriteString(slackEscape(n.Detail))
	}
	return clip(strings.TrimRight(b.String(), "\n"), maxSlackSection)
}

// slackEscape escapes the three characters Slack's mrkdwn gives a meaning
// of its own (links, mentions).
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// wallLabel formats a wall-clock instant in RFC 3339 with milliseconds, UTC.
func wallLabel(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// clip shortens s to at most max characters, marking the cut with "…".
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}
