//go:build integration

package netfault_test

// The network faults on real containers: each one's effect seen from
// inside the environment by the test's own probes (not the fault's
// evidence), and its revert. One environment serves every subtest; each
// leaves it as it found it.

import (
	"context"
	"maps"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/firedrill/firedrill/chaos/internal/chaostest"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func TestIntegrationNetworkFaults(t *testing.T) {
	r := chaostest.UpNetRig(t)
	app, primary, storage := topology.NodeApp, topology.NodePrimary, topology.NodeStorage

	t.Run("partition", func(t *testing.T) {
		f, rev, tg := r.Fault(t, scenarios.ActionPartition, scenarios.TargetApp, scenarios.Params{}, nil)
		if got := r.Connect(t, app, primary, 5432); got != "open" {
			t.Fatalf("before: app -> primary %s", got)
		}
		chaostest.MustInject(t, f, tg, r.Ctx)
		if got := r.Connect(t, app, primary, 5432); got != "silent" {
			t.Errorf("during: app -> primary %s, want silent", got)
		}
		if got := r.Connect(t, primary, app, 8080); got != "silent" {
			t.Errorf("during: primary -> app %s, want silent (both ways)", got)
		}
		if got := r.Connect(t, chaostest.Replica, primary, 5432); got != "open" {
			t.Errorf("during: replica -> primary %s: a node outside the partition was cut", got)
		}
		// The harness's management path is not cut: it reaches the app.
		if err := r.Live(app); err != nil {
			t.Errorf("during: the harness cannot reach the app: %v", err)
		}
		chaostest.MustRevert(t, rev, tg, r.Ctx)
		if got := r.Connect(t, app, primary, 5432); got != "open" {
			t.Errorf("after: app -> primary %s", got)
		}
		r.NothingLeft(t, app)
	})

	t.Run("partition one way", func(t *testing.T) {
		oneWay := true
		f, rev, tg := r.Fault(t, scenarios.ActionPartition, scenarios.TargetApp, scenarios.Params{To: []string{scenarios.TargetPrimary}, OneWay: &oneWay}, nil)
		chaostest.MustInject(t, f, tg, r.Ctx)
		if got := r.Connect(t, app, primary, 5432); got != "silent" {
			t.Errorf("during: app -> primary %s, want silent", got)
		}
		// What app sends to others than to flows.
		if got := r.Connect(t, app, chaostest.Replica, 5432); got != "open" {
			t.Errorf("during: app -> replica %s: not on the other side", got)
		}
		// What the primary sends still arrives: only the target's output
		// is cut (a handshake fails anyway: the app's answers are dropped).
		jumps := r.Inside(t, app, "iptables -w -S INPUT 2>/dev/null | grep -c FIREDRILL- || true; iptables -w -S OUTPUT 2>/dev/null | grep -c FIREDRILL- || true")
		if strings.Fields(jumps)[0] != "0" || strings.Fields(jumps)[1] != "1" {
			t.Errorf("one way: jumps INPUT/OUTPUT %q, want 0 and 1", jumps)
		}
		chaostest.MustRevert(t, rev, tg, r.Ctx)
		r.NothingLeft(t, app)
	})

	t.Run("partition of a region", func(t *testing.T) {
		f, rev, tg := r.Fault(t, scenarios.ActionPartition, "region.east", scenarios.Params{}, nil)
		chaostest.MustInject(t, f, tg, r.Ctx)
		if got := r.Connect(t, primary, chaostest.Replica, 5432); got != "silent" {
			t.Errorf("during: primary -> replica (west) %s, want silent", got)
		}
		if got := r.Connect(t, primary, storage, 9000); got != "open" {
			t.Errorf("during: primary -> minio (both east) %s: traffic within the region was cut", got)
		}
		chaostest.MustRevert(t, rev, tg, r.Ctx)
		if got := r.Connect(t, primary, chaostest.Replica, 5432); got != "open" {
			t.Errorf("after: primary -> replica %s", got)
		}
		r.NothingLeft(t, primary)
		r.NothingLeft(t, storage)
	})

	t.Run("loss", func(t *testing.T) {
		if l := r.BurstLoss(t, app, primary); l > 0.02 {
			t.Fatalf("before: %.0f%% lost with no fault", 100*l)
		}
		pc := 50.0
		f, rev, tg := r.Fault(t, scenarios.ActionLoss, scenarios.TargetApp, scenarios.Params{Percent: &pc}, nil)
		ev := chaostest.MustInject(t, f, tg, r.Ctx)
		if !strings.Contains(ev, "unanswered") {
			t.Errorf("no measured burst in the evidence: %s", ev)
		}
		// 200 draws at 50%: outside 35-65% has a probability below 1e-5.
		if l := r.BurstLoss(t, app, primary); l < 0.35 || l > 0.65 {
			t.Errorf("during: %.0f%% of the resets app receives lost, want about 50%%", 100*l)
		}
		chaostest.MustRevert(t, rev, tg, r.Ctx)
		if l := r.BurstLoss(t, app, primary); l > 0.02 {
			t.Errorf("after: %.0f%% lost", 100*l)
		}
		r.NothingLeft(t, app)
	})

	t.Run("loss of a region", func(t *testing.T) {
		pc := 50.0
		f, rev, tg := r.Fault(t, scenarios.ActionLoss, "region.west", scenarios.Params{Percent: &pc}, nil)
		chaostest.MustInject(t, f, tg, r.Ctx)
		if l := r.BurstLoss(t, app, primary); l < 0.35 || l > 0.65 {
			t.Errorf("during: %.0f%% of what app receives from east lost, want about 50%%", 100*l)
		}
		if l := r.BurstLoss(t, app, chaostest.Replica); l > 0.02 {
			t.Errorf("during: %.0f%% of what app receives from the replica (both west) lost", 100*l)
		}
		chaostest.MustRevert(t, rev, tg, r.Ctx)
		r.NothingLeft(t, app)
		r.NothingLeft(t, chaostest.Replica)
	})

	t.Run("bandwidth", func(t *testing.T) {
		const rate = 4e6 // bits per second
		// WAL streamed from the primary to the replica: what the cap on
		// the primary's sending slows down.
		stream := func() (bits float64, took time.Duration) {
			t.Helper()
			c := r.Env.Cluster()
			if err := c.Exec(r.Ctx, primary, "CREATE TABLE IF NOT EXISTS itest_bw (v text)"); err != nil {
				t.Fatal(err)
			}
			start, err := c.QueryInt(r.Ctx, primary, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
			if err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			// About 2 MB of WAL: 4 s at the cap.
			if err := c.Exec(r.Ctx, primary, "INSERT INTO itest_bw SELECT md5(random()::text) || md5(random()::text) FROM generate_series(1, 16000)"); err != nil {
				t.Fatal(err)
			}
			end, err := c.QueryInt(r.Ctx, primary, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(time.Minute)
			for {
				got, err := c.ReceivedLSN(r.Ctx, chaostest.Replica)
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
		f, rev, tg := r.Fault(t, scenarios.ActionBandwidth, scenarios.TargetPrimary, scenarios.Params{Rate: "4mbit"}, nil)
		chaostest.MustInject(t, f, tg, r.Ctx)
		bits, took := stream()
		capped := bits / took.Seconds()
		t.Logf("capped: %.0f bits of WAL in %s: %.2f Mbit/s", bits, took, capped/1e6)
		if bits < 2*rate {
			t.Fatalf("only %.0f bits of WAL: too little to show a cap of %.0f bit/s", bits, rate)
		}
		if capped > 1.3*rate {
			t.Errorf("the WAL streamed at %.2f Mbit/s through a cap of 4mbit", capped/1e6)
		}
		chaostest.MustRevert(t, rev, tg, r.Ctx)
		bits, took = stream()
		free := bits / took.Seconds()
		t.Logf("after: %.2f Mbit/s", free/1e6)
		if free < 3*capped {
			t.Errorf("after the revert the WAL streams at %.2f Mbit/s, not much above the capped %.2f", free/1e6, capped/1e6)
		}
		r.NothingLeft(t, primary)
	})

	t.Run("bandwidth refuses a qdisc of someone else", func(t *testing.T) {
		r.Inside(t, app, "tc qdisc add dev eth0 root handle 77: tbf rate 100mbit burst 32kb latency 50ms")
		defer r.Inside(t, app, "tc qdisc del dev eth0 root handle 77:")
		f, rev, tg := r.Fault(t, scenarios.ActionBandwidth, scenarios.TargetApp, scenarios.Params{Rate: "1mbit"}, nil)
		ev, err := f.Inject(r.Ctx, tg)
		if err == nil || !strings.Contains(err.Error(), "someone else") {
			t.Errorf("inject over another qdisc: %v (evidence %q)", err, ev)
		}
		if _, err := rev.Revert(r.Ctx, tg); err != nil {
			t.Errorf("revert after a refused inject: %v", err)
		}
		if out := r.Inside(t, app, "tc qdisc show dev eth0 root"); !strings.Contains(out, "tbf 77:") {
			t.Errorf("the other qdisc was touched: %s", out)
		}
	})

	t.Run("s3-outage", func(t *testing.T) {
		list := func() error {
			c, err := r.Env.S3(r.Ctx)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(r.Ctx, 2*time.Second)
			defer cancel()
			_, err = c.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}
		if err := list(); err != nil {
			t.Fatalf("before: %v", err)
		}
		f, rev, tg := r.Fault(t, scenarios.ActionS3Outage, scenarios.TargetStorage, scenarios.Params{}, nil)
		chaostest.MustInject(t, f, tg, r.Ctx)
		if got := r.Connect(t, app, storage, 9000); got != "refused" {
			t.Errorf("during: app -> minio:9000 %s, want refused", got)
		}
		if err := list(); err == nil {
			t.Error("during: the harness's S3 client listed the buckets")
		}
		chaostest.MustRevert(t, rev, tg, r.Ctx)
		if err := list(); err != nil {
			t.Errorf("after: %v", err)
		}
		r.NothingLeft(t, storage)
	})

	t.Run("region-drop", func(t *testing.T) {
		before := map[string]map[string]netip.Addr{}
		for _, n := range []string{chaostest.Replica, app} {
			a, err := r.Env.Addresses(r.Ctx, n)
			if err != nil || len(a) == 0 {
				t.Fatalf("addresses of %s: %v %v", n, a, err)
			}
			before[n] = a
		}
		f, rev, tg := r.Fault(t, scenarios.ActionRegionDrop, "region.west", scenarios.Params{}, nil)
		chaostest.MustInject(t, f, tg, r.Ctx)
		for _, n := range []string{chaostest.Replica, app} {
			if nets, err := r.Env.Networks(r.Ctx, n); err != nil || len(nets) > 0 {
				t.Errorf("during: %s on %v (%v)", n, nets, err)
			}
			if out := r.Inside(t, n, "ip -o -4 addr show | grep -v ' lo ' || true; ip -4 route show"); strings.TrimSpace(out) != "" {
				t.Errorf("during: %s has, from inside: %s", n, out)
			}
		}
		if got := r.Connect(t, primary, storage, 9000); got != "open" {
			t.Errorf("during: east's own traffic cut: %s", got)
		}
		chaostest.MustRevert(t, rev, tg, r.Ctx)
		// Back at the addresses they had, as after a real network's
		// outage: a swap strands the replica's WAL receiver on a dead
		// connection for wal_receiver_timeout (netpin).
		for n, was := range before {
			if now, err := r.Env.Addresses(r.Ctx, n); err != nil || !maps.Equal(now, was) {
				t.Errorf("after: %s at %v, was at %v (%v)", n, now, was, err)
			}
		}
		if got := r.Connect(t, app, primary, 5432); got != "open" {
			t.Errorf("after: app -> primary %s", got)
		}
		// The replica streams again (its WAL receiver reconnects).
		deadline := time.Now().Add(30 * time.Second)
		for {
			n, err := r.Env.Cluster().QueryInt(r.Ctx, primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
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
		fenced := chaostest.Fences{chaostest.Replica: "disconnect"}
		f, rev, tg := r.Fault(t, scenarios.ActionRegionDrop, "region.west", scenarios.Params{}, fenced)
		chaostest.MustInject(t, f, tg, r.Ctx)
		ev, err := rev.Revert(r.Ctx, tg)
		if err != nil || !strings.Contains(ev, chaostest.Replica+" left cut off: fenced") {
			t.Errorf("revert: %q, %v", ev, err)
		}
		if nets, _ := r.Env.Networks(r.Ctx, chaostest.Replica); len(nets) > 0 {
			t.Errorf("the fenced %s is back on %v", chaostest.Replica, nets)
		}
		if nets, _ := r.Env.Networks(r.Ctx, app); len(nets) != 2 {
			t.Errorf("the app is on %v after the revert, want its two networks", nets)
		}
		// Put the replica back for whatever runs next.
		for _, net := range []string{"west", topology.WAN} {
			if err := r.Env.Connect(r.Ctx, chaostest.Replica, net); err != nil {
				t.Fatal(err)
			}
		}
	})
}
