package scenarios

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/scenarios/internal/spec"
	"github.com/firedrill/firedrill/scenarios/internal/target"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// The checks of what the DR engine needs beyond its backup schedules and
// plans: WAL archiving, uploads, the recovery target and the webhooks.

func (v *validator) drEngine() {
	for i, b := range v.s.DR.Backups {
		path := fmt.Sprintf("dr.backups[%d].archive_timeout", i)
		at := b.ArchiveTimeout.Duration
		switch {
		case b.Kind != BackupPhysical && (at != 0 || v.present(path)):
			v.add(path, "archive_timeout is the WAL archive's, and only a physical backup archives WAL", "remove it, or make the backup kind: physical")
		case b.Kind == BackupPhysical && (at < spec.MinArchiveTimeout || at > spec.MaxArchiveTimeout):
			v.add(path, fmt.Sprintf("archive_timeout must be from %s to %s, got %s", spec.MinArchiveTimeout, spec.MaxArchiveTimeout, b.ArchiveTimeout),
				"leave it out for 60s; a drill measured in seconds wants 1s or 2s")
		}
	}

	w := &v.s.Workload
	switch {
	case w.UploadsPerSecond < 0 || w.UploadsPerSecond > spec.MaxUploadsPerSecond:
		v.add("workload.uploads_per_second", fmt.Sprintf("uploads_per_second must be >= 0 and <= %d, got %s", spec.MaxUploadsPerSecond, formatFloat(w.UploadsPerSecond)),
			"a few uploads a second are enough to count lost files")
	case w.UploadsPerSecond > 0 && v.s.Environment.App.Image != "":
		v.add("workload.uploads_per_second", "uploads go to the built-in sample app's upload endpoints, and environment.app.image names another app",
			"leave environment.app.image out, or the uploads")
	}

	r := &v.s.DR.Recovery
	if r.Target != "" {
		if _, err := target.ParseRecoveryTarget(r.Target); err != nil {
			v.add("dr.recovery.target", err.Error(), "latest, before-fault, 19.5s, lsn:0/3000060 or name:before-drop")
		} else if !slices.ContainsFunc(spec.RecoveryPlans(r), func(p spec.RecoveryPlan) bool { return slices.Contains(p.Steps, StepRestorePointInTime) }) {
			v.add("dr.recovery.target", "target is where restore-point-in-time recovers to, and no plan has that step",
				"add restore-point-in-time to a plan, or remove target")
		}
	}

	for i, n := range v.s.DR.Notify {
		v.webhook(fmt.Sprintf("dr.notify[%d]", i), n)
	}
}

func (v *validator) webhook(path string, n spec.Webhook) {
	switch u, err := url.Parse(n.URL); {
	case n.URL == "" && !v.present(path+".url"):
		v.add(path+".url", "a webhook needs a url", "the receiver's http or https address")
	case err != nil:
		// url's error quotes the URL, which may hold its secret.
		v.add(path+".url", "the url does not parse", "write it as https://host/path")
	case u.Scheme != "http" && u.Scheme != "https":
		v.add(path+".url", fmt.Sprintf("a webhook url is http or https, got %s", yamlpos.QuoteValue(u.Scheme+":")), "write it as https://host/path")
	case u.Host == "":
		v.add(path+".url", "the url has no host", "write it as https://host/path")
	}
	if !slices.Contains(spec.WebhookFormats, n.Format) {
		v.add(path+".format", fmt.Sprintf("unknown webhook format %s", yamlpos.QuoteValue(n.Format)),
			yamlpos.DidYouMean(n.Format, spec.WebhookFormats, "formats are"))
	}
	switch {
	case n.Format == spec.WebhookPagerDuty && n.RoutingKey == "":
		v.add(path+".routing_key", "a pagerduty webhook needs the routing_key of its integration", "copy it from the service's Events API v2 integration")
	case n.Format != spec.WebhookPagerDuty && n.RoutingKey != "":
		v.add(path+".routing_key", "routing_key is PagerDuty's, and the format is "+n.Format, "remove it, or write format: pagerduty")
	}
	seen := map[string]bool{}
	for j, e := range n.Events {
		p := fmt.Sprintf("%s.events[%d]", path, j)
		switch {
		case !slices.Contains(spec.WebhookEvents, e):
			v.add(p, fmt.Sprintf("unknown event %s", yamlpos.QuoteValue(e)), yamlpos.DidYouMean(e, spec.WebhookEvents, "events are"))
		case seen[e]:
			v.add(p, "event "+e+" is listed twice", "list each once")
		}
		seen[e] = true
	}
	if n.Events != nil && len(n.Events) == 0 {
		v.add(path+".events", "a webhook with no event is never called", "leave events out for all of them, or name some: "+strings.Join(spec.WebhookEvents, ", "))
	}
	if to := n.Timeout.Duration; to < spec.MinWebhookTimeout || to > spec.MaxWebhookTimeout {
		v.add(path+".timeout", fmt.Sprintf("timeout must be from %s to %s, got %s", spec.MinWebhookTimeout, spec.MaxWebhookTimeout, n.Timeout),
			"leave it out for 10s")
	}
}
