// Package notify tells webhooks what the DR engine did during a drill: a
// failover (the manager promoted a standby, or failed to), a restore that
// ended, a recovery plan step that failed and, after scoring, each
// objective the drill missed (docs/architecture.md, "Notifications").
//
// The webhooks are a scenario's dr.notify. Each gets a JSON POST per
// notification in its format: firedrill's own object (json), a Slack
// incoming-webhook message (slack) or a PagerDuty Events API v2 event
// (pagerduty). A delivery is retried on 408, 429, 5xx and transport
// errors, with exponential backoff and jitter, honouring Retry-After, and
// is bounded as a whole by the webhook's timeout; other answers are final.
// Every delivery is recorded on the drill's timeline as notify.sent or
// notify.failed.
//
// A webhook URL's user info, path and query are secrets (Slack's token is
// the path), and so is a PagerDuty routing key: nothing this package
// records, logs or returns quotes them. Redact gives the one printable
// form of a URL, scheme://host.
//
// The Notifier is a drill part: Run follows the timeline until the drill
// stops its parts, and Objectives is called once the result is scored.
//
//	n := notify.New(sc.DR.Notify,
//		notify.WithRunID(runID),
//		notify.WithScenario(sc.Name),
//		notify.WithTimeline(tl),
//		notify.WithLogger(log))
//	runner.Parts = append(runner.Parts, n)
//	rec, err := runner.Run(ctx)
//	// ... score rec into res ...
//	n.Objectives(ctx, res)
package notify
