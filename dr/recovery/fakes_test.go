package recovery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr"
	"github.com/firedrill/firedrill/dr/jobs"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// fakeCluster is the Postgres administration of a cluster the test
// scripts: which nodes answer, which is the writable primary, whom each
// standby streams from.
type fakeCluster struct {
	mu       sync.Mutex
	down     map[string]bool
	primary  string            // "" when none is writable
	follows  map[string]string // standby → the node it streams from
	lsn      map[string]uint64
	fenced   map[string]string
	promoted []string
	ran      []string // "node: sql" of every Run
	// recoverUntil: a node is in recovery until this fake instant.
	recoverUntil map[string]time.Time
	replayed     time.Time
	// hold, when set, is read at every Promote, for holdSeen.
	hold     *dr.Hold
	holdSeen []bool
}

func newFakeCluster(topo *topology.Topology) *fakeCluster {
	c := &fakeCluster{down: map[string]bool{}, primary: topology.NodePrimary, follows: map[string]string{},
		lsn: map[string]uint64{}, fenced: map[string]string{}, recoverUntil: map[string]time.Time{}}
	for _, s := range topo.Standbys() {
		c.follows[s] = topology.NodePrimary
	}
	return c
}

// set changes the cluster under its lock.
func (c *fakeCluster) set(f func(c *fakeCluster)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c)
}

// at changes the cluster at the fake instant after d.
func (c *fakeCluster) at(d time.Duration, f func(c *fakeCluster)) {
	time.AfterFunc(d, func() { c.set(f) })
}

// losePrimary takes the primary down, as a kill would.
func losePrimary(c *fakeCluster) { c.down[topology.NodePrimary], c.primary = true, "" }

func (c *fakeCluster) Check(_ context.Context, node string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down[node] {
		return errors.New("connection refused")
	}
	return nil
}

func (c *fakeCluster) Primary(context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.primary == "" || c.down[c.primary] {
		return "", errors.New("no writable primary")
	}
	return c.primary, nil
}

func (c *fakeCluster) InRecovery(_ context.Context, node string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down[node] {
		return false, errors.New("connection refused")
	}
	return time.Now().Before(c.recoverUntil[node]), nil
}

func (c *fakeCluster) Streaming(_ context.Context, primary, standby string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down[primary] {
		return false, errors.New("connection refused")
	}
	return !c.down[standby] && c.follows[standby] == primary, nil
}

func (c *fakeCluster) ReceivedLSN(_ context.Context, node string) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lsn[node], nil
}

func (c *fakeCluster) Promote(_ context.Context, node string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, held := c.hold.Active()
	c.holdSeen = append(c.holdSeen, held)
	c.promoted = append(c.promoted, node)
	c.primary = node
	delete(c.follows, node)
	return nil
}

func (c *fakeCluster) Fenced(node string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.fenced[node]
	return m, ok
}

func (c *fakeCluster) Run(_ context.Context, node, sql string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ran = append(c.ran, node+": "+sql)
	return "", nil
}

func (c *fakeCluster) ReplayedUntil(context.Context, string) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.replayed, nil
}

// fakeRuntime is the container platform: every node runs on its
// topology's networks unless told otherwise; jobs print what job says.
type fakeRuntime struct {
	mu       sync.Mutex
	states   map[string]platform.State
	nets     map[string][]string
	joined   []string
	restarts []string
	execs    [][]string
	job      func(ctx context.Context, cmd []string, print func(string)) error
}

func newFakeRuntime(topo *topology.Topology) *fakeRuntime {
	rt := &fakeRuntime{states: map[string]platform.State{}, nets: map[string][]string{}}
	for _, n := range topo.Nodes {
		rt.states[n.Name] = platform.State{Status: platform.StatusRunning, Pid: 1}
		rt.nets[n.Name] = slices.Clone(n.Networks)
	}
	return rt
}

func (rt *fakeRuntime) set(f func(rt *fakeRuntime)) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	f(rt)
}

func (rt *fakeRuntime) Exec(ctx context.Context, node string, cmd []string, opts ...platform.SidecarOption) (platform.ExecResult, error) {
	cfg := platform.NewSidecarConfig(opts...)
	rt.mu.Lock()
	rt.execs = append(rt.execs, append([]string{node}, cmd...))
	job := rt.job
	rt.mu.Unlock()
	if job == nil {
		return platform.ExecResult{ExitCode: 127}, nil
	}
	print := func(line string) {
		if cfg.Output != nil {
			cfg.Output(line)
		}
	}
	return platform.ExecResult{}, job(ctx, cmd, print)
}

func (rt *fakeRuntime) State(_ context.Context, node string) (platform.State, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	st, ok := rt.states[node]
	if !ok {
		return platform.State{Status: platform.StatusMissing}, nil
	}
	return st, nil
}

func (rt *fakeRuntime) Networks(_ context.Context, node string) ([]string, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return slices.Clone(rt.nets[node]), nil
}

func (rt *fakeRuntime) Connect(_ context.Context, node, network string) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.nets[node] = append(rt.nets[node], network)
	rt.joined = append(rt.joined, node+" "+network)
	return nil
}

func (rt *fakeRuntime) Restart(_ context.Context, node string, _ time.Duration) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.restarts = append(rt.restarts, node)
	return nil
}

// fakeRebuilder replaces nodes with what its functions say, recording
// whether the dr.Hold was held each time.
type fakeRebuilder struct {
	hold     *dr.Hold
	postgres func(ctx context.Context, node string, r Replacement) error
	replica  func(ctx context.Context, node, primary string) error

	mu       sync.Mutex
	calls    []string
	holdSeen []string // the hold's reason at each call, "" when not held
}

func (rb *fakeRebuilder) saw(call string) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	rb.calls = append(rb.calls, call)
	reason, _ := rb.hold.Active()
	rb.holdSeen = append(rb.holdSeen, reason)
}

func (rb *fakeRebuilder) ReplacePostgres(ctx context.Context, node string, r Replacement) error {
	rb.saw("postgres " + node)
	if rb.postgres == nil {
		return nil
	}
	return rb.postgres(ctx, node, r)
}

func (rb *fakeRebuilder) ReplaceReplica(ctx context.Context, node, primary string) error {
	rb.saw("replica " + node + " from " + primary)
	if rb.replica == nil {
		return nil
	}
	return rb.replica(ctx, node, primary)
}

func (rb *fakeRebuilder) ReplaceApp(context.Context) error {
	rb.saw("app")
	return nil
}

func (rb *fakeRebuilder) Calls() []string {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return slices.Clone(rb.calls)
}

// fakeApp answers its health check as check says (ok when nil).
type fakeApp struct {
	check func() error
	ready error
}

func (a *fakeApp) WriteAndRead(context.Context) (string, error) {
	if a.check != nil {
		if err := a.check(); err != nil {
			return "", err
		}
	}
	return "wrote and read back w-1", nil
}

func (a *fakeApp) Ready(context.Context) error { return a.ready }

// rig is one drill's environment of fakes. Build it inside a synctest
// bubble: its timeline starts at the bubble's fake now.
type rig struct {
	scn  *scenarios.Scenario
	topo *topology.Topology
	c    *fakeCluster
	rt   *fakeRuntime
	rb   *fakeRebuilder
	app  *fakeApp
	tl   *firedrill.Timeline
	ops  *firedrill.Ledger
	hold *dr.Hold
}

// newRig builds an environment of one region with the given replicas
// (pg-r1, pg-r2, ...), the failover manager off unless the test turns it
// on, rounds every second confirmed after two.
func newRig(replicas int, rec scenarios.Recovery, backups ...string) *rig {
	scn := &scenarios.Scenario{}
	env := &scn.Environment
	env.Regions = []string{"east"}
	env.Postgres.Primary.Region = "east"
	for i := range replicas {
		env.Postgres.Replicas = append(env.Postgres.Replicas, scenarios.Replica{Name: fmt.Sprintf("r%d", i+1), Region: "east"})
	}
	off := false
	scn.DR.Failover = scenarios.Failover{Enabled: &off, CheckInterval: scenarios.Duration{Duration: time.Second},
		CheckTimeout: scenarios.Duration{Duration: time.Second}, FailuresBeforeAction: 2}
	scn.DR.Recovery = rec
	for _, k := range backups {
		scn.DR.Backups = append(scn.DR.Backups, scenarios.Backup{Kind: k, Every: scenarios.Duration{Duration: time.Minute}, Keep: 1})
	}
	topo := topology.New(scn)
	hold := &dr.Hold{}
	c := newFakeCluster(topo)
	c.hold = hold
	return &rig{scn: scn, topo: topo, c: c, rt: newFakeRuntime(topo), rb: &fakeRebuilder{hold: hold}, app: &fakeApp{},
		tl: firedrill.NewTimelineAt(time.Now()), ops: &firedrill.Ledger{}, hold: hold}
}

func (r *rig) deps() Deps {
	return Deps{Scenario: r.scn, Topology: r.topo, Cluster: r.c, Runtime: r.rt, Rebuild: r.rb, App: r.app,
		Timeline: r.tl, Ops: r.ops, JobEnv: map[string]string{"FIREDRILL_DSN": "secret"}, Hold: r.hold}
}

// run runs an engine for d of fake time and returns it.
func (r *rig) run(t *testing.T, d time.Duration) *Engine {
	t.Helper()
	e := New(r.deps())
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// writes adds a client write every 500ms (at x.25s and x.75s, between
// the engine's rounds) from from to to, failing with errText unless ok.
func (r *rig) writes(from, to time.Duration, ok bool, errText string) {
	for at := from + 250*time.Millisecond; at < to; at += 500 * time.Millisecond {
		op := firedrill.Op{Kind: "write", Sent: at, Done: at, Outcome: firedrill.OutcomeOK}
		if !ok {
			op.Outcome, op.Error = firedrill.OutcomeFailed, errText
		}
		time.AfterFunc(at, func() { r.ops.Add(op) })
	}
}

// tableGone is what a client sees after a DROP TABLE.
const tableGone = `ERROR: relation "firedrill_writes" does not exist (SQLSTATE 42P01)`

// events lists the timeline's events of the given kinds (all but the
// faults' when none) as "kind@at+span: detail".
func events(tl *firedrill.Timeline, kinds ...firedrill.EventKind) []string {
	var out []string
	for _, e := range tl.Events() {
		if len(kinds) > 0 && !slices.Contains(kinds, e.Kind) {
			continue
		}
		s := fmt.Sprintf("%s@%s", e.Kind, e.At)
		if e.Span != 0 {
			s += fmt.Sprintf("+%s", e.Span)
		}
		out = append(out, s+": "+e.Detail)
	}
	return out
}

// wantEvents checks that got has the wanted events in order, each given
// as a prefix of "kind@at+span: detail".
func wantEvents(t *testing.T, got []string, want ...string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Errorf("events:\n  %s\nwant (prefixes):\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// reportLine is r as a job prints it.
func reportLine(r jobs.Report) string {
	var b bytes.Buffer
	_ = jobs.Emit(&b, r)
	return strings.TrimSuffix(b.String(), "\n")
}

var planKinds = []firedrill.EventKind{firedrill.EventRecoveryClassified, firedrill.EventRecoveryStep,
	firedrill.EventRecoveryStepFailed, firedrill.EventRecoveryDone}
