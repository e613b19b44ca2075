package notify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/scenarios"
)

func TestEventMapping(t *testing.T) {
	n := New(nil, WithScenario("primary-kill"), WithTimeline(firedrill.NewTimeline()))
	for _, c := range []struct {
		kind     firedrill.EventKind
		detail   string
		event    string
		severity string
		summary  string
	}{
		{firedrill.EventPromote, "promoted to primary", scenarios.NotifyFailover, severityCritical, "[primary-kill] failover: pg-1 promoted to primary"},
		{firedrill.EventFailoverError, "no standby left", scenarios.NotifyFailover, severityCritical, "[primary-kill] failover failed (primary pg-1): no standby left"},
		{firedrill.EventRestoreDone, "logical backup b1", scenarios.NotifyRestore, severityInfo, "[primary-kill] restore done on pg-1: logical backup b1"},
		{firedrill.EventRestoreFailed, "no valid backup\nmore", scenarios.NotifyRestore, severityError, "[primary-kill] restore failed on pg-1: no valid backup"},
		{firedrill.EventRecoveryStepFailed, "restore-latest-backup: failed", scenarios.NotifyStepFailed, severityCritical, "[primary-kill] recovery plan step failed on pg-1: restore-latest-backup: failed"},
	} {
		m, ok := n.fromEvent(firedrill.Event{At: time.Second, Kind: c.kind, Target: "pg-1", Detail: c.detail, Injection: "f1"})
		if !ok {
			t.Errorf("%s: not notified", c.kind)
			continue
		}
		if m.Event != c.event || m.Severity != c.severity || m.Summary != c.summary || m.Detail != c.detail ||
			m.Injection != "f1" || m.Target != "pg-1" || m.At != time.Second {
			t.Errorf("%s: got %+v", c.kind, m)
		}
	}
	for _, kind := range []firedrill.EventKind{firedrill.EventDetect, firedrill.EventFence, firedrill.EventFaultInjected,
		firedrill.EventRestoreDownload, firedrill.EventRecoveryStep, firedrill.EventRecoveryDone,
		firedrill.EventNotifySent, firedrill.EventNotifyFailed} {
		if m, ok := n.fromEvent(firedrill.Event{Kind: kind}); ok {
			t.Errorf("%s notified as %+v", kind, m)
		}
	}
}

func TestRunNotifiesOnlyEachHooksEvents(t *testing.T) {
	all := newReceiver(t, nil)
	restores := newReceiver(t, nil)
	onlyRestore := webhook(restores.srv.URL, time.Second)
	onlyRestore.Events = []string{scenarios.NotifyRestore}
	tl := firedrill.NewTimeline()
	n := newTestNotifier([]scenarios.Webhook{webhook(all.srv.URL, time.Second), onlyRestore}, WithTimeline(tl), WithRunID("r1"))
	stop := start(t, n)

	tl.Record(firedrill.EventPromote, "pg-2", "promoted to primary")
	tl.Record(firedrill.EventDetect, "pg-1", "down") // notifies nobody
	tl.Record(firedrill.EventRecoveryStepFailed, "pg-2", "health-check: refused")
	tl.Record(firedrill.EventRestoreFailed, "pg-2", "no backup")

	var got []string
	for range 3 {
		got = append(got, decodeJSON(t, all.next(t).body).Event)
	}
	if want := "failover step-failed restore"; strings.Join(got, " ") != want {
		t.Errorf("hook with every event got %v, want %s", got, want)
	}
	// The restore is the last event recorded; the hook that wants only
	// restores has had every earlier one by the time it gets it.
	if b := decodeJSON(t, restores.next(t).body); b.Event != scenarios.NotifyRestore || b.RunID != "r1" {
		t.Errorf("restore-only hook got %+v", b)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := restores.count.Load(); got != 1 {
		t.Errorf("restore-only hook got %d notifications, want 1", got)
	}
	if got := all.count.Load(); got != 3 {
		t.Errorf("hook with every event got %d notifications, want 3", got)
	}
	if sent := eventsOf(tl, firedrill.EventNotifySent); len(sent) != 4 {
		t.Errorf("%d notify.sent events, want 4: %+v", len(sent), sent)
	}
}

func TestRunKeepsEachHooksOrder(t *testing.T) {
	// The first few answers fail once each, so that a notification that
	// overtook another would show.
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n%2 == 1 && n < 8 {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	tl := firedrill.NewTimeline()
	n := newTestNotifier([]scenarios.Webhook{webhook(rc.srv.URL, 5*time.Second)}, WithTimeline(tl))
	start(t, n)
	const count = 8
	for i := range count {
		tl.Record(firedrill.EventRestoreDone, fmt.Sprintf("pg-%d", i), "")
	}
	var delivered []string
	for len(delivered) < count {
		b := decodeJSON(t, rc.next(t).body)
		if len(delivered) == 0 || delivered[len(delivered)-1] != b.Target {
			delivered = append(delivered, b.Target)
		}
	}
	for i, target := range delivered {
		if want := fmt.Sprintf("pg-%d", i); target != want {
			t.Fatalf("delivered in the order %v, want pg-0 … pg-%d", delivered, count-1)
		}
	}
}

func TestSlowHookDoesNotDelayAnother(t *testing.T) {
	release := make(chan struct{})
	slow := newReceiver(t, func(http.ResponseWriter, *http.Request, int) { <-release })
	fast := newReceiver(t, nil)
	tl := firedrill.NewTimeline()
	n := newTestNotifier([]scenarios.Webhook{webhook(slow.srv.URL, time.Minute), webhook(fast.srv.URL, time.Minute)}, WithTimeline(tl))
	stop := start(t, n)
	tl.Record(firedrill.EventPromote, "pg-2", "promoted to primary")
	slow.next(t) // the slow receiver holds this request until released
	// The timeline's adder does not wait for the stuck delivery either.
	tl.Record(firedrill.EventRestoreDone, "pg-2", "")
	for _, want := range []string{scenarios.NotifyFailover, scenarios.NotifyRestore} {
		if b := decodeJSON(t, fast.next(t).body); b.Event != want {
			t.Errorf("fast hook got %s, want %s", b.Event, want)
		}
	}
	close(release)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := slow.count.Load(); got != 2 {
		t.Errorf("slow hook got %d notifications once released, want 2", got)
	}
}

// runWithHungDelivery runs a Notifier with the given grace whose one
// webhook never answers, and returns once a failover's delivery hangs.
func runWithHungDelivery(t *testing.T, grace time.Duration) (*firedrill.Timeline, func() error) {
	t.Helper()
	rc := newReceiver(t, hang)
	tl := firedrill.NewTimeline()
	n := newTestNotifier([]scenarios.Webhook{webhook(rc.srv.URL, time.Minute)}, WithTimeline(tl), WithGrace(grace))
	stop := start(t, n)
	tl.Record(firedrill.EventPromote, "pg-2", "promoted to primary")
	rc.next(t)
	return tl, stop
}

func TestRunReturnsWithinGraceWhenReceiverHangs(t *testing.T) {
	tl, stop := runWithHungDelivery(t, 100*time.Millisecond)
	tl.Record(firedrill.EventRestoreDone, "pg-2", "") // queued behind the hung one
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	failed := eventsOf(tl, firedrill.EventNotifyFailed)
	if len(failed) != 2 {
		t.Fatalf("notify.failed events = %+v, want the hung delivery and the queued one", failed)
	}
	for _, e := range failed {
		if !strings.Contains(e.Detail, "the drill ended") {
			t.Errorf("failure %q does not say the drill ended", e.Detail)
		}
	}
}

func TestRunNotifiesEventsJustBeforeItsEnd(t *testing.T) {
	rc := newReceiver(t, nil)
	tl := firedrill.NewTimeline()
	n := newTestNotifier([]scenarios.Webhook{webhook(rc.srv.URL, time.Second)}, WithTimeline(tl))
	stop := start(t, n)
	tl.Record(firedrill.EventPromote, "pg-2", "promoted to primary")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := rc.count.Load(); got != 1 {
		t.Errorf("receiver got %d notifications, want the failover recorded before the end", got)
	}
}

func TestRunNeedsTimeline(t *testing.T) {
	if err := New(nil).Run(context.Background()); err == nil {
		t.Error("Run without a timeline returned no error")
	}
}

func TestObjectives(t *testing.T) {
	rc := newReceiver(t, nil)
	other := newReceiver(t, nil)
	noBreach := webhook(other.srv.URL, time.Second)
	noBreach.Events = []string{scenarios.NotifyFailover}
	tl := firedrill.NewTimeline()
	n := newTestNotifier([]scenarios.Webhook{webhook(rc.srv.URL, time.Second), noBreach}, WithTimeline(tl), WithScenario("s"))
	res := &firedrill.Result{Objectives: []firedrill.ObjectiveResult{
		{Name: "rto", Target: "<= 15s", Measured: "31.2s", Status: firedrill.StatusMissed, Detail: "f0 took 31.2s"},
		{Name: "rpo", Target: "<= 0s", Measured: "0s", Met: true, Status: firedrill.StatusMet},
		{Name: "lost_writes", Target: "<= 0", Measured: "3", Status: firedrill.StatusMissed},
		{Name: "split_brain", Target: "none", Measured: "not measured", Status: firedrill.StatusNoData},
	}}
	n.Objectives(context.Background(), res)
	if got := rc.count.Load(); got != 2 {
		t.Fatalf("receiver got %d notifications, want one per missed objective (2)", got)
	}
	first, second := decodeJSON(t, rc.next(t).body), decodeJSON(t, rc.next(t).body)
	if first.Event != scenarios.NotifyObjectiveBreach || first.Target != "rto" ||
		first.Summary != "[s] objective rto missed: measured 31.2s, target <= 15s" || first.Detail != "f0 took 31.2s" {
		t.Errorf("first breach = %+v", first)
	}
	if second.Target != "lost_writes" || !strings.Contains(second.Summary, "measured 3, target <= 0") {
		t.Errorf("second breach = %+v", second)
	}
	if got := other.count.Load(); got != 0 {
		t.Errorf("a hook without objective-breach got %d notifications", got)
	}
	if sent := eventsOf(tl, firedrill.EventNotifySent); len(sent) != 2 {
		t.Errorf("%d notify.sent events, want 2", len(sent))
	}
}

func TestObjectivesAllMetNotifiesNothing(t *testing.T) {
	rc := newReceiver(t, nil)
	n := newTestNotifier([]scenarios.Webhook{webhook(rc.srv.URL, time.Second)})
	n.Objectives(context.Background(), &firedrill.Result{Objectives: []firedrill.ObjectiveResult{
		{Name: "rto", Target: "<= 15s", Measured: "3s", Met: true, Status: firedrill.StatusMet},
		{Name: "rpo", Target: "report", Measured: "0s", Met: true, Status: firedrill.StatusReported},
	}})
	n.Objectives(context.Background(), nil)
	if got := rc.count.Load(); got != 0 {
		t.Errorf("receiver got %d notifications for a drill that met its objectives", got)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	const (
		user, password = "USERSECRET", "PASSSECRET"
		pathToken      = "PATHSECRET"
		queryToken     = "QUERYSECRET"
		routingKey     = "ROUTINGSECRET0123456789abcdef01"
	)
	secretParts := []string{user, password, pathToken, queryToken, routingKey}
	withSecrets := func(base string) string {
		return strings.Replace(base, "http://", "http://"+user+":"+password+"@", 1) +
			"/services/T0/B0/" + pathToken + "?token=" + queryToken
	}
	failing := newReceiver(t, status(http.StatusInternalServerError))
	accepting := newReceiver(t, nil)
	refusing := newReceiver(t, nil)
	refusing.srv.Close() // nothing listens there any more: a transport error
	var hooks []scenarios.Webhook
	for _, base := range []string{failing.srv.URL, accepting.srv.URL, refusing.srv.URL} {
		for _, format := range scenarios.WebhookFormats {
			h := webhook(withSecrets(base), 100*time.Millisecond)
			h.Format = format
			if format == scenarios.WebhookPagerDuty {
				h.RoutingKey = routingKey
			}
			hooks = append(hooks, h)
		}
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tl := firedrill.NewTimeline()
	n := newTestNotifier(hooks, WithTimeline(tl), WithLogger(log))

	var printed []string
	for _, h := range n.hooks {
		if err := n.notify(context.Background(), h, testNote); err != nil {
			printed = append(printed, err.Error())
		}
	}
	n.Objectives(context.Background(), &firedrill.Result{Objectives: []firedrill.ObjectiveResult{
		{Name: "rto", Target: "<= 1s", Measured: "2s", Status: firedrill.StatusMissed}}})
	if len(printed) != 6 {
		t.Fatalf("%d deliveries failed, want the 6 of the failing and refusing receivers: %q", len(printed), printed)
	}
	for _, e := range tl.Events() {
		printed = append(printed, fmt.Sprintf("%+v", e))
	}
	printed = append(printed, logs.String())
	if !strings.Contains(logs.String(), "notification not delivered") || !strings.Contains(logs.String(), "notification delivered") {
		t.Fatalf("the log lacks the deliveries: %s", logs.String())
	}
	for _, p := range printed {
		for _, s := range secretParts {
			if strings.Contains(p, s) {
				t.Errorf("a secret (%s) was printed: %s", s[:4], p)
			}
		}
	}
	// The secret parts did reach the receiver: the test would pass
	// vacuously if the URL had been cut before the request.
	if got := accepting.next(t); !strings.Contains(string(got.body), "restore") {
		t.Errorf("accepting receiver got %s", got.body)
	}
	for _, e := range eventsOf(tl, firedrill.EventNotifySent) {
		if e.Target != accepting.srv.URL {
			t.Errorf("notify.sent target = %q, want the receiver's scheme and host %q", e.Target, accepting.srv.URL)
		}
	}
}

func TestRunReturnsWithinGraceWhileEventsKeepComing(t *testing.T) {
	tl, stop := runWithHungDelivery(t, 50*time.Millisecond)
	// Other parts keep recording while the drill stops: the drain ends
	// with the grace, and so does the wait for the hung delivery.
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		for {
			select {
			case <-quit:
				return
			default:
				tl.Record(firedrill.EventDetect, "pg-1", "down")
				time.Sleep(time.Millisecond)
			}
		}
	}()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if failed := eventsOf(tl, firedrill.EventNotifyFailed); len(failed) != 1 {
		t.Errorf("notify.failed events = %+v, want the hung delivery", failed)
	}
}
