//go:build integration

package chaos_test

// The network faults on real containers: each one's effect seen from
// inside the environment by the test's own probes (not the fault's
// evidence), and its revert. One environment serves every subtest; each
// leaves it as it found it.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// netScenario places the primary and the storage in east, the replica
// and the app in west: region.west's traffic to east crosses the WAN.
const netScenario = `apiVersion: firedrill/v1
name: network-faults
environment:
  regions: [east, west]
  postgres:
    primary: {region: east}
    replicas: [{name: replica1, region: west}]
  storage: {region: east}
  app: {region: west}
timeline:
  duration: 30s
`

const replica = "pg-replica1"

type netRig struct {
	env *docker.Env
	ctx context.Context
}

func upNetRig(t *testing.T) *netRig {
	t.Helper()
	env, ctx := upEnvironment(t, "network-faults.yaml", netScenario)
	return &netRig{env: env, ctx: ctx}
}

// fault builds action's fault and the Target of target, resolved now.
func (r *netRig) fault(t *testing.T, action, target string, p scenarios.Params, fences chaos.Fences) (chaos.Fault, chaos.Reverter, *chaos.Target) {
	t.Helper()
	spec, ok := chaos.Lookup(action)
	if !ok {
		t.Fatalf("%s is not registered", action)
	}
	f, err := spec.New(p)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := r.env.Topology.ResolveTarget(r.ctx, r.env.Cluster(), target)
	if err != nil {
		t.Fatal(err)
	}
	if fences == nil {
		fences = r.env.Cluster()
	}
	tg := &chaos.Target{Nodes: nodes, Runtime: r.env, Fences: fences, Topology: r.env.Topology, State: r.env.Cluster(),
		Name: target, Applying: func() {}, Applied: func() {}}
	rev, ok := f.(chaos.Reverter)
	if !ok {
		t.Fatalf("%s cannot be reverted", action)
	}
	return f, rev, tg
}

// inside runs a bash script in node's network namespace and returns its
// output.
func (r *netRig) inside(t *testing.T, node, script string) string {
	t.Helper()
	res, err := r.env.Exec(r.ctx, node, []string{"bash", "-c", script})
	if err != nil {
		t.Fatalf("exec in %s: %v", node, err)
	}
	return res.Output
}

// connect says what a TCP connect from inside from to node's port sees
// within 1s, at node's address on a network both are on: "open",
// "refused" or "silent".
func (r *netRig) connect(t *testing.T, from, node string, port int) string {
	t.Helper()
	addr := r.sharedAddr(t, from, node)
	out := r.inside(t, from, fmt.Sprintf(`out=$(timeout 1 bash -c ': 3<>/dev/tcp/%s/%d' 2>&1); rc=$?
if [ $rc = 0 ]; then echo open; elif [ $rc = 124 ]; then echo silent; else case "$out" in *refused*) echo refused;; *) echo "other $out";; esac; fi`, addr, port))
	return strings.TrimSpace(out)
}

func (r *netRig) sharedAddr(t *testing.T, from, node string) string {
	t.Helper()
	a, err := r.env.Addresses(r.ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.env.Addresses(r.ctx, node)
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

// live asks the app's /livez from the harness, through its endpoint.
func (r *netRig) live(node string) error {
	ep, err := r.env.Endpoint(r.ctx, node, topology.PortApp)
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

// nothingLeft checks that no chain of firedrill's network faults is in
// node's namespace, and no qdisc but the kernel's.
func (r *netRig) nothingLeft(t *testing.T, node string) {
	t.Helper()
	out := r.inside(t, node, "iptables -w -S 2>/dev/null | grep FIREDRILL- || true; tc qdisc show | grep -v ' 0: ' || true")
	if strings.TrimSpace(out) != "" {
		t.Errorf("left in %s: %s", node, out)
	}
}

func mustInject(t *testing.T, f chaos.Fault, tg *chaos.Target, ctx context.Context) string {
	t.Helper()
	ev, err := f.Inject(ctx, tg)
	if err != nil {
		t.Fatalf("inject: %v (evidence %q)", err, ev)
	}
	t.Logf("evidence: %s", ev)
	return ev
}

func mustRevert(t *testing.T, rev chaos.Reverter, tg *chaos.Target, ctx context.Context) {
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

// burstLoss is the share of 200 connects from inside from to node's
// closed port 9 left unanswered within 300 ms: each answer is one reset
// from receives.
func (r *netRig) burstLoss(t *testing.T, from, node string) float64 {
	t.Helper()
	out := r.inside(t, from, fmt.Sprintf(`for i in $(seq 200); do { : 3<>/dev/tcp/%s/9; echo answer; } 2>/dev/null & done; sleep 0.3; kill $(jobs -p) >/dev/null 2>&1; echo done`, r.sharedAddr(t, from, node)))
	if !strings.Contains(out, "done") {
		t.Fatalf("burst did not finish: %s", out)
	}
	return 1 - float64(strings.Count(out, "answer"))/200
}

func TestIntegrationNetworkFaults(t *testing.T) {
	r := upNetRig(t)
	app, primary, storage := topology.NodeApp, topology.NodePrimary, topology.NodeStorage

	t.Run("partition", func(t *testing.T) {
		f, rev, tg := r.fault(t, scenarios.ActionPartition, scenarios.TargetApp, scenarios.Params{}, nil)
		if got := r.connect(t, app, primary, 5432); got != "open" {
			t.Fatalf("before: app -> primary %s", got)
		}
		mustInject(t, f, tg, r.ctx)
		if got := r.connect(t, app, primary, 5432); got != "silent" {
			t.Errorf("during: app -> primary %s, want silent", got)
		}
		if got := r.connect(t, primary, app, 8080); got != "silent" {
			t.Errorf("during: primary -> app %s, want silent (both ways)", got)
		}
		if got := r.connect(t, replica, primary, 5432); got != "open" {
			t.Errorf("during: replica -> primary %s: a node outside the partition was cut", got)
		}
		// The harness's management path is not cut: it reaches the app.
		if err := r.live(app); err != nil {
			t.Errorf("during: the harness cannot reach the app: %v", err)
		}
		mustRevert(t, rev, tg, r.ctx)
		if got := r.connect(t, app, primary, 5432); got != "open" {
			t.Errorf("after: app -> primary %s", got)
		}
		r.nothingLeft(t, app)
	})

	t.Run("partition one way", func(t *testing.T) {
		oneWay := true
		f, rev, tg := r.fault(t, scenarios.ActionPartition, scenarios.TargetApp, scenarios.Params{To: []string{scenarios.TargetPrimary}, OneWay: &oneWay}, nil)
		mustInject(t, f, tg, r.ctx)
		if got := r.connect(t, app, primary, 5432); got != "silent" {
			t.Errorf("during: app -> primary %s, want silent", got)
		}
		// What app sends to others than to flows.
		if got := r.connect(t, app, replica, 5432); got != "open" {
			t.Errorf("during: app -> replica %s: not on the other side", got)
		}
		// What the primary sends still arrives: only the target's output
		// is cut (a handshake fails anyway: the app's answers are dropped).
		jumps := r.inside(t, app, "iptables -w -S INPUT 2>/dev/null | grep -c FIREDRILL- || true; iptables -w -S OUTPUT 2>/dev/null | grep -c FIREDRILL- || true")
		if strings.Fields(jumps)[0] != "0" || strings.Fields(jumps)[1] != "1" {
			t.Errorf("one way: jumps INPUT/OUTPUT %q, want 0 and 1", jumps)
		}
		mustRevert(t, rev, tg, r.ctx)
		r.nothingLeft(t, app)
	})

	t.Run("partition of a region", func(t *testing.T) {
		f, rev, tg := r.fault(t, scenarios.ActionPartition, "region.east", scenarios.Params{}, nil)
		mustInject(t, f, tg, r.ctx)
		if got := r.connect(t, primary, replica, 5432); got != "silent" {
			t.Errorf("during: primary -> replica (west) %s, want silent", got)
		}
		if got := r.connect(t, primary, storage, 9000); got != "open" {
			t.Errorf("during: primary -> minio (both east) %s: traffic within the region was cut", got)
		}
		mustRevert(t, rev, tg, r.ctx)
		if got := r.connect(t, primary, replica, 5432); got != "open" {
			t.Errorf("after: primary -> replica %s", got)
		}
		r.nothingLeft(t, primary)
		r.nothingLeft(t, storage)
	})

	t.Run("loss", func(t *testing.T) {
		if l := r.burstLoss(t, app, primary); l > 0.02 {
			t.Fatalf("before: %.0f%% lost with no fault", 100*l)
		}
		pc := 50.0
		f, rev, tg := r.fault(t, scenarios.ActionLoss, scenarios.TargetApp, scenarios.Params{Percent: &pc}, nil)
		ev := mustInject(t, f, tg, r.ctx)
		if !strings.Contains(ev, "unanswered") {
			t.Errorf("no measured burst in the evidence: %s", ev)
		}
		// 200 draws at 50%: outside 35-65% has a probability below 1e-5.
		if l := r.burstLoss(t, app, primary); l < 0.35 || l > 0.65 {
			t.Errorf("during: %.0f%% of the resets app receives lost, want about 50%%", 100*l)
		}
		mustRevert(t, rev, tg, r.ctx)
		if l := r.burstLoss(t, app, primary); l > 0.02 {
			t.Errorf("after: %.0f%% lost", 100*l)
		}
		r.nothingLeft(t, app)
	})

	t.Run("loss of a region", func(t *testing.T) {
		pc := 50.0
		f, rev, tg := r.fault(t, scenarios.ActionLoss, "region.west", scenarios.Params{Percent: &pc}, nil)
		mustInject(t, f, tg, r.ctx)
		if l := r.burstLoss(t, app, primary); l < 0.35 || l > 0.65 {
			t.Errorf("during: %.0f%% of what app receives from east lost, want about 50%%", 100*l)
		}
		if l := r.burstLoss(t, app, replica); l > 0.02 {
			t.Errorf("during: %.0f%% of what app receives from the replica (both west) lost", 100*l)
		}
		mustRevert(t, rev, tg, r.ctx)
		r.nothingLeft(t, app)
		r.nothingLeft(t, replica)
	})

	t.Run("bandwidth", func(t *testing.T) {
		const rate = 4e6 // bits per second
		// WAL streamed from the primary to the replica: what the cap on
		// the primary's sending slows down.
		stream := func() (bits float64, took time.Duration) {
			t.Helper()
			c := r.env.Cluster()
			if err := c.Exec(r.ctx, primary, "CREATE TABLE IF NOT EXISTS itest_bw (v text)"); err != nil {
				t.Fatal(err)
			}
			start, err := c.QueryInt(r.ctx, primary, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
			if err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			// About 2 MB of WAL: 4 s at the cap.
			if err := c.Exec(r.ctx, primary, "INSERT INTO itest_bw SELECT md5(random()::text) || md5(random()::text) FROM generate_series(1, 16000)"); err != nil {
				t.Fatal(err)
			}
			end, err := c.QueryInt(r.ctx, primary, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(time.Minute)
			for {
				got, err := c.ReceivedLSN(r.ctx, replica)
				if err == nil && int64(got) >= end {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the replica did not receive the WAL within a minute (%d of %d)", got, end)
				}
				time.Sleep(20 * time.Millisecond)
			}
			return float64(end-start) * 8, time.Since(began)
		}
		f, rev, tg := r.fault(t, scenarios.ActionBandwidth, scenarios.TargetPrimary, scenarios.Params{Rate: "4mbit"}, nil)
		mustInject(t, f, tg, r.ctx)
		bits, took := stream()
		capped := bits / took.Seconds()
		t.Logf("capped: %.0f bits of WAL in %s: %.2f Mbit/s", bits, took, capped/1e6)
		if bits < 2*rate {
			t.Fatalf("only %.0f bits of WAL: too little to show a cap of %.0f bit/s", bits, rate)
		}
		if capped > 1.3*rate {
			t.Errorf("the WAL streamed at %.2f Mbit/s through a cap of 4mbit", capped/1e6)
		}
		mustRevert(t, rev, tg, r.ctx)
		bits, took = stream()
		free := bits / took.Seconds()
		t.Logf("after: %.2f Mbit/s", free/1e6)
		if free < 3*capped {
			t.Errorf("after the revert the WAL streams at %.2f Mbit/s, not much above the capped %.2f", free/1e6, capped/1e6)
		}
		r.nothingLeft(t, primary)
	})

	t.Run("bandwidth refuses a qdisc of someone else", func(t *testing.T) {
		r.inside(t, app, "tc qdisc add dev eth0 root handle 77: tbf rate 100mbit burst 32kb latency 50ms")
		defer r.inside(t, app, "tc qdisc del dev eth0 root handle 77:")
		f, rev, tg := r.fault(t, scenarios.ActionBandwidth, scenarios.TargetApp, scenarios.Params{Rate: "1mbit"}, nil)
		ev, err := f.Inject(r.ctx, tg)
		if err == nil || !strings.Contains(err.Error(), "someone else") {
			t.Errorf("inject over another qdisc: %v (evidence %q)", err, ev)
		}
		if _, err := rev.Revert(r.ctx, tg); err != nil {
			t.Errorf("revert after a refused inject: %v", err)
		}
		if out := r.inside(t, app, "tc qdisc show dev eth0 root"); !strings.Contains(out, "tbf 77:") {
			t.Errorf("the other qdisc was touched: %s", out)
		}
	})

	t.Run("s3-outage", func(t *testing.T) {
		list := func() error {
			c, err := r.env.S3(r.ctx)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(r.ctx, 2*time.Second)
			defer cancel()
			_, err = c.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}
		if err := list(); err != nil {
			t.Fatalf("before: %v", err)
		}
		f, rev, tg := r.fault(t, scenarios.ActionS3Outage, scenarios.TargetStorage, scenarios.Params{}, nil)
		mustInject(t, f, tg, r.ctx)
		if got := r.connect(t, app, storage, 9000); got != "refused" {
			t.Errorf("during: app -> minio:9000 %s, want refused", got)
		}
		if err := list(); err == nil {
			t.Error("during: the harness's S3 client listed the buckets")
		}
		mustRevert(t, rev, tg, r.ctx)
		if err := list(); err != nil {
			t.Errorf("after: %v", err)
		}
		r.nothingLeft(t, storage)
	})

	t.Run("region-drop", func(t *testing.T) {
		f, rev, tg := r.fault(t, scenarios.ActionRegionDrop, "region.west", scenarios.Params{}, nil)
		mustInject(t, f, tg, r.ctx)
		for _, n := range []string{replica, app} {
			if nets, err := r.env.Networks(r.ctx, n); err != nil || len(nets) > 0 {
				t.Errorf("during: %s on %v (%v)", n, nets, err)
			}
			if out := r.inside(t, n, "ip -o -4 addr show | grep -v ' lo ' || true; ip -4 route show"); strings.TrimSpace(out) != "" {
				t.Errorf("during: %s has, from inside: %s", n, out)
			}
		}
		if got := r.connect(t, primary, storage, 9000); got != "open" {
			t.Errorf("during: east's own traffic cut: %s", got)
		}
		mustRevert(t, rev, tg, r.ctx)
		if got := r.connect(t, app, primary, 5432); got != "open" {
			t.Errorf("after: app -> primary %s", got)
		}
		// The replica streams again (its WAL receiver reconnects).
		deadline := time.Now().Add(30 * time.Second)
		for {
			n, err := r.env.Cluster().QueryInt(r.ctx, primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
			if err == nil && n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the replica does not stream again: %d, %v", n, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("region-drop leaves a fenced node cut off", func(t *testing.T) {
		fenced := fences{replica: "disconnect"}
		f, rev, tg := r.fault(t, scenarios.ActionRegionDrop, "region.west", scenarios.Params{}, fenced)
		mustInject(t, f, tg, r.ctx)
		ev, err := rev.Revert(r.ctx, tg)
		if err != nil || !strings.Contains(ev, replica+" left cut off: fenced") {
			t.Errorf("revert: %q, %v", ev, err)
		}
		if nets, _ := r.env.Networks(r.ctx, replica); len(nets) > 0 {
			t.Errorf("the fenced %s is back on %v", replica, nets)
		}
		if nets, _ := r.env.Networks(r.ctx, app); len(nets) != 2 {
			t.Errorf("the app is on %v after the revert, want its two networks", nets)
		}
		// Put the replica back for whatever runs next.
		for _, net := range []string{"west", topology.WAN} {
			if err := r.env.Connect(r.ctx, replica, net); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// fences is a chaos.Fences the test sets: node -> method.
type fences map[string]string

func (f fences) Fenced(node string) (string, bool) {
	m, ok := f[node]
	return m, ok
}
