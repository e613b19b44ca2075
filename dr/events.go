package dr

import "github.com/firedrill/firedrill"

// Events the failover manager records besides detect, fence, promote and
// error (docs/measurement.md, "Events"). The scorer does not charge them:
// they say why the manager did not act.
const (
	// EventBlind: the manager had no health verdict from its vantage
	// point from At to At+Span (its watcher had died and was not back
	// yet), so it could not fail over then. Detail says why.
	EventBlind firedrill.EventKind = "failover.blind"
	// EventWithheld: the primary failed its checks from the vantage
	// point, but no standby was reachable from there either (the app cut
	// off or frozen): promoting one the clients cannot reach helps
	// nobody, so the manager did not fail over. Once per outage.
	EventWithheld firedrill.EventKind = "failover.withheld"
)
