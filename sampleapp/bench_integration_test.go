//go:build integration

package sampleapp

// BenchmarkProbeApp: the probe alone against the sample app, as in a drill
// but without containers, at 200, 1000 and 2000 writes/s, for the probe and
// the app as they are and as they were at a baseline commit, side by side in
// one run (docs/benchmarks.md, "Probe and app at 200, 1000, 2000 writes/s").
//
// The app and the probe each run as a separate process, against a real
// Postgres started from the host's binaries (startPostgres, with fsync on as
// in a drill's container). Both binaries are built here with `go build
// -overlay`: the app from a main that does what `firedrill app` does
// (ConfigFromEnv, Run), the probe from a driver that runs probe.Probe with
// an HTTPWriter as a drill does, so the benchmark does not depend on the CLI
// package compiling; a baseline's probe/ and sampleapp/ sources come from
// `git show REV:...`. The driver reports its own CPU time over the run
// (getrusage) and its peak RSS (VmHWM, reset at the start of the run through
// /proc/self/clear_refs): those are the harness's numbers.
//
//	go test -tags integration -run '^$' -bench ProbeApp -benchtime 1x -timeout 10m ./sampleapp/

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
)

var (
	benchDuration = flag.Duration("probeapp.duration", 10*time.Second, "how long the probe runs at each rate")
	benchRates    = flag.String("probeapp.rates", "200,1000,2000", "writes per second, comma-separated")
	// The baseline is the last commit before the probe's and the app's
	// changes for 1000+ writes/s (issue 7, items 6 l and n).
	benchBaseline   = flag.String("probeapp.baseline", "a8b9781", "git revision of probe/ and sampleapp/ to compare with (empty: none)")
	benchTimeout    = flag.Duration("probeapp.timeout", time.Second, "the probe's per-op timeout (the built-in scenarios' 1s)")
	benchFreeze     = flag.Duration("probeapp.freeze", 2*time.Second, "how long the app is frozen in the outage runs (0: none)")
	benchFreezeRate = flag.Float64("probeapp.freeze-rate", 1000, "writes per second of the outage runs")
	benchLedgers    = flag.String("probeapp.ledgers", "", "directory to keep each run's ledger.jsonl in")
	benchProfiles   = flag.String("probeapp.cpuprofiles", "", "directory for a CPU profile of each run's probe driver")
)

// benchAppMain is the app binary's main: what `firedrill app` runs.
const benchAppMain = `package main

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

// benchDriverMain is the probe's driver: a Probe with an HTTPWriter, as a
// drill runs it, for -duration; it writes the ledger to -ledger and its
// report (driverReport) to stdout. OPTIONS and EXTRA are filled in for
// versions of the probe that have them.
const benchDriverMain = `package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/probe"
)

func main() {
	url := flag.String("url", "", "")
	rate := flag.Float64("rate", 0, "")
	timeout := flag.Duration("timeout", time.Second, "")
	duration := flag.Duration("duration", 10*time.Second, "")
	runID := flag.String("run", "bench", "")
	ledgerPath := flag.String("ledger", "", "")
	cpuProfile := flag.String("cpuprofile", "", "")
	flag.Parse()
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			panic(err)
		}
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}

	tl := firedrill.NewTimeline()
	ledger := &firedrill.Ledger{}
	hw := probe.NewHTTPWriter(*url, *timeout OPTIONS)
	p := probe.New(probe.Config{Rate: *rate, Timeout: *timeout, RunID: *runID}, hw, tl, ledger)
	rep := map[string]int64{"dialed": -1, "unsent": -1}
	// The peak RSS from here on is the probe's.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := tl.Now()
	err := p.Run(ctx)
	wall := tl.Now() - start
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cancel()
	if err != nil {
		panic(err)
	}
	EXTRA
	rep["start_ns"] = int64(start)
	rep["wall_ns"] = int64(wall)
	rep["cpu_ns"] = ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	f, _ := os.Open("/proc/self/status")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			rep["hwm_kb"], _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	f.Close()
	lf, err := os.Create(*ledgerPath)
	if err != nil {
		panic(err)
	}
	if err := firedrill.WriteJSONL(lf, ledger.Ops()); err != nil {
		panic(err)
	}
	lf.Close()
	json.NewEncoder(os.Stdout).Encode(rep)
}
`

// driverReport is what the driver prints.
type driverReport struct {
	StartNS int64 `json:"start_ns"`
	WallNS  int64 `json:"wall_ns"`
	CPUNS   int64 `json:"cpu_ns"`
	HWMKB   int64 `json:"hwm_kb"`
	Dialed  int64 `json:"dialed"`
	Unsent  int64 `json:"unsent"`
}

// variant is one version of the probe and the app.
type variant struct {
	name, app, driver string
	rev               string // empty: the working tree
}

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
	revs := []string{""}
	if *benchBaseline != "" {
		revs = []string{*benchBaseline, ""}
	}
	var variants []variant
	for _, rev := range revs {
		v := variant{name: "current", rev: rev}
		if rev != "" {
			v.name = rev
		}
		v.app = buildBinary(b, root, rev, "sampleapp", benchAppMain)
		// The driver's main needs the probe's options and counters where
		// this version has them (the baseline's NewHTTPWriter takes none).
		drv := benchDriverMain
		if hasSource(b, root, rev, "probe/http.go", "func WithRate(") {
			drv = strings.Replace(drv, " OPTIONS", ", probe.WithRate(*rate)", 1)
			drv = strings.Replace(drv, "EXTRA", `rep["dialed"], rep["unsent"] = hw.Dialed(), int64(p.Unsent())`, 1)
		} else {
			drv = strings.Replace(drv, " OPTIONS", "", 1)
			drv = strings.Replace(drv, "EXTRA", "_ = hw", 1)
		}
		v.driver = buildBinary(b, root, rev, "probe", drv)
		variants = append(variants, v)
	}
	pg := startPostgres(b, "pg-bench", "fsync=on", "max_connections=200")
	for _, rate := range rates {
		for _, v := range variants {
			b.Run(fmt.Sprintf("rate=%g/%s", rate, v.name), func(b *testing.B) {
				benchRate(b, pg, v, rate, 0)
			})
		}
	}
	// An outage the probe must ride through: the app frozen (SIGSTOP)
	// for 2s, 3s into the run: every op in flight then holds its connection
	// until its timeout, which is where the connection bound matters.
	if *benchFreeze > 0 {
		for _, v := range variants {
			b.Run(fmt.Sprintf("rate=%g/app-frozen-%s/%s", *benchFreezeRate, *benchFreeze, v.name), func(b *testing.B) {
				benchRate(b, pg, v, *benchFreezeRate, *benchFreeze)
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

func git(b *testing.B, root string, args ...string) []byte {
	cmd := exec.Command("git", args...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// hasSource reports whether file, in the working tree or at rev, contains s.
func hasSource(b *testing.B, root, rev, file, s string) bool {
	var src []byte
	if rev == "" {
		var err error
		if src, err = os.ReadFile(filepath.Join(root, file)); err != nil {
			b.Fatal(err)
		}
	} else {
		src = git(b, root, "show", rev+":"+file)
	}
	return bytes.Contains(src, []byte(s))
}

// buildBinary builds main (a main package placed, through the overlay, at
// pkg/internal/benchmain) from the working tree, or with the non-test
// sources of the packages probe and sampleapp as they were at rev.
func buildBinary(b *testing.B, root, rev, pkg, main string) string {
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
	mainDir := pkg + "/internal/benchmain"
	add(mainDir+"/main.go", []byte(main))
	if rev != "" {
		for _, p := range []string{"probe", "sampleapp"} {
			current, _ := filepath.Glob(filepath.Join(root, p, "*.go"))
			for _, f := range current {
				if !strings.HasSuffix(f, "_test.go") {
					overlay[f] = "" // deleted unless the baseline has it
				}
			}
			for _, name := range strings.Fields(string(git(b, root, "ls-tree", "--name-only", rev, p+"/"))) {
				if strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
					add(name, git(b, root, "show", rev+":"+name))
				}
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
	bin := filepath.Join(dir, "bin")
	// Built as the app image's binary is (Makefile: build).
	cmd := exec.Command("go", "build", "-trimpath", "-overlay", ovf, "-o", bin, "./"+mainDir)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build %s (revision %q): %v\n%s", mainDir, rev, err, out)
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

// cpuSample is CPU time consumed so far by the app, the Postgres server
// (postmaster, live backends, reaped backends) and the whole machine (busy
// and steal, out of total: machineCPU). The probe's driver measures its own.
type cpuSample struct {
	app, postgres, busy, steal, total time.Duration
}

func sampleCPU(b *testing.B, appPID, pgPID int) cpuSample {
	var s cpuSample
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
	s.busy, s.steal, s.total = machineCPU(b)
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

// machineCPU reads the aggregate line of /proc/stat over all cores: busy
// (user, nice, system, irq, softirq), steal (time this virtual machine's
// cores were ready but the host ran something else: a stall the probe
// cannot help) and the total of those and idle and iowait.
func machineCPU(b *testing.B) (busy, steal, total time.Duration) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		if i >= 8 { // guest times are already counted in user
			break
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		d := time.Duration(n) * clockTick
		total += d
		switch i {
		case 3, 4: // idle, iowait
		case 7:
			steal += d
		default:
			busy += d
		}
	}
	return busy, steal, total
}

// peakRSS is VmHWM of /proc/pid/status, in MiB.
func peakRSS(b *testing.B, pid int) float64 {
	p := fmt.Sprintf("/proc/%d/status", pid)
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

// freezeAt is when, into a run, the app is frozen for the outage runs.
const freezeAt = 3 * time.Second

// benchRate runs the probe's driver at rate against a fresh app b.N times;
// with freeze > 0 the app is frozen (SIGSTOP) for freeze, freezeAt into
// each run.
func benchRate(b *testing.B, pg *pgServer, v variant, rate float64, freeze time.Duration) {
	admin := pg.conn(b)
	app := startApp(b, pg, v.app)
	appPID, pgPID := app.cmd.Process.Pid, pg.cmd.Process.Pid

	var lags, lat []time.Duration
	var counts [3]int
	var sum driverReport
	var hwm int64
	var d cpuSample // the sums of the runs' differences
	for i := range b.N {
		// Each run starts from an empty table and a fresh checkpoint, so
		// the runs compared do not inherit each other's rows or dirty pages.
		if _, err := admin.Exec(b.Context(), "TRUNCATE "+Table); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Exec(b.Context(), "CHECKPOINT"); err != nil {
			b.Fatal(err)
		}
		ledgerPath := filepath.Join(b.TempDir(), "ledger.jsonl")
		if *benchLedgers != "" {
			name := strings.NewReplacer("/", "_", "=", "").Replace(b.Name())
			ledgerPath = filepath.Join(*benchLedgers, fmt.Sprintf("%s-%d.jsonl", name, i))
		}
		cmd := exec.Command(v.driver, "-url", app.base, "-rate", fmt.Sprint(rate), "-timeout", benchTimeout.String(),
			"-duration", benchDuration.String(), "-run", fmt.Sprintf("bench-%g-%d", rate, i), "-ledger", ledgerPath)
		if *benchProfiles != "" {
			name := strings.NewReplacer("/", "_", "=", "").Replace(b.Name())
			cmd.Args = append(cmd.Args, "-cpuprofile", filepath.Join(*benchProfiles, fmt.Sprintf("%s-%d.pprof", name, i)))
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		s0 := sampleCPU(b, appPID, pgPID)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		if freeze > 0 {
			frozen := time.AfterFunc(freezeAt, func() {
				app.cmd.Process.Signal(syscall.SIGSTOP)
				time.Sleep(freeze)
				app.cmd.Process.Signal(syscall.SIGCONT)
			})
			defer frozen.Stop()
		}
		err := cmd.Wait()
		s1 := sampleCPU(b, appPID, pgPID)
		if err != nil {
			b.Fatalf("probe driver: %v\n%s", err, stderr.Bytes())
		}
		var rep driverReport
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			b.Fatalf("probe driver report %q: %v", stdout.Bytes(), err)
		}
		lf, err := os.Open(ledgerPath)
		if err != nil {
			b.Fatal(err)
		}
		ops, err := firedrill.ReadJSONL(lf)
		lf.Close()
		if err != nil {
			b.Fatal(err)
		}
		// The lag is computed from the schedule itself, op i due at the
		// probe's start + i/rate, the same way for every version (the
		// baseline's ops carry no Due).
		start := time.Duration(rep.StartNS)
		for _, op := range ops {
			due := start + time.Duration(float64(op.Seq)*float64(time.Second)/rate)
			lags = append(lags, op.Sent-due)
			lat = append(lat, op.Done-op.Sent)
			switch op.Outcome {
			case firedrill.OutcomeOK:
				counts[0]++
			case firedrill.OutcomeFailed:
				counts[1]++
			default:
				counts[2]++
			}
		}
		sum.WallNS += rep.WallNS
		sum.CPUNS += rep.CPUNS
		sum.Dialed += rep.Dialed
		sum.Unsent += rep.Unsent
		hwm = max(hwm, rep.HWMKB)
		d.app += s1.app - s0.app
		d.postgres += s1.postgres - s0.postgres
		d.busy += s1.busy - s0.busy
		d.steal += s1.steal - s0.steal
		d.total += s1.total - s0.total
	}
	b.StopTimer()

	slices.Sort(lags)
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	wall := time.Duration(sum.WallNS)
	share := func(d time.Duration) float64 { return 100 * d.Seconds() / wall.Seconds() } // % of one core
	n := len(lags)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(n), "writes")
	b.ReportMetric(float64(n)/wall.Seconds(), "writes/s")
	b.ReportMetric(float64(counts[1]+counts[2]), "not-ok")
	if n > 0 {
		b.ReportMetric(ms(nearestRank(lags, 0.50)), "lag-p50-ms")
		b.ReportMetric(ms(nearestRank(lags, 0.99)), "lag-p99-ms")
		b.ReportMetric(ms(lags[n-1]), "lag-max-ms")
		b.ReportMetric(ms(nearestRank(lat, 0.50)), "lat-p50-ms")
		b.ReportMetric(ms(nearestRank(lat, 0.99)), "lat-p99-ms")
	}
	b.ReportMetric(share(time.Duration(sum.CPUNS)), "harness-cpu-%")
	b.ReportMetric(float64(hwm)/1024, "harness-rss-MB")
	b.ReportMetric(share(d.app), "app-cpu-%")
	b.ReportMetric(peakRSS(b, appPID), "app-rss-MB")
	b.ReportMetric(share(d.postgres), "pg-cpu-%")
	b.ReportMetric(100*d.busy.Seconds()/d.total.Seconds(), "machine-busy-%")
	b.ReportMetric(100*d.steal.Seconds()/d.total.Seconds(), "steal-%")
	if sum.Dialed >= 0 { // versions that count them
		b.ReportMetric(float64(sum.Dialed), "conns")
		b.ReportMetric(float64(sum.Unsent), "unsent")
	}
	if counts[0] != n && freeze == 0 {
		log, _ := os.ReadFile(app.log)
		b.Logf("%d ok, %d failed, %d indeterminate; app log tail:\n%s", counts[0], counts[1], counts[2], tail(log, 2000))
	}
}

// nearestRank is the nearest-rank q-quantile of sorted (non-empty), as
// result.json's schedule_lag is computed (docs/measurement.md, "Schedule
// lag").
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
