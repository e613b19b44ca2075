//go:build integration

package sampleapp

// BenchmarkProbeApp: the probe alone against the sample app, as in a drill
// but without containers, at 200, 1000 and 2000 writes/s, for the app as it
// is and as it was at a baseline commit, side by side in one run
// (docs/benchmarks.md, "Probe and app at 200, 1000, 2000 writes/s").
//
// The app runs as a separate process against a real Postgres started from
// the host's binaries (startPostgres, with fsync on as in a drill's
// container). Its binary is built here with `go build -overlay` from a main
// that does what `firedrill app` does (ConfigFromEnv, Run), so the
// benchmark does not depend on the CLI package compiling; the baseline's
// sources come from `git show REV:sampleapp/...`. The probe runs in this
// process, so this process's CPU (getrusage) and peak RSS (VmHWM, reset
// before each run through /proc/self/clear_refs) are the harness's.
//
//	go test -tags integration -run '^$' -bench ProbeApp -benchtime 1x -timeout 10m ./sampleapp/

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/probe"
)

var (
	benchDuration = flag.Duration("probeapp.duration", 10*time.Second, "how long the probe runs at each rate")
	benchRates    = flag.String("probeapp.rates", "200,1000,2000", "writes per second, comma-separated")
	// The baseline is the last commit before the app's hot path changed.
	benchBaseline = flag.String("probeapp.baseline", "31cbbf4", "git revision of the sample app to compare with (empty: none)")
	benchTimeout  = flag.Duration("probeapp.timeout", time.Second, "the probe's per-op timeout (the built-in scenarios' 1s)")
)

// benchMain is the app binary's main: what `firedrill app` runs.
const benchMain = `package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/firedrill/firedrill/sampleapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := sampleapp.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := sampleapp.Run(ctx, cfg); err != nil && !errors.Is(err, ctx.Err()) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

func BenchmarkProbeApp(b *testing.B) {
	var rates []float64
	for _, f := range strings.Split(*benchRates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || r <= 0 {
			b.Fatalf("-probeapp.rates: bad rate %q", f)
		}
		rates = append(rates, r)
	}
	root := moduleRoot(b)
	apps := []struct{ name, bin string }{{"app=current", buildApp(b, root, "")}}
	if *benchBaseline != "" {
		apps = append([]struct{ name, bin string }{{"app=" + *benchBaseline, buildApp(b, root, *benchBaseline)}}, apps...)
	}
	pg := startPostgres(b, "pg-bench", "fsync=on", "max_connections=200")
	for _, rate := range rates {
		for _, app := range apps {
			b.Run(fmt.Sprintf("rate=%g/%s", rate, app.name), func(b *testing.B) {
				benchRate(b, pg, app.bin, rate)
			})
		}
	}
}

func moduleRoot(b *testing.B) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		b.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// buildApp builds the app binary from the working tree, or with the
// sample app's non-test sources as they were at rev.
func buildApp(b *testing.B, root, rev string) string {
	dir := b.TempDir()
	overlay := map[string]string{}
	add := func(path string, content []byte) {
		f := filepath.Join(dir, "src", strings.ReplaceAll(path, "/", "_"))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(f, content, 0o644); err != nil {
			b.Fatal(err)
		}
		overlay[filepath.Join(root, path)] = f
	}
	add("sampleapp/internal/benchmain/main.go", []byte(benchMain))
	if rev != "" {
		current, _ := filepath.Glob(filepath.Join(root, "sampleapp", "*.go"))
		for _, f := range current {
			if !strings.HasSuffix(f, "_test.go") {
				overlay[f] = "" // deleted unless the baseline has it
			}
		}
		git := func(args ...string) []byte {
			cmd := exec.Command("git", args...)
			cmd.Dir = root
			out, err := cmd.Output()
			if err != nil {
				b.Fatalf("git %s: %v", strings.Join(args, " "), err)
			}
			return out
		}
		for _, name := range strings.Fields(string(git("ls-tree", "--name-only", rev, "sampleapp/"))) {
			if strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
				add(name, git("show", rev+":"+name))
			}
		}
	}
	js, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		b.Fatal(err)
	}
	ovf := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ovf, js, 0o644); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, "app")
	// Built as the app image's binary is (Makefile: build).
	cmd := exec.Command("go", "build", "-trimpath", "-overlay", ovf, "-o", bin, "./sampleapp/internal/benchmain")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build the app (baseline %q): %v\n%s", rev, err, out)
	}
	return bin
}

// appProcess is the app running as a child process.
type appProcess struct {
	cmd  *exec.Cmd
	base string
	log  string
}

func startApp(b *testing.B, pg *pgServer, bin string) *appProcess {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dsn := fmt.Sprintf("postgres://firedrill@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", pg.port)
	a := &appProcess{base: "http://" + addr, log: filepath.Join(b.TempDir(), "app.log")}
	logf, err := os.Create(a.log)
	if err != nil {
		b.Fatal(err)
	}
	a.cmd = exec.Command(bin)
	a.cmd.Env = append(os.Environ(), EnvListen+"="+addr,
		EnvWriteDSN+"="+dsn+"&target_session_attrs=read-write",
		EnvReadDSN+"="+dsn+"&target_session_attrs=prefer-standby")
	a.cmd.Stdout, a.cmd.Stderr = logf, logf
	if err := a.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	logf.Close()
	b.Cleanup(func() {
		a.cmd.Process.Signal(syscall.SIGTERM)
		a.cmd.Wait()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(a.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return a
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(a.log)
			b.Fatalf("app not healthy within 20s: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cpuSample is CPU time consumed so far by this process, the app, the
// Postgres server (postmaster, live backends, reaped backends) and the
// whole machine (busy, out of total).
type cpuSample struct {
	at                           time.Time
	harness, app, postgres, busy time.Duration
	total                        time.Duration
}

func sampleCPU(b *testing.B, appPID, pgPID int) cpuSample {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	s := cpuSample{at: time.Now(), harness: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	s.app, _ = procCPU(appPID, false)
	s.postgres, _ = procCPU(pgPID, true)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == pgPID {
			continue
		}
		if ppid, ok := procPPID(pid); ok && ppid == pgPID {
			d, _ := procCPU(pid, true)
			s.postgres += d
		}
	}
	s.busy, s.total = machineCPU(b)
	return s
}

// clockTick is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTick = 10 * time.Millisecond

// procStat returns the fields of /proc/pid/stat after the command name.
func procStat(pid int) ([]string, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(string(raw[i+1:])), true
}

// procCPU is a process's utime+stime, with its reaped children's when
// children is set.
func procCPU(pid int, children bool) (time.Duration, bool) {
	f, ok := procStat(pid)
	if !ok || len(f) < 15 {
		return 0, false
	}
	// Fields after the name start at field 3 (state): utime is field 14.
	idx := []int{14, 15}
	if children {
		idx = append(idx, 16, 17)
	}
	var ticks int64
	for _, n := range idx {
		v, _ := strconv.ParseInt(f[n-3], 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * clockTick, true
}

func procPPID(pid int) (int, bool) {
	f, ok := procStat(pid)
	if !ok || len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// machineCPU reads the aggregate line of /proc/stat: busy (all but idle and
// iowait) and total, over all cores.
func machineCPU(b *testing.B) (busy, total time.Duration) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		d := time.Duration(n) * clockTick
		if i >= 8 { // guest times are already counted in user
			break
		}
		total += d
		if i != 3 && i != 4 {
			busy += d
		}
	}
	return busy, total
}

// peakRSS is VmHWM of /proc/pid/status (self for 0), in MiB.
func peakRSS(b *testing.B, pid int) float64 {
	p := "/proc/self/status"
	if pid != 0 {
		p = fmt.Sprintf("/proc/%d/status", pid)
	}
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatalf("no VmHWM in %s", p)
	return 0
}

func benchRate(b *testing.B, pg *pgServer, bin string, rate float64) {
	admin := pg.conn(b)
	app := startApp(b, pg, bin)
	appPID, pgPID := app.cmd.Process.Pid, pg.cmd.Process.Pid

	var ops []firedrill.Op
	var dialed int64
	var unsent int
	var wall time.Duration
	var end cpuSample // the sums of the runs' differences
	var harnessRSS float64
	for i := range b.N {
		// Each run starts from an empty table and a fresh checkpoint, so
		// the runs compared do not inherit each other's rows or dirty pages.
		if _, err := admin.Exec(b.Context(), "TRUNCATE "+Table); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Exec(b.Context(), "CHECKPOINT"); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		// Reset this process's peak RSS: what follows is the probe's.
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			b.Fatalf("reset VmHWM: %v", err)
		}
		tl := firedrill.NewTimeline()
		ledger := &firedrill.Ledger{}
		hw := probe.NewHTTPWriter(app.base, *benchTimeout, probe.WithRate(rate))
		p := probe.New(probe.Config{Rate: rate, Timeout: *benchTimeout, RunID: fmt.Sprintf("bench-%g-%d", rate, i)}, hw, tl, ledger)
		ctx, cancel := context.WithTimeout(b.Context(), *benchDuration)
		s0 := sampleCPU(b, appPID, pgPID)
		err := p.Run(ctx)
		s1 := sampleCPU(b, appPID, pgPID)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		harnessRSS = max(harnessRSS, peakRSS(b, 0))
		hw.CloseIdleConnections()
		ops = append(ops, ledger.Ops()...)
		dialed += hw.Dialed()
		unsent += p.Unsent()
		wall += s1.at.Sub(s0.at)
		end.harness += s1.harness - s0.harness
		end.app += s1.app - s0.app
		end.postgres += s1.postgres - s0.postgres
		end.busy += s1.busy - s0.busy
		end.total += s1.total - s0.total
	}
	b.StopTimer()

	lag := probe.ScheduleLag(ops)
	var counts [3]int
	var lat []time.Duration
	for _, op := range ops {
		switch op.Outcome {
		case firedrill.OutcomeOK:
			counts[0]++
		case firedrill.OutcomeFailed:
			counts[1]++
		default:
			counts[2]++
		}
		lat = append(lat, op.Done-op.Sent)
	}
	slices.Sort(lat)
	pct := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, max(0, int(float64(len(lat))*q+0.999999)-1))]
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	share := func(d time.Duration) float64 { return 100 * d.Seconds() / wall.Seconds() } // % of one core
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(len(ops)), "writes")
	b.ReportMetric(float64(len(ops))/wall.Seconds(), "writes/s")
	b.ReportMetric(float64(counts[1]+counts[2]), "not-ok")
	b.ReportMetric(float64(unsent), "unsent")
	b.ReportMetric(ms(lag.P50), "lag-p50-ms")
	b.ReportMetric(ms(lag.P99), "lag-p99-ms")
	b.ReportMetric(ms(lag.Max), "lag-max-ms")
	b.ReportMetric(ms(pct(0.50)), "lat-p50-ms")
	b.ReportMetric(ms(pct(0.99)), "lat-p99-ms")
	b.ReportMetric(share(end.harness), "harness-cpu-%")
	b.ReportMetric(harnessRSS, "harness-rss-MB")
	b.ReportMetric(share(end.app), "app-cpu-%")
	b.ReportMetric(peakRSS(b, appPID), "app-rss-MB")
	b.ReportMetric(share(end.postgres), "pg-cpu-%")
	b.ReportMetric(100*end.busy.Seconds()/end.total.Seconds(), "machine-busy-%")
	b.ReportMetric(float64(dialed), "conns")
	if counts[0] != len(ops) {
		log, _ := os.ReadFile(app.log)
		b.Logf("%d ok, %d failed, %d indeterminate; app log tail:\n%s", counts[0], counts[1], counts[2], tail(log, 2000))
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
