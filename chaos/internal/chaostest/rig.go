//go:build integration

package chaostest

// The rig of the fault packages' integration tests: one environment up on
// Docker, built with this tree's firedrill, and a fault on it as the
// Injector would build it, with the probes the tests look from inside the
// environment with (not the faults' evidence).

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/internal/itest"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// UpEnvironment builds the environment of a scenario text with this
// tree's firedrill, and removes it (checking nothing is left) when the
// test ends.
func UpEnvironment(t *testing.T, name, text string) (*docker.Env, context.Context) {
	t.Helper()
	bin, err := itest.BuildFiredrill(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cli, err := itest.Docker()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	scn, err := scenarios.LoadBytes(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	t.Cleanup(cancel)
	imgs := images.NewImages(cli, images.WithAppBinary(bin), images.WithProgress(os.Stderr))
	env, err := docker.Up(ctx, cli, imgs, scn, docker.WithRunProgress(os.Stderr))
	if env != nil {
		t.Cleanup(func() {
			if err := env.Down(context.Background()); err != nil {
				t.Errorf("down: %v", err)
			}
			left, err := itest.Leftovers(context.Background(), cli, env.RunID)
			if err != nil || len(left) > 0 {
				t.Errorf("left behind: %v %v", left, err)
			}
		})
	}
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	return env, ctx
}

// Replica is NetScenario's replica.
const Replica = "pg-replica1"

// NetRig is an environment up for the integration tests of the faults.
type NetRig struct {
	Env *docker.Env
	Ctx context.Context
}

// UpNetRig brings NetScenario's environment up for the test.
func UpNetRig(t *testing.T) *NetRig {
	t.Helper()
	env, ctx := UpEnvironment(t, "network-faults.yaml", NetScenario)
	return &NetRig{Env: env, Ctx: ctx}
}

// Fault builds action's fault and the Target of target, resolved now.
func (r *NetRig) Fault(t *testing.T, action, target string, p scenarios.Params, fences chaos.Fences) (chaos.Fault, chaos.Reverter, *chaos.Target) {
	t.Helper()
	f := NewFault(t, action, p)
	nodes, err := r.Env.Topology.ResolveTarget(r.Ctx, r.Env.Cluster(), target)
	if err != nil {
		t.Fatal(err)
	}
	if fences == nil {
		fences = r.Env.Cluster()
	}
	tg := &chaos.Target{Nodes: nodes, Runtime: r.Env, Fences: fences, Topology: r.Env.Topology, State: r.Env.Cluster(),
		Name: target, Applying: func() {}, Applied: func() {}}
	rev, ok := f.(chaos.Reverter)
	if !ok {
		t.Fatalf("%s cannot be reverted", action)
	}
	return f, rev, tg
}

// Inside runs a bash script in node's network namespace and returns its
// output.
func (r *NetRig) Inside(t *testing.T, node, script string) string {
	t.Helper()
	res, err := r.Env.Exec(r.Ctx, node, []string{"bash", "-c", script})
	if err != nil {
		t.Fatalf("exec in %s: %v", node, err)
	}
	return res.Output
}

// Connect says what a TCP connect from inside from to node's port sees
// within 1s, at node's address on a network both are on: "open",
// "refused" or "silent".
func (r *NetRig) Connect(t *testing.T, from, node string, port int) string {
	t.Helper()
	addr := r.SharedAddr(t, from, node)
	out := r.Inside(t, from, fmt.Sprintf(`out=$(timeout 1 bash -c ': 3<>/dev/tcp/%s/%d' 2>&1); rc=$?
if [ $rc = 0 ]; then echo open; elif [ $rc = 124 ]; then echo silent; else case "$out" in *refused*) echo refused;; *) echo "other $out";; esac; fi`, addr, port))
	return strings.TrimSpace(out)
}

// SharedAddr is node's address on a network from is on too.
func (r *NetRig) SharedAddr(t *testing.T, from, node string) string {
	t.Helper()
	a, err := r.Env.Addresses(r.Ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Env.Addresses(r.Ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	for _, net := range []string{"east", "west", topology.WAN} {
		if _, ok := a[net]; ok {
			if addr, ok := b[net]; ok {
				return addr.String()
			}
		}
	}
	t.Fatalf("%s and %s share no network: %v %v", from, node, a, b)
	return ""
}

// Live asks the app's /livez from the harness, through its endpoint.
func (r *NetRig) Live(node string) error {
	ep, err := r.Env.Endpoint(r.Ctx, node, topology.PortApp)
	if err != nil {
		return err
	}
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + ep + "/livez")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/livez: %s", resp.Status)
	}
	return nil
}

// NothingLeft checks that no chain of firedrill's network faults is in
// node's namespace, and no qdisc but the kernel's.
func (r *NetRig) NothingLeft(t *testing.T, node string) {
	t.Helper()
	out := r.Inside(t, node, "iptables -w -S 2>/dev/null | grep FIREDRILL- || true; tc qdisc show | grep -v ' 0: ' || true")
	if strings.TrimSpace(out) != "" {
		t.Errorf("left in %s: %s", node, out)
	}
}

// MustInject injects f on tg and returns its evidence; the test stops
// if it fails.
func MustInject(t *testing.T, f chaos.Fault, tg *chaos.Target, ctx context.Context) string {
	t.Helper()
	ev, err := f.Inject(ctx, tg)
	if err != nil {
		t.Fatalf("inject: %v (evidence %q)", err, ev)
	}
	t.Logf("evidence: %s", ev)
	return ev
}

// MustRevert reverts rev on tg; the test stops if it fails.
func MustRevert(t *testing.T, rev chaos.Reverter, tg *chaos.Target, ctx context.Context) {
	t.Helper()
	ev, err := rev.Revert(ctx, tg)
	if err != nil {
		t.Fatalf("revert: %v (evidence %q)", err, ev)
	}
	t.Logf("revert evidence: %s", ev)
	if again, err := rev.Revert(ctx, tg); err != nil || again != "nothing left to undo" {
		t.Errorf("a second revert: %q, %v", again, err)
	}
}

// BurstLoss is the share of 200 connects from inside from to node's
// closed port 9 left unanswered within 300 ms: each answer is one reset
// from receives.
func (r *NetRig) BurstLoss(t *testing.T, from, node string) float64 {
	t.Helper()
	out := r.Inside(t, from, fmt.Sprintf(`for i in $(seq 200); do { : 3<>/dev/tcp/%s/9; echo answer; } 2>/dev/null & done; sleep 0.3; kill $(jobs -p) >/dev/null 2>&1; echo done`, r.SharedAddr(t, from, node)))
	if !strings.Contains(out, "done") {
		t.Fatalf("burst did not finish: %s", out)
	}
	return 1 - float64(strings.Count(out, "answer"))/200
}
