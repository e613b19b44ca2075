package drill

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr"
	"github.com/firedrill/firedrill/dr/notify"
	"github.com/firedrill/firedrill/dr/recovery"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/postgres"
	"github.com/firedrill/firedrill/probe"
	"github.com/firedrill/firedrill/reports/score/drscore"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// drEngine is the DR engine of one drill beyond the failover manager:
// the backup schedules, the recovery plans and the notifier, each a
// background part (docs/architecture.md, "The DR engine"). Any of them is
// nil when the scenario does not ask for it.
type drEngine struct {
	backups  *dr.Backups
	archive  *dr.ArchiveSampler
	recovery *recovery.Engine
	notifier *notify.Notifier
	start    time.Time // the drill's clock's zero, for the jobs' wall-clock instants
}

// parts are the engine's background parts.
func (e *drEngine) parts() []firedrill.Part {
	var out []firedrill.Part
	if e.backups != nil {
		out = append(out, e.backups)
	}
	if e.archive != nil {
		out = append(out, e.archive)
	}
	if e.recovery != nil {
		out = append(out, e.recovery)
	}
	if e.notifier != nil {
		out = append(out, e.notifier)
	}
	return out
}

func newDREngine(scn *scenarios.Scenario, runID string, env *docker.Env, tl *firedrill.Timeline, ops firedrill.OpStream, appBase string, redial *probe.Redial, hold *dr.Hold, log *slog.Logger) *drEngine {
	e := &drEngine{start: tl.Start()}
	jobEnv := env.JobEnv()
	if len(scn.DR.Backups) > 0 {
		e.backups = dr.NewBackups(dr.BackupsConfig{Schedules: scn.DR.Backups, Env: jobEnv}, env, tl, log)
	}
	if scenarios.HasBackup(scn, scenarios.BackupPhysical) {
		// WAL is archived from every node: how far the archive lags is
		// point-in-time recovery's RPO exposure.
		e.archive = dr.NewArchiveSampler(archiveReader{env.Cluster()}, tl, log)
	}
	hasPlan := false
	for _, p := range scenarios.RecoveryPlansOf(scn) {
		hasPlan = hasPlan || len(p.Steps) > 0
	}
	if hasPlan {
		e.recovery = recovery.New(recovery.Deps{
			Scenario: scn, Topology: env.Topology, Cluster: env.Cluster(), Runtime: env,
			Rebuild: rebuilder{env: env, redial: redial}, App: &appCheck{base: appBase, redial: redial, runID: runID},
			Timeline: tl, Ops: ops, JobEnv: jobEnv, Hold: hold, Logger: log,
		})
	}
	if len(scn.DR.Notify) > 0 {
		e.notifier = notify.New(scn.DR.Notify, notify.WithRunID(runID), notify.WithScenario(scn.Name),
			notify.WithTimeline(tl), notify.WithLogger(log))
	}
	return e
}

// rebuilder adapts the Docker runtime's replacements to the recovery
// engine's: the engine names agent subcommands, the runtime runs
// `firedrill agent ...`.
type rebuilder struct {
	env    *docker.Env
	redial *probe.Redial
}

var _ recovery.Rebuilder = rebuilder{}

func (r rebuilder) ReplacePostgres(ctx context.Context, node string, rp recovery.Replacement) error {
	agent := func(args []string) []string {
		if len(args) == 0 {
			return nil
		}
		return append([]string{"agent"}, args...)
	}
	return r.env.ReplacePostgres(ctx, node, docker.Replacement{InitDB: agent(rp.InitDB), BeforeStart: agent(rp.BeforeStart), OnLine: rp.OnLine, Until: rp.Until})
}

func (r rebuilder) ReplaceReplica(ctx context.Context, node, primary string) error {
	return r.env.ReplaceReplica(ctx, node, primary)
}

// ReplaceApp rebuilds the app and points the workload's new connections
// at its new address: a fresh container is a new host.
func (r rebuilder) ReplaceApp(ctx context.Context) error {
	if err := r.env.ReplaceApp(ctx); err != nil {
		return err
	}
	ep, err := r.env.Endpoint(ctx, topology.NodeApp, topology.PortApp)
	if err != nil {
		return fmt.Errorf("the rebuilt app's address: %w", err)
	}
	r.redial.Set(ep)
	return nil
}

// appBaseNow is the app's base URL now: where a rebuilt app went, else
// the address it had at the start.
func appBaseNow(start string, redial *probe.Redial) string {
	if addr := redial.Addr(); addr != "" {
		return (&url.URL{Scheme: "http", Host: addr}).String()
	}
	return start
}

// appCheck is the health-check step: one write through the app, read back.
// Its ids are not the probe's: the ledger never counts them.
type appCheck struct {
	base, runID string
	redial      *probe.Redial
	seq         int
}

var _ recovery.AppCheck = (*appCheck)(nil)

func (a *appCheck) WriteAndRead(ctx context.Context) (string, error) {
	a.seq++
	id := fmt.Sprintf("%s-healthcheck-%d", a.runID, a.seq)
	path := "/records/" + url.PathEscape(id)
	if _, err := a.do(ctx, http.MethodPut, path); err != nil {
		return "", fmt.Errorf("write: %w", err)
	}
	got, err := a.do(ctx, http.MethodGet, path)
	if err != nil {
		return "", fmt.Errorf("read back: %w", err)
	}
	return "wrote " + id + " through the app and read it back: " + got, nil
}

// appReadyEvery is how often Ready asks the app's health endpoint.
const appReadyEvery = 200 * time.Millisecond

// Ready waits until the app's /healthz answers 200 (its schema exists on
// a primary it reaches), until ctx ends.
func (a *appCheck) Ready(ctx context.Context) error {
	for {
		_, err := a.do(ctx, http.MethodGet, "/healthz")
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(appReadyEvery):
		}
	}
}

// do sends one request to the app and returns the body of a 2xx answer.
func (a *appCheck) do(ctx context.Context, method, path string) (string, error) {
	hc := &http.Client{Timeout: 5 * time.Second}
	req, err := http.NewRequestWithContext(ctx, method, appBaseNow(a.base, a.redial)+path, bytes.NewReader(nil))
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(body))
	}
	return string(bytes.TrimSpace(body)), nil
}

// archiveReader reads the WAL archive's lag on the current primary.
type archiveReader struct{ c *postgres.Cluster }

var _ dr.ArchiveReader = archiveReader{}

func (a archiveReader) ArchiveSample(ctx context.Context) (firedrill.ArchiveSample, error) {
	primary, err := a.c.Primary(ctx)
	if err != nil {
		return firedrill.ArchiveSample{}, err
	}
	st, err := a.c.ArchiveStatus(ctx, primary)
	if err != nil {
		return firedrill.ArchiveSample{}, err
	}
	exposure, known := st.Exposure()
	return firedrill.ArchiveSample{Node: primary, Exposure: exposure, Known: known, Failing: st.Failing(), Ready: st.Ready,
		Archived: st.ArchivedCount, Failed: st.FailedCount}, nil
}

// result is what the engine did, for the scorer; nil when it did nothing.
func (e *drEngine) result() *firedrill.DRResult {
	out := &firedrill.DRResult{}
	if e.archive != nil {
		samples, failed, lastErr := e.archive.Readings()
		out.Archive = drscore.Archive(samples, failed, lastErr)
	}
	if e.backups != nil {
		for _, b := range e.backups.Taken() {
			br := firedrill.BackupResult{Kind: b.Kind, AtMS: firedrill.Millis(b.At), SpanMS: firedrill.Millis(b.Span), Error: b.Err}
			if m := b.Manifest; m != nil {
				br.ID, br.SizeBytes, br.SHA256, br.SnapshotLSN = m.ID, m.Size, m.SHA256, m.SnapshotLSN
				if !m.SnapshotTime.IsZero() {
					ms := firedrill.Millis(dr.OffsetOf(m.SnapshotTime, e.start))
					br.SnapshotMS = &ms
				}
			}
			if b.Err != "" {
				out.BackupsFailed++
			}
			out.Backups = append(out.Backups, br)
		}
	}
	if e.recovery != nil {
		for _, r := range e.recovery.Restores() {
			rr := firedrill.RestoreResult{Kind: r.Kind, Node: r.Node, Rejected: r.Rejected, Target: r.Target,
				AtMS: firedrill.Millis(r.At), SpanMS: firedrill.Millis(r.Span), Error: r.Err, Phases: map[string]firedrill.PhaseSpan{}}
			if r.Manifest != nil {
				rr.BackupID = r.Manifest.ID
			}
			for _, p := range r.Phases {
				rr.Phases[p.Name] = firedrill.PhaseSpan{AtMS: firedrill.Millis(p.At), SpanMS: firedrill.Millis(p.Span)}
			}
			if r.HasRecoveryPoint {
				ms := firedrill.Millis(r.RecoveryPoint)
				rr.RecoveryPointMS = &ms
			}
			if am := r.Amcheck; am != nil {
				rr.AmcheckOK = am.Error == "" && len(am.Corrupt) == 0
				rr.Amcheck = recovery.AmcheckText(am)
			}
			out.Restores = append(out.Restores, rr)
		}
		for _, p := range e.recovery.Plans() {
			pr := firedrill.PlanResult{Type: p.Type, Why: p.Why, Injection: p.Injection, AtMS: firedrill.Millis(p.At),
				SinceMS: firedrill.Millis(p.Since), Done: p.Done}
			for _, s := range p.Steps {
				pr.Steps = append(pr.Steps, firedrill.StepResult{Name: s.Name, Outcome: s.Outcome, AtMS: firedrill.Millis(s.At),
					SpanMS: firedrill.Millis(s.Span), Detail: s.Detail, Evidence: s.Evidence})
			}
			out.Plans = append(out.Plans, pr)
		}
	}
	return out
}
