package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

// defaultGrace is how long Run waits, once its context ends, for the
// notifications already due: a drill's last failover is still told, but a
// receiver that is down cannot hold up the teardown for its whole timeout.
const defaultGrace = 5 * time.Second

// drainQuiet is how long Run keeps reading the timeline after its context
// ended once no event comes: the events added just before the end are
// still on their way through the subscription.
const drainQuiet = 20 * time.Millisecond

// queueSize bounds the notifications waiting for one webhook; a drill has
// a handful (failovers, restores, failed steps), so a full queue means a
// runaway source, and what does not fit is recorded as not sent.
const queueSize = 256

// Notifier tells webhooks about a drill's failovers, restores, failed
// recovery steps (as a drill part, Run) and missed objectives (after
// scoring, Objectives) (docs/architecture.md, "Notifications").
type Notifier struct {
	hooks    []*hook
	runID    string
	scenario string
	tl       *firedrill.Timeline
	log      *slog.Logger
	grace    time.Duration
	client   *http.Client // WithHTTPClient's, copied by New
	// ready is closed once Run has subscribed to the timeline: events
	// added before that are not notified.
	ready     chan struct{}
	readyOnce sync.Once
}

var _ firedrill.Part = (*Notifier)(nil)

// hook is one webhook with what it is told about.
type hook struct {
	cfg     scenarios.Webhook
	target  string // Redact(cfg.URL): the only form of the URL ever printed
	events  map[string]bool
	timeout time.Duration
	send    *deliverer
}

// Option configures a Notifier.
type Option func(*Notifier)

// WithRunID sets the run id every notification carries.
func WithRunID(id string) Option { return func(n *Notifier) { n.runID = id } }

// WithScenario sets the scenario name every notification carries.
func WithScenario(name string) Option { return func(n *Notifier) { n.scenario = name } }

// WithTimeline sets the drill's timeline: Run subscribes to it, and every
// delivery is recorded on it as notify.sent or notify.failed.
func WithTimeline(tl *firedrill.Timeline) Option { return func(n *Notifier) { n.tl = tl } }

// WithLogger sets where deliveries are logged; the default discards.
func WithLogger(l *slog.Logger) Option { return func(n *Notifier) { n.log = l } }

// WithGrace sets how long Run waits at its end for notifications still
// being delivered or queued (default 5s); what is left then is cancelled
// and recorded as not sent.
func WithGrace(d time.Duration) Option { return func(n *Notifier) { n.grace = d } }

// WithHTTPClient sets the client that posts the notifications (default: a
// plain http.Client; each delivery is bounded by its webhook's timeout
// through its context). Redirects are never followed: a copy of the
// client is used with its CheckRedirect replaced.
func WithHTTPClient(c *http.Client) Option {
	return func(n *Notifier) { n.client = c }
}

// New builds a Notifier for hooks, as a scenario's dr.notify gives them
// (defaults applied: a hook without format, events or timeout gets json,
// every event and 10s here too).
func New(hooks []scenarios.Webhook, opts ...Option) *Notifier {
	n := &Notifier{grace: defaultGrace, ready: make(chan struct{})}
	for _, o := range opts {
		o(n)
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	client := &http.Client{}
	if n.client != nil {
		c := *n.client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, w := range hooks {
		h := &hook{cfg: w, target: Redact(w.URL), timeout: w.Timeout.Duration, events: map[string]bool{}}
		if h.cfg.Format == "" {
			h.cfg.Format = scenarios.WebhookJSON
		}
		if h.timeout <= 0 {
			h.timeout = scenarios.DefaultWebhookTimeout
		}
		events := w.Events
		if len(events) == 0 {
			events = scenarios.WebhookEvents
		}
		for _, e := range events {
			h.events[e] = true
		}
		h.send = &deliverer{client: client, url: w.URL, routingKey: w.RoutingKey,
			retryBase: defaultRetryBase, retryCap: defaultRetryCap}
		n.hooks = append(n.hooks, h)
	}
	return n
}

// Name is the part's name in the drill's logs.
func (n *Notifier) Name() string { return "notifier" }

// Run notifies the webhooks of every timeline event that maps to one of
// their events, from the moment it subscribes until ctx ends. Each
// webhook has a queue of its own, delivered in order by its own goroutine:
// a slow receiver holds up neither the drill (the timeline never waits
// for a subscriber) nor the other webhooks. Once ctx ends, Run reads the
// events still on their way, waits at most the grace for the queued and
// in-flight deliveries, cancels what is left, and returns.
func (n *Notifier) Run(ctx context.Context) error {
	if n.tl == nil {
		return errors.New("notify: no timeline to follow (WithTimeline)")
	}
	events, cancel := n.tl.Subscribe()
	defer cancel()
	n.readyOnce.Do(func() { close(n.ready) })
	// Deliveries outlive ctx by the grace at most.
	dctx, stop := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stop(nil)
	queues := make([]chan notification, len(n.hooks))
	var workers sync.WaitGroup
	for i, h := range n.hooks {
		queues[i] = make(chan notification, queueSize)
		workers.Go(func() { n.work(dctx, h, queues[i]) })
	}
	dispatch := func(e firedrill.Event) {
		m, ok := n.fromEvent(e)
		if !ok {
			return
		}
		for i, h := range n.hooks {
			if !h.events[m.Event] {
				continue
			}
			select {
			case queues[i] <- m:
			default:
				n.record(h, m, n.now(), 0, 0, errors.New("not sent: too many notifications waiting for this webhook"))
			}
		}
	}

	for done := false; !done; {
		select {
		case e, ok := <-events:
			if !ok {
				done = true
				break
			}
			dispatch(e)
		case <-ctx.Done():
			done = true
		}
	}
	// A context, not a timer: both the drain and the wait below watch the
	// grace, and a timer's tick is read only once.
	grace, endGrace := context.WithTimeout(context.Background(), n.grace)
	defer endGrace()
	n.drain(events, dispatch, grace.Done())
	cancel()
	for _, q := range queues {
		close(q)
	}
	finished := make(chan struct{})
	go func() { workers.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-grace.Done():
		stop(errors.New("the drill ended before the delivery finished"))
		<-finished
	}
	return nil
}

// drain dispatches the events already on their way once Run's context
// ended, until none comes for drainQuiet or the grace is over.
func (n *Notifier) drain(events <-chan firedrill.Event, dispatch func(firedrill.Event), graceEnd <-chan struct{}) {
	quiet := time.NewTimer(drainQuiet)
	defer quiet.Stop()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return
			}
			dispatch(e)
			quiet.Reset(drainQuiet)
		case <-quiet.C:
			return
		case <-graceEnd:
			return
		}
	}
}

// work delivers one webhook's notifications in order until its queue is
// closed; once ctx is cancelled (the grace is over) what is left is
// recorded as not sent.
func (n *Notifier) work(ctx context.Context, h *hook, queue <-chan notification) {
	for m := range queue {
		if ctx.Err() != nil {
			n.record(h, m, n.now(), 0, 0, fmt.Errorf("not sent: %w", context.Cause(ctx)))
			continue
		}
		_ = n.notify(ctx, h, m)
	}
}

// Objectives notifies every webhook that wants objective-breach of each
// objective res missed, once scoring is done; nothing when all were met.
// It returns once every notification was delivered or given up: the
// breaches of one webhook are sent in order and share its timeout, the
// webhooks are told at the same time, so it returns within the longest
// webhook timeout (or when ctx ends).
func (n *Notifier) Objectives(ctx context.Context, res *firedrill.Result) {
	if res == nil {
		return
	}
	var breaches []notification
	for _, o := range res.Objectives {
		if o.Met || o.Status != firedrill.StatusMissed {
			continue
		}
		breaches = append(breaches, n.breach(o, res))
	}
	if len(breaches) == 0 {
		return
	}
	var all sync.WaitGroup
	for _, h := range n.hooks {
		if !h.events[scenarios.NotifyObjectiveBreach] {
			continue
		}
		all.Go(func() {
			hctx, cancel := context.WithTimeout(ctx, h.timeout)
			defer cancel()
			for _, m := range breaches {
				_ = n.notify(hctx, h, m)
			}
		})
	}
	all.Wait()
}

// breach is the notification of one missed objective.
func (n *Notifier) breach(o firedrill.ObjectiveResult, res *firedrill.Result) notification {
	at, wall := n.now(), time.Time{}
	switch {
	case n.tl != nil:
		wall = n.tl.Start().Add(at)
	default:
		at = time.Duration(res.DurationMS * float64(time.Millisecond))
		wall = res.StartedAt.Add(at)
	}
	return notification{
		Event:    scenarios.NotifyObjectiveBreach,
		At:       at,
		Wall:     wall,
		Target:   o.Name,
		Summary:  n.prefix() + fmt.Sprintf("objective %s missed: measured %s, target %s", o.Name, o.Measured, o.Target),
		Detail:   o.Detail,
		Severity: severityCritical,
	}
}

// notify delivers m to h within h's timeout and records the outcome.
func (n *Notifier) notify(ctx context.Context, h *hook, m notification) error {
	start := n.now()
	began := time.Now()
	body, err := encode(h.cfg, m, origin{runID: n.runID, scenario: n.scenario})
	attempts := 0
	if err == nil {
		dctx, cancel := context.WithTimeout(ctx, h.timeout)
		attempts, err = h.send.deliver(dctx, body)
		cancel()
	}
	n.record(h, m, start, time.Since(began), attempts, err)
	return err
}

// record puts a delivery's outcome on the timeline and in the log: the
// receiver as scheme://host only, what was notified, and why it failed.
func (n *Notifier) record(h *hook, m notification, at, span time.Duration, attempts int, err error) {
	what := fmt.Sprintf("%s to %s (%s", m.Event, h.target, h.cfg.Format)
	if attempts > 0 {
		what += fmt.Sprintf(", %d attempt%s", attempts, plural(attempts))
	}
	what += "): " + m.Summary
	kind := firedrill.EventNotifySent
	if err != nil {
		kind = firedrill.EventNotifyFailed
		// Scrubbed again: an encoding error, or any path that did not
		// go through the deliverer, must not leak either.
		what += "; not delivered: " + scrub(err.Error(), secrets(h.cfg.URL, h.cfg.RoutingKey))
	}
	if n.tl != nil {
		n.tl.Add(firedrill.Event{At: at, Span: span, Kind: kind, Injection: m.Injection, Target: h.target, Detail: what})
	}
	attrs := []any{"target", h.target, "event", m.Event, "format", h.cfg.Format, "attempts", attempts, "took", span.Round(time.Millisecond)}
	if err != nil {
		n.log.Warn("notification not delivered", append(attrs, "err", scrub(err.Error(), secrets(h.cfg.URL, h.cfg.RoutingKey)))...)
		return
	}
	n.log.Info("notification delivered", attrs...)
}

// now is the offset on the drill's clock, zero without a timeline.
func (n *Notifier) now() time.Duration {
	if n.tl == nil {
		return 0
	}
	return n.tl.Now()
}

// prefix names the scenario at the head of a summary, which must stand
// alone in a chat line or an alert title.
func (n *Notifier) prefix() string {
	if n.scenario == "" {
		return ""
	}
	return "[" + n.scenario + "] "
}

// maxSummaryDetail is how much of an event's detail a summary quotes.
const maxSummaryDetail = 200

// fromEvent maps a timeline event to the notification it causes, if any
// (docs/architecture.md, "Notifications", the table of events).
func (n *Notifier) fromEvent(e firedrill.Event) (notification, bool) {
	m := notification{At: e.At, Target: e.Target, Injection: e.Injection, Detail: e.Detail}
	if n.tl != nil {
		m.Wall = n.tl.Start().Add(e.At)
	}
	var what string
	switch e.Kind {
	case firedrill.EventPromote:
		m.Event, m.Severity, what = scenarios.NotifyFailover, severityCritical, "failover: "+orUnknown(e.Target)+" promoted to primary"
	case firedrill.EventFailoverError:
		m.Event, m.Severity, what = scenarios.NotifyFailover, severityCritical, "failover failed (primary "+orUnknown(e.Target)+")"
	case firedrill.EventRestoreDone:
		m.Event, m.Severity, what = scenarios.NotifyRestore, severityInfo, "restore done on "+orUnknown(e.Target)
	case firedrill.EventRestoreFailed:
		m.Event, m.Severity, what = scenarios.NotifyRestore, severityError, "restore failed on "+orUnknown(e.Target)
	case firedrill.EventRecoveryStepFailed:
		m.Event, m.Severity, what = scenarios.NotifyStepFailed, severityCritical, "recovery plan step failed on "+orUnknown(e.Target)
	default:
		return notification{}, false
	}
	if e.Evidence != "" {
		m.Detail = strings.TrimSpace(m.Detail + "\n" + e.Evidence)
	}
	// The failover's detail ("promoted to primary") says again what the
	// summary says; any other detail is the reason, worth a line.
	if line, _, _ := strings.Cut(e.Detail, "\n"); line != "" && !strings.Contains(what, line) {
		what += ": " + clip(line, maxSummaryDetail)
	}
	m.Summary = n.prefix() + what
	return m, true
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown node"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
