//go:build integration

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/internal/itest"
)

var (
	bin       string
	dockerCli *client.Client
)

func TestMain(m *testing.M) {
	var cleanup func()
	bin, dockerCli, cleanup = itest.Setup()
	// Build (or find) every image once, before the timed drills.
	cmd := exec.Command(bin, "images", "build")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "firedrill images build:", err)
		os.Exit(1)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// drillRun is one firedrill process run by a test.
type drillRun struct {
	out            string
	stdout, stderr bytes.Buffer
	code           int
}

func runFiredrill(t *testing.T, args ...string) *drillRun {
	t.Helper()
	d := &drillRun{out: t.TempDir()}
	cmd := exec.Command(bin, append(args[:len(args):len(args)], "--out", d.out)...)
	cmd.Stdout, cmd.Stderr = &d.stdout, &d.stderr
	err := cmd.Run()
	d.code = exitCode(t, err)
	t.Logf("firedrill %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), d.code, d.stdout.String(), tail(d.stderr.String(), 40))
	return d
}

func exitCode(t *testing.T, err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("run firedrill: %v", err)
	return -1
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func readResult(t *testing.T, dir string) firedrill.Result {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r firedrill.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("result.json: %v", err)
	}
	return r
}

func readLedger(t *testing.T, dir string) []firedrill.Op {
	t.Helper()
	fh, err := os.Open(filepath.Join(dir, "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	ops, err := firedrill.ReadJSONL(fh)
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

func assertNothingLeft(t *testing.T, runID string) {
	t.Helper()
	left, err := itest.Leftovers(context.Background(), dockerCli, runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Fatalf("left behind (run %q): %v", runID, left)
	}
}

// The default drill: the primary is killed at 15s, the manager fails over,
// the objectives are met. With --keep, the lost-write count is then checked
// independently against the surviving primary.
func TestIntegrationPrimaryKillDrill(t *testing.T) {
	d := runFiredrill(t, "run", "--keep", "--seed", "4242", "primary-kill")
	res := readResult(t, d.out)
	if res.RunID != "" {
		defer func() {
			exec.Command(bin, "clean", "--run", res.RunID).Run()
			assertNothingLeft(t, res.RunID)
		}()
	}
	// The seed is in the first progress line and in run.json.
	if want := "firedrill: drill primary-kill (run " + res.RunID + ", seed 4242)"; !strings.Contains(d.stderr.String(), want) {
		t.Errorf("stderr lacks %q", want)
	}
	var info struct {
		RunID string `json:"run_id"`
		Seed  int64  `json:"seed"`
	}
	if b, err := os.ReadFile(filepath.Join(d.out, "run.json")); err != nil || json.Unmarshal(b, &info) != nil || info.Seed != 4242 || info.RunID != res.RunID {
		t.Errorf("run.json = %+v (%v)", info, err)
	}
	if d.code != 0 || res.Verdict != firedrill.VerdictPass {
		t.Fatalf("exit %d verdict %s, want 0 pass (reasons %v)", d.code, res.Verdict, res.Reasons)
	}
	if len(res.Faults) != 1 || res.Faults[0].RTOMS == nil {
		t.Fatalf("faults = %+v, want one recovered fault", res.Faults)
	}
	for _, p := range []string{firedrill.PhaseDetect, firedrill.PhaseFence, firedrill.PhasePromote, firedrill.PhaseFirstWrite} {
		if _, ok := res.Faults[0].Phases[p]; !ok {
			t.Errorf("phase %s missing: %v", p, res.Faults[0].Phases)
		}
	}
	if !strings.Contains(d.stdout.String(), "✓") {
		t.Errorf("summary has no ✓ line:\n%s", d.stdout.String())
	}

	ops := readLedger(t, d.out)
	if len(ops) != res.Writes.Attempted || res.Writes.Attempted < 2500 {
		t.Fatalf("ledger has %d ops, result says %d attempted (want ~3000 at 50/s for 60s)", len(ops), res.Writes.Attempted)
	}
	seen := map[string]bool{}
	for _, op := range ops {
		if seen[op.ID] {
			t.Fatalf("duplicate id %s in ledger", op.ID)
		}
		seen[op.ID] = true
	}

	// Independent count: read the surviving primary directly and compare
	// with the ledger's acknowledged ids.
	stored := readSurvivingPrimary(t, d.out, res.RunID)
	var lost []string
	for _, op := range ops {
		if op.Outcome == firedrill.OutcomeOK && !stored[op.ID] {
			lost = append(lost, op.ID)
		}
	}
	if res.Writes.Lost == nil || *res.Writes.Lost != len(lost) {
		t.Fatalf("result.json lost = %v, independent count = %d (%v)", res.Writes.Lost, len(lost), lost)
	}
	t.Logf("RTO %.0f ms, lost %d of %d acked", *res.Faults[0].RTOMS, len(lost), res.Writes.Acked)
}

// readSurvivingPrimary connects to the kept environment's writable primary
// with the credentials the run wrote, and returns every stored id.
func readSurvivingPrimary(t *testing.T, out, runID string) map[string]bool {
	t.Helper()
	cred, err := os.ReadFile(filepath.Join(out, "credentials.env"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(cred))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		vars[k] = v
	}
	ctx := context.Background()
	cs, err := dockerCli.ContainerList(ctx, client.ContainerListOptions{Filters: make(client.Filters).
		Add("label", "firedrill.run="+runID).Add("label", "firedrill.role=postgres")})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs.Items {
		for _, p := range c.Ports {
			if p.PrivatePort != 5432 || p.PublicPort == 0 {
				continue
			}
			dsn := fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", vars["PGUSER"], vars["PGPASSWORD"], p.PublicPort, vars["PGDATABASE"])
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				continue
			}
			defer conn.Close(ctx)
			var inRecovery bool
			if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil || inRecovery {
				continue
			}
			rows, _ := conn.Query(ctx, "SELECT id FROM firedrill_writes")
			ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			set := map[string]bool{}
			for _, id := range ids {
				set[id] = true
			}
			return set
		}
	}
	t.Fatalf("no writable primary among %d kept postgres containers", len(cs.Items))
	return nil
}

// Without the failover manager nothing promotes the replica: the drill
// never recovers, the verdict is fail and the exit code 1.
func TestIntegrationNoFailoverNeverRecovers(t *testing.T) {
	d := runFiredrill(t, "run", "--no-failover", "primary-kill")
	res := readResult(t, d.out)
	defer assertNothingLeft(t, res.RunID)
	if d.code != 1 || res.Verdict != firedrill.VerdictFail {
		t.Fatalf("exit %d verdict %s, want 1 fail", d.code, res.Verdict)
	}
	if len(res.Faults) != 1 || res.Faults[0].RTOMS != nil || res.Faults[0].Recovery != firedrill.RecoveryNever {
		t.Fatalf("faults = %+v, want never recovered", res.Faults)
	}
	if !strings.Contains(d.stdout.String(), "never recovered") {
		t.Errorf("summary does not say it never recovered:\n%s", d.stdout.String())
	}
}

// Ctrl-C (or SIGTERM) at any phase tears everything down and exits 130:
// while an image builds, while the environment starts, while a fault is in
// effect, and during the read-back.
func TestIntegrationInterrupt(t *testing.T) {
	// A copy of the binary with a byte appended is another app image: the
	// run must build it, which gives the image-build phase to interrupt.
	rebuilt := filepath.Join(t.TempDir(), "firedrill")
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rebuilt, append(exe, byte(time.Now().UnixNano())), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, waitFor string
		after         time.Duration
		sig           syscall.Signal
		env           []string
	}{
		{"image build", "[app] building image", 0, syscall.SIGINT, []string{"FIREDRILL_APP_BINARY=" + rebuilt}},
		{"environment start", "starting environment", 2 * time.Second, syscall.SIGINT, nil},
		{"fault active", "fault f0 (kill", 300 * time.Millisecond, syscall.SIGTERM, nil},
		// The runner's own line, not the live status's "settling".
		{"read-back", "before the read-back", 0, syscall.SIGINT, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := startDrillEnv(t, c.env, shortDrill)
			d.waitFor(t, c.waitFor)
			time.Sleep(c.after)
			runID := d.runID(t)
			if err := d.cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			if code := d.wait(t); code != 130 {
				t.Fatalf("exit %d, want 130", code)
			}
			assertNothingLeft(t, runID)
		})
	}
}

func runIDFrom(s string) string {
	_, after, ok := strings.Cut(s, "(run ")
	if !ok {
		return ""
	}
	// "(run <id>, seed <n>)"
	id, _, _ := strings.Cut(after, ")")
	id, _, _ = strings.Cut(id, ",")
	return id
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// BenchmarkDrillPrimaryKill runs the whole primary-kill drill (images
// already built) and reports the wall time and the failover RTO; with
// -benchtime 5x it gives the median and max RTO of 5 drills.
func BenchmarkDrillPrimaryKill(b *testing.B) {
	var rtos []float64
	var wall time.Duration
	for b.Loop() {
		out := b.TempDir()
		t0 := time.Now()
		cmd := exec.Command(bin, "run", "--out", out, "primary-kill")
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("drill: %v\n%s", err, tail(string(o), 30))
		}
		wall += time.Since(t0)
		bs, err := os.ReadFile(filepath.Join(out, "result.json"))
		if err != nil {
			b.Fatal(err)
		}
		var r firedrill.Result
		if err := json.Unmarshal(bs, &r); err != nil || len(r.Faults) != 1 || r.Faults[0].RTOMS == nil {
			b.Fatalf("no RTO in result: %v", err)
		}
		rtos = append(rtos, *r.Faults[0].RTOMS)
	}
	sort.Float64s(rtos)
	b.ReportMetric(rtos[len(rtos)/2], "rto-median-ms")
	b.ReportMetric(rtos[len(rtos)-1], "rto-max-ms")
	b.ReportMetric(float64(wall.Milliseconds())/float64(len(rtos)), "wall-ms/drill")
	b.Logf("RTOs (ms): %v", rtos)
}
