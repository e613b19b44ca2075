//go:build integration

package latency_test

// The latency on real containers (the network faults' environment,
// chaostest.NetScenario: the primary and the storage in east, the
// replica and the app in west), measured by the test's own probes, not
// the fault's evidence: from the harness, Postgres round trips to a
// delayed node; from inside a node of a delayed region, TCP connects to a
// node across the WAN and to one in its own region. Then the revert: the
// round trips as before, no chain, no queue, no qdisc left.

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/chaos/internal/chaostest"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/internal/itest"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// latencyRig is the network faults' rig with the latency's own probes.
type latencyRig struct{ *chaostest.NetRig }

func latencyParams(delay, jitter time.Duration) scenarios.Params {
	return scenarios.Params{Delay: &scenarios.Duration{Duration: delay}, Jitter: &scenarios.Duration{Duration: jitter}}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// queryRTT is the median of 7 `SELECT 1` round trips from the harness to
// node, on one connection (the simple protocol: one round trip each).
func (r *latencyRig) queryRTT(t *testing.T, node string) time.Duration {
	t.Helper()
	dsn, err := r.Env.Cluster().DSN(r.Ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(r.Ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", node, err)
	}
	defer conn.Close(r.Ctx)
	var rtts []time.Duration
	for range 7 {
		start := time.Now()
		if _, err := conn.Exec(r.Ctx, "SELECT 1"); err != nil {
			t.Fatalf("SELECT 1 on %s: %v", node, err)
		}
		rtts = append(rtts, time.Since(start))
	}
	return median(rtts)
}

// connectRTT is the median of 5 TCP connects from inside from to node's
// Postgres port, timed by bash in a sidecar with its own clock
// ($EPOCHREALTIME: nothing is forked between the two readings).
func (r *latencyRig) connectRTT(t *testing.T, from, node string) time.Duration {
	t.Helper()
	out := r.Inside(t, from, fmt.Sprintf(`timeout 10 bash -c 'for i in 1 2 3 4 5; do s=$EPOCHREALTIME; exec 3<>/dev/tcp/%s/5432; e=$EPOCHREALTIME; exec 3>&-; echo "rtt $(( ${e/./} - ${s/./} ))"; done'`,
		r.SharedAddr(t, from, node)))
	var rtts []time.Duration
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "rtt "); ok {
			us, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("connect timing %q: %v", l, err)
			}
			rtts = append(rtts, time.Duration(us)*time.Microsecond)
		}
	}
	if len(rtts) != 5 {
		t.Fatalf("connects from %s to %s: %q", from, node, out)
	}
	return median(rtts)
}

// noQueue checks that no NFQUEUE queue is bound in node's namespace.
func (r *latencyRig) noQueue(t *testing.T, node string) {
	t.Helper()
	if out := strings.TrimSpace(r.Inside(t, node, "cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null || true")); out != "" {
		t.Errorf("a queue is still bound in %s: %s", node, out)
	}
}

func TestIntegrationLatency(t *testing.T) {
	r := &latencyRig{chaostest.UpNetRig(t)}
	primary, app := topology.NodePrimary, topology.NodeApp

	// A service: everything pg-primary sends is held 100 ms, its answers
	// to the harness among them.
	t.Run("service", func(t *testing.T) {
		const delay = 100 * time.Millisecond
		before := r.queryRTT(t, primary)
		f, rev, tg := r.Fault(t, scenarios.ActionLatency, scenarios.TargetPrimary, latencyParams(delay, 0), nil)
		tg.Name = scenarios.TargetPrimary
		ev := chaostest.MustInject(t, f, tg, r.Ctx)
		if !strings.Contains(ev, "mechanism: ") || !strings.Contains(ev, "pg-primary -> ") || !strings.Contains(ev, "(asked 100ms ± 0s)") {
			t.Errorf("evidence %q: want the mechanism and the round trip measured from pg-primary", ev)
		}
		during := r.queryRTT(t, primary)
		rv, err := rev.Revert(r.Ctx, tg)
		if err != nil {
			t.Fatalf("revert: %v (evidence %q)", err, rv)
		}
		t.Logf("revert evidence: %s", rv)
		if !strings.Contains(rv, "packets delayed") || !strings.Contains(rv, "after") {
			t.Errorf("revert evidence %q: want the packets delayed and the round trip after", rv)
		}
		after := r.queryRTT(t, primary)
		t.Logf("SELECT 1 from the harness to pg-primary: %s before, %s during, %s after (asked %s)", before, during, after, delay)
		if during-before < delay/2 {
			t.Errorf("the round trip grew by %s during a latency of %s", during-before, delay)
		}
		if after-before > delay/4 {
			t.Errorf("the round trip is %s after the revert, %s before: the delay is still there", after, before)
		}
		if again, err := rev.Revert(r.Ctx, tg); err != nil || again != "nothing left to undo" {
			t.Errorf("a second revert: %q, %v", again, err)
		}
		r.NothingLeft(t, primary)
		r.noQueue(t, primary)
	})

	// A region: west's packets to east (across the WAN) are held, its
	// packets within west are not; the harness is no node of another
	// region, so what the replica answers it is not held either.
	t.Run("region", func(t *testing.T) {
		const delay, jitter = 60 * time.Millisecond, 10 * time.Millisecond
		crossBefore, withinBefore := r.connectRTT(t, app, primary), r.connectRTT(t, app, chaostest.Replica)
		f, rev, tg := r.Fault(t, scenarios.ActionLatency, "region.west", latencyParams(delay, jitter), nil)
		tg.Name = "region.west"
		ev := chaostest.MustInject(t, f, tg, r.Ctx)
		if !strings.Contains(ev, "region west (pg-replica1, app) delays the packets it sends to the nodes outside it") {
			t.Errorf("evidence %q: want the region's packets to the other region delayed", ev)
		}
		cross, within := r.connectRTT(t, app, primary), r.connectRTT(t, app, chaostest.Replica)
		harness := r.queryRTT(t, chaostest.Replica)
		chaostest.MustRevert(t, rev, tg, r.Ctx)
		crossAfter := r.connectRTT(t, app, primary)
		t.Logf("app -> pg-primary (across): %s before, %s during, %s after; app -> pg-replica1 (within): %s before, %s during; harness -> pg-replica1 %s during",
			crossBefore, cross, crossAfter, withinBefore, within, harness)
		if cross-crossBefore < (delay-jitter)/2 {
			t.Errorf("across the WAN the round trip grew by %s, asked %s ± %s", cross-crossBefore, delay, jitter)
		}
		if within-withinBefore > (delay-jitter)/2 {
			t.Errorf("within the region the round trip grew by %s: only the WAN is slow", within-withinBefore)
		}
		if harness > (delay-jitter)/2 {
			t.Errorf("the harness's round trip to pg-replica1 is %s: the harness is no node of another region", harness)
		}
		if crossAfter-crossBefore > (delay-jitter)/2 {
			t.Errorf("across the WAN the round trip is %s after the revert, %s before", crossAfter, crossBefore)
		}
		for _, n := range []string{chaostest.Replica, app} {
			r.NothingLeft(t, n)
			r.noQueue(t, n)
		}
	})
}

// BenchmarkLatencyDelayer measures what the latency does on this kernel
// (docs/benchmarks.md, "Latency without netem"): the delay added to a
// round trip against the one asked, at 20 ms and 100 ms (SELECT 1 from
// the harness to a delayed primary, median of 7), and what the delayer
// costs a bulk transfer: COPY of 200 MB out of the primary with no fault
// and behind a latency of 1 ms, in MB/s, with the packets the delayer
// held per second.
//
//	go test -tags integration -run '^$' -bench LatencyDelayer -benchtime 1x ./chaos/
func BenchmarkLatencyDelayer(b *testing.B) {
	bin, err := itest.BuildFiredrill(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	cli, err := itest.Docker()
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	scn, err := scenarios.LoadBytes("network-faults.yaml", []byte(chaostest.NetScenario))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	env, err := docker.Up(ctx, cli, images.NewImages(cli, images.WithAppBinary(bin), images.WithProgress(os.Stderr)), scn)
	if env != nil {
		defer env.Down(context.Background())
	}
	if err != nil {
		b.Fatal(err)
	}
	cluster := env.Cluster()
	conn := func() *pgx.Conn {
		dsn, err := cluster.DSN(ctx, topology.NodePrimary)
		if err != nil {
			b.Fatal(err)
		}
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	rtt := func() time.Duration {
		c := conn()
		defer c.Close(ctx)
		var rtts []time.Duration
		for range 7 {
			start := time.Now()
			if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
				b.Fatal(err)
			}
			rtts = append(rtts, time.Since(start))
		}
		return median(rtts)
	}
	const copyBytes = 200e6
	bulk := func() float64 {
		c := conn()
		defer c.Close(ctx)
		start := time.Now()
		if _, err := c.PgConn().CopyTo(ctx, io.Discard, "COPY (SELECT repeat('x', 999) FROM generate_series(1, 200000)) TO STDOUT"); err != nil {
			b.Fatal(err)
		}
		return copyBytes / 1e6 / time.Since(start).Seconds()
	}
	latency := func(delay time.Duration, during func()) (ev, revert string) {
		spec, _ := chaos.Lookup(scenarios.ActionLatency)
		f, err := spec.New(latencyParams(delay, 0))
		if err != nil {
			b.Fatal(err)
		}
		nodes, err := env.Topology.ResolveTarget(ctx, cluster, scenarios.TargetPrimary)
		if err != nil {
			b.Fatal(err)
		}
		tg := &chaos.Target{Nodes: nodes, Runtime: env, Fences: cluster, Topology: env.Topology, State: cluster,
			Name: scenarios.TargetPrimary, Applying: func() {}}
		ev, err = f.Inject(ctx, tg)
		if err != nil {
			f.(chaos.Reverter).Revert(ctx, tg)
			b.Fatalf("inject: %v", err)
		}
		during()
		revert, err = f.(chaos.Reverter).Revert(ctx, tg)
		if err != nil {
			b.Fatalf("revert: %v", err)
		}
		return ev, revert
	}
	for _, delay := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
		before := rtt()
		var during time.Duration
		ev, _ := latency(delay, func() { during = rtt() })
		added := during - before
		b.Logf("asked %s: SELECT 1 round trip %s before, %s during: %s added (%+.1f%%); evidence: %s",
			delay, before, during, added, 100*(float64(added)-float64(delay))/float64(delay), ev)
		b.ReportMetric(float64(added)/float64(time.Millisecond), fmt.Sprintf("added-ms-at-%dms", delay.Milliseconds()))
	}
	bulk() // warm the server's caches
	plain := bulk()
	var delayed float64
	var took time.Duration
	_, revert := latency(time.Millisecond, func() {
		start := time.Now()
		delayed = bulk()
		took = time.Since(start)
	})
	packets := 0.0
	if m := regexp.MustCompile(`(\d+) packets delayed`).FindStringSubmatch(revert); m != nil {
		packets, _ = strconv.ParseFloat(m[1], 64)
	}
	b.Logf("COPY of 200 MB: %.0f MB/s without a fault, %.0f MB/s behind a 1ms latency (%.0f%%); %.0f packets held, about %.0f per second while the copy ran; revert: %s",
		plain, delayed, 100*delayed/plain, packets, packets/took.Seconds(), revert)
	b.ReportMetric(plain, "MB/s-plain")
	b.ReportMetric(delayed, "MB/s-delayed")
}
