package diskfault

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/chaos/internal/chaostest"
	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

var bg = context.Background()

const gib = int64(1 << 30)

// usage1G is a 1 GiB tmpfs (4 KiB pages) with used bytes in use.
func usage1G(used int64) volumeUsage {
	return volumeUsage{BlockSize: 4096, Blocks: gib / 4096, Free: (gib - used) / 4096, FillBytes: -1}
}

func pct(p float64) scenarios.Params { return scenarios.Params{Percent: &p} }

func TestFillRequest(t *testing.T) {
	for _, tc := range []struct {
		p    scenarios.Params
		want fillRequest
		err  bool
	}{
		{scenarios.Params{}, fillRequest{percent: 100}, false}, // the language's default
		{pct(95), fillRequest{percent: 95}, false},
		{scenarios.Params{Size: "512MiB"}, fillRequest{bytes: 512 << 20}, false},
		{scenarios.Params{Size: "1.5KB"}, fillRequest{bytes: 1500}, false},
		{pct(0), fillRequest{}, true},
		{pct(101), fillRequest{}, true},
		{scenarios.Params{Size: "0B"}, fillRequest{}, true},
		{scenarios.Params{Size: "lots"}, fillRequest{}, true},
	} {
		got, err := newFillRequest(tc.p)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("newFillRequest(%+v) = %+v, %v; want %+v (error %v)", tc.p, got, err, tc.want, tc.err)
		}
	}
}

func TestFillPlan(t *testing.T) {
	used := int64(33 << 20) // 3.2% of 1 GiB
	for _, tc := range []struct {
		name   string
		req    fillRequest
		v      volumeUsage
		target int64
		bytes  int64
		err    string
	}{
		{"100% is every byte", fillRequest{percent: 100}, usage1G(used), gib, 0, ""},
		{"50%", fillRequest{percent: 50}, usage1G(used), gib / 2, 0, ""},
		// 1 GiB * 33.3% = 357556027.392 bytes: up to the byte, then the block.
		{"a fraction rounds up to a block", fillRequest{percent: 33.3}, usage1G(used), 357556224, 0, ""},
		{"already fuller", fillRequest{percent: 3}, usage1G(used), 0, 0, "already 3.2% used (33.0 MiB of 1.0 GiB), at or above the 3.0% asked: nothing to fill"},
		{"already full", fillRequest{percent: 100}, usage1G(gib), 0, 0, "already 100.0% used"},
		{"a size", fillRequest{bytes: 512 << 20}, usage1G(used), 0, 512 << 20, ""},
		{"all that is free", fillRequest{bytes: gib - used}, usage1G(used), 0, gib - used, ""},
		{"more than is free", fillRequest{bytes: gib - used + 1}, usage1G(used), 0, 0, "cannot fill by 991.0 MiB: only 991.0 MiB of the 1.0 GiB volume is free"},
	} {
		p, err := tc.req.plan(tc.v)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: plan = %+v, %v; want error %q", tc.name, p, err, tc.err)
			}
			continue
		}
		if err != nil || p.target != tc.target || p.bytes != tc.bytes {
			t.Errorf("%s: plan = %+v, %v; want target %d, bytes %d", tc.name, p, err, tc.target, tc.bytes)
		}
	}
}

// took: a fill took effect when the volume is within less than a
// Postgres page of the target (the database moves meanwhile), or the
// fill file holds the size asked.
func TestFillTook(t *testing.T) {
	full := fillPlan{req: fillRequest{percent: 100}, target: gib}
	withFile := func(v volumeUsage, n int64) volumeUsage { v.FillBytes = n; return v }
	for _, tc := range []struct {
		name string
		p    fillPlan
		v    volumeUsage
		err  string
	}{
		{"full", full, withFile(usage1G(gib), gib-1<<20), ""},
		{"one page short of full: a write may still find its page", full, withFile(usage1G(gib-8192), 1), "the volume is 99.9% used (8.0 KiB free), not the 100.0% asked"},
		{"half a page short: no page fits", full, withFile(usage1G(gib-4096), 1), ""},
		{"no fill file", full, usage1G(gib), "the fill file is not in the volume"},
		{"half", fillPlan{req: fillRequest{percent: 50}, target: gib / 2}, withFile(usage1G(gib/2-4096), 1), ""},
		{"a size", fillPlan{req: fillRequest{bytes: 1 << 20}, bytes: 1 << 20}, withFile(usage1G(0), 1<<20), ""},
		{"a size, not written", fillPlan{req: fillRequest{bytes: 1 << 20}, bytes: 1 << 20}, withFile(usage1G(0), 4096), "the fill file holds 4.0 KiB, not the 1.0 MiB asked"},
	} {
		err := tc.p.took(tc.v)
		if (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: took = %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestParseUsage(t *testing.T) {
	v, err := parseUsage("vol 4096 262144 253696\npid 1796182274.567865655 ready\nfill 2048 512\n")
	if err != nil {
		t.Fatal(err)
	}
	want := volumeUsage{BlockSize: 4096, Blocks: 262144, Free: 253696, PIDMark: "1796182274.567865655 ready", FillBytes: 1 << 20}
	if v != want {
		t.Errorf("parseUsage = %+v, want %+v", v, want)
	}
	if got := v.pidChangedAt().UTC().Format("15:04:05.000"); got != "03:31:14.567" {
		t.Errorf("postmaster.pid changed at %s", got)
	}
	if v.Size() != gib || v.Used() != 33<<20 || percentDown(v.UsedPercent()) != "3.2%" {
		t.Errorf("size %d used %d (%s)", v.Size(), v.Used(), percentDown(v.UsedPercent()))
	}
	v, err = parseUsage("vol 4096 262144 0\npid -\nfill -")
	if err != nil || v.PIDMark != "" || v.FillBytes != -1 || percentDown(v.UsedPercent()) != "100.0%" {
		t.Errorf("no postmaster.pid, no fill: %+v, %v", v, err)
	}
	for _, bad := range []string{"", "vol 4096 262144\npid -\nfill -", "vol 4096 10 11\npid -\nfill -", "vol 4096 10 1\nfill -", "vol 4096 10 1\npid -\nfill x 512", "stat: cannot read file system information"} {
		if v, err := parseUsage(bad); err == nil {
			t.Errorf("parseUsage(%q) = %+v, want an error", bad, v)
		}
	}
}

func TestCheckVolume(t *testing.T) {
	n := &topology.Node{Name: "pg-primary", Volume: topology.PostgresData, VolumeSize: gib}
	if err := checkVolume(n, usage1G(0)); err != nil {
		t.Errorf("the node's own 1 GiB volume: %v", err)
	}
	// tmpfs rounds a size up to whole pages.
	odd := &topology.Node{Name: "pg-primary", Volume: topology.PostgresData, VolumeSize: gib - 100}
	if err := checkVolume(odd, usage1G(0)); err != nil {
		t.Errorf("a size rounded up to pages: %v", err)
	}
	host := volumeUsage{BlockSize: 4096, Blocks: 100 << 20, Free: 50 << 20}
	if err := checkVolume(n, host); err == nil || !strings.Contains(err.Error(), "is 400.0 GiB, not its 1.0 GiB data disk: refusing to fill it") {
		t.Errorf("a volume of another size: %v", err)
	}
	plain := &topology.Node{Name: "pg-primary", Volume: topology.PostgresData}
	if err := checkVolume(plain, usage1G(0)); err == nil || !strings.Contains(err.Error(), "no size-limited data volume") {
		t.Errorf("a volume that is not size-limited: %v", err)
	}
}

// The scripts are bash the sidecar runs: they parse, and take their
// values as arguments, never spliced into the text.
func TestDiskFillScripts(t *testing.T) {
	for name, script := range map[string]string{"fill": fillScript, "usage": usageScript} {
		if out, err := exec.Command("bash", "-n", "-c", script).CombinedOutput(); err != nil {
			t.Errorf("%s script: %v: %s", name, err, out)
		}
	}
	cmd := fillCommand("/var/lib/postgresql/data", "/var/lib/postgresql/data/.f", fillPlan{target: gib})
	if got := strings.Join(cmd[3:], " "); cmd[0] != "bash" || cmd[2] != fillScript || got != "disk-fill /var/lib/postgresql/data /var/lib/postgresql/data/.f percent 1073741824" {
		t.Errorf("fill command %q", cmd)
	}
	cmd = fillCommand("/d", "/d/.f", fillPlan{bytes: 4096})
	if got := strings.Join(cmd[3:], " "); got != "disk-fill /d /d/.f bytes 4096" {
		t.Errorf("fill command by size %q", got)
	}
	if f := fillFileName(topology.PostgresData); !strings.HasPrefix(f, topology.PostgresData+"/.firedrill-disk-fill-") || f == fillFileName(topology.PostgresData) {
		t.Errorf("fill file %q: want one of the injection's own in the volume", f)
	}
}

// runFill runs the fill script on this machine, by size (a percent of
// this machine's disk is for the integration tests, on a tmpfs of their
// own): its first line, and a way to send its input.
type runFill struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines *bufio.Scanner
}

func startFill(t *testing.T, dir, file string, bytes int64) *runFill {
	t.Helper()
	args := fillCommand(dir, file, fillPlan{bytes: bytes})
	cmd := exec.Command(args[0], args[1:]...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); _ = cmd.Wait() })
	return &runFill{cmd: cmd, in: in, lines: bufio.NewScanner(out)}
}

func (r *runFill) line(t *testing.T) string {
	t.Helper()
	if !r.lines.Scan() {
		t.Fatalf("the fill script ended: %v", r.lines.Err())
	}
	return r.lines.Text()
}

func TestFillScriptBySize(t *testing.T) {
	for _, release := range []string{"a line", "the end of its input"} {
		t.Run(release, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, ".firedrill-disk-fill-x")
			r := startFill(t, dir, file, 1<<20)
			if got := r.line(t); got != "held" {
				t.Fatalf("first line %q, want held", got)
			}
			if st, err := os.Stat(file); err != nil || st.Size() != 1<<20 {
				t.Fatalf("fill file: %v, %v", st, err)
			}
			if release == "a line" {
				fmt.Fprintln(r.in, "release")
			} else {
				r.in.Close() // the harness died
			}
			if got := r.line(t); !strings.HasPrefix(got, "released ") {
				t.Errorf("second line %q", got)
			}
			if _, err := os.Stat(file); !os.IsNotExist(err) {
				t.Errorf("the fill file is still there after the release: %v", err)
			}
		})
	}
}

func TestFillScriptFailures(t *testing.T) {
	dir := t.TempDir()
	// More than any disk: it says why and leaves no file behind.
	file := filepath.Join(dir, ".firedrill-disk-fill-big")
	r := startFill(t, dir, file, 1<<62)
	if got := r.line(t); got != "failed" {
		t.Fatalf("first line %q, want failed", got)
	}
	if got := r.line(t); !strings.Contains(got, "cannot write 4611686018427387904 bytes: only") {
		t.Errorf("reason %q", got)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a failed fill left its file: %v", err)
	}
	// A file of that name is never taken over, nor deleted.
	taken := filepath.Join(dir, "taken")
	if err := os.WriteFile(taken, []byte("someone's"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = startFill(t, dir, taken, 4096)
	if got := r.line(t); got != "failed" {
		t.Fatalf("first line %q, want failed", got)
	}
	if got := r.line(t); !strings.Contains(got, "cannot create the fill file") {
		t.Errorf("reason %q", got)
	}
	if b, err := os.ReadFile(taken); err != nil || string(b) != "someone's" {
		t.Errorf("the existing file was touched: %q, %v", b, err)
	}
}

func TestUsageScript(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, ".f")
	if err := os.WriteFile(file, make([]byte, 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	pid := "1\n/d\n1796182274\n5432\n/var/run/postgresql\n*\n  1  5\nready   \n"
	if err := os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte(pid), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(remove bool) volumeUsage {
		t.Helper()
		args := usageCommand(dir, file, remove)
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		v, err := parseUsage(string(out))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v := run(false)
	if v.FillBytes < 8192 || v.Blocks <= 0 || !strings.HasSuffix(v.PIDMark, " ready") || v.pidChangedAt().IsZero() {
		t.Errorf("usage %+v", v)
	}
	if v := run(true); v.FillBytes != -1 {
		t.Errorf("after remove the fill file is still there: %+v", v)
	}
}

// volumeModel is a fake Postgres data volume behind fakert's sidecars: it
// answers usageScript and applies fillScript as a tmpfs would.
type volumeModel struct {
	mu        sync.Mutex
	size      int64
	used      int64
	fill      int64 // -1: no fill file
	pidMark   string
	noEffect  bool // the fill script says held but writes nothing
	onRelease func()
}

func newVolumeModel(rt *fakert.Runtime, used int64) *volumeModel {
	m := &volumeModel{size: gib, used: used, fill: -1, pidMark: "1796182274.567865655 ready"}
	rt.HandleExec(func(node string, cmd []string) (platform.ExecResult, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		switch {
		case len(cmd) > 2 && cmd[2] == usageScript:
			if len(cmd) > 6 && cmd[6] == "remove" && m.fill >= 0 {
				m.used -= m.fill
				m.fill = -1
			}
			fill := "fill -"
			if m.fill >= 0 {
				fill = fmt.Sprintf("fill %d 512", m.fill/512)
			}
			return platform.ExecResult{Output: fmt.Sprintf("vol 4096 %d %d\npid %s\n%s", m.size/4096, (m.size-m.used)/4096, m.pidMark, fill)}, nil
		case len(cmd) > 2 && cmd[2] == fillScript:
			amount, _ := strconv.ParseInt(cmd[7], 10, 64)
			n := amount
			if cmd[6] == "percent" {
				n = amount - m.used
			}
			if m.noEffect {
				n = 0
			}
			m.fill, m.used = n, m.used+n
			return platform.ExecResult{Output: "held"}, nil
		}
		return platform.ExecResult{}, fmt.Errorf("unexpected command %q", cmd)
	})
	rt.OnCall(func(c fakert.Call) {
		if c.Op != fakert.OpRelease || !strings.Contains(c.Arg, fillScript) {
			return
		}
		m.mu.Lock()
		if m.fill >= 0 {
			m.used -= m.fill
			m.fill = -1
		}
		f := m.onRelease
		m.mu.Unlock()
		if f != nil {
			f()
		}
	})
	return m
}

// diskCall is a call on Postgres nodes with 1 GiB volumes; it also counts
// the Applied calls.
type diskCallT struct {
	*chaostest.Call
	applied, callsAtApplied int
}

func diskCall(rt *fakert.Runtime, names ...string) *diskCallT {
	c := &diskCallT{Call: chaostest.NewCall(rt, nil, names...), callsAtApplied: -1}
	c.Target.Applied = func() {
		c.applied++
		if c.callsAtApplied < 0 {
			c.callsAtApplied = len(rt.Calls())
		}
	}
	for _, n := range c.Target.Nodes {
		n.Kind, n.Volume, n.VolumeSize = topology.KindPostgres, topology.PostgresData, gib
	}
	return c
}

func TestDiskFill(t *testing.T) {
	rt := fakert.New("pg-primary")
	m := newVolumeModel(rt, 33<<20)
	c := diskCall(rt, "pg-primary")
	f := chaostest.NewFault(t, scenarios.ActionDiskFill, pct(100))
	ev, err := f.Inject(bg, c.Target)
	if err != nil {
		t.Fatal(err)
	}
	c.CheckInstant(t, fakert.OpHold)
	if c.applied != 1 || c.callsAtApplied != c.CallsAtApplying+1 {
		t.Errorf("the fill is certain once Hold returns, before it is measured: Applied %d times, after %d calls (Applying after %d)", c.applied, c.callsAtApplied, c.CallsAtApplying)
	}
	chaostest.WantEvidence(t, ev, `^pg-primary data volume 1\.0 GiB: 3\.2% used before, 100\.0% used during \(0 B free\)$`)
	chaostest.WantCall(t, rt, fakert.OpHold, "pg-primary", "percent 1073741824")
	if rt.Holding("pg-primary") != 1 {
		t.Errorf("%d fill sidecars held, want 1", rt.Holding("pg-primary"))
	}

	rt.ResetCalls()
	r := diskCall(rt, "pg-primary")
	rev, err := chaostest.AsReverter(t, f).Revert(bg, r.Target)
	if err != nil {
		t.Fatal(err)
	}
	r.CheckInstant(t, fakert.OpRelease)
	if r.applied != 1 || r.callsAtApplied != r.CallsAtApplying+1 {
		t.Errorf("the revert's effect is certain once the release returns: Applied %d times, after %d calls (Applying after %d)", r.applied, r.callsAtApplied, r.CallsAtApplying)
	}
	chaostest.WantEvidence(t, rev, `^pg-primary data volume 1\.0 GiB: fill file deleted, 3\.2% used after \(991\.0 MiB free\); Postgres ran throughout \(no crash, no restart\)$`)
	if m.fill != -1 || rt.Holding("pg-primary") != 0 {
		t.Errorf("after the revert: fill %d, %d sidecars held", m.fill, rt.Holding("pg-primary"))
	}
	if _, err := chaostest.AsReverter(t, f).Revert(bg, diskCall(rt, "pg-primary").Target); err != nil {
		t.Errorf("second revert: %v", err)
	}
}

func TestDiskFillBySize(t *testing.T) {
	rt := fakert.New("pg-r1")
	newVolumeModel(rt, 33<<20)
	f := chaostest.NewFault(t, scenarios.ActionDiskFill, scenarios.Params{Size: "512MiB"})
	ev, err := f.Inject(bg, diskCall(rt, "pg-r1").Target)
	if err != nil {
		t.Fatal(err)
	}
	chaostest.WantEvidence(t, ev, `^pg-r1 data volume 1\.0 GiB: 3\.2% used before, 53\.2% used during \(479\.0 MiB free\), filled by 512\.0 MiB$`)
	chaostest.WantCall(t, rt, fakert.OpHold, "pg-r1", "bytes 536870912")
}

// A fill that does not take the volume where it was asked is an error,
// and leaves nothing held.
func TestDiskFillWithoutEffect(t *testing.T) {
	rt := fakert.New("pg-primary")
	m := newVolumeModel(rt, 33<<20)
	m.noEffect = true
	f := chaostest.NewFault(t, scenarios.ActionDiskFill, pct(100))
	_, err := f.Inject(bg, diskCall(rt, "pg-primary").Target)
	if err == nil || !strings.Contains(err.Error(), "disk-fill did not take effect on pg-primary (asked to 100.0%): the volume is 3.2% used (991.0 MiB free), not the 100.0% asked") {
		t.Fatalf("Inject = %v", err)
	}
	if rt.Holding("pg-primary") != 0 {
		t.Error("a fill without effect is still held")
	}
	if _, err := chaostest.AsReverter(t, f).Revert(bg, diskCall(rt, "pg-primary").Target); err != nil {
		t.Errorf("revert after a failed inject: %v", err)
	}
}

func TestDiskFillRefuses(t *testing.T) {
	rt := fakert.New("pg-primary")
	newVolumeModel(rt, gib)
	// Already full: nothing to fill, nothing applied.
	c := diskCall(rt, "pg-primary")
	if _, err := chaostest.NewFault(t, scenarios.ActionDiskFill, pct(100)).Inject(bg, c.Target); err == nil || !strings.Contains(err.Error(), "already 100.0% used") {
		t.Errorf("a full volume: %v", err)
	}
	if c.Applying != 0 || len(rt.Calls(fakert.OpHold)) != 0 {
		t.Error("a fill with nothing to fill was applied")
	}
	// A volume that is not size-limited is never filled: it is the host's disk.
	rt.ResetCalls()
	plain := chaostest.NewCall(rt, nil, "pg-primary")
	plain.Target.Nodes[0].Volume = topology.PostgresData
	if _, err := chaostest.NewFault(t, scenarios.ActionDiskFill, pct(50)).Inject(bg, plain.Target); err == nil || !strings.Contains(err.Error(), "never the host's disk") {
		t.Errorf("a plain volume: %v", err)
	}
	if len(rt.Calls(fakert.OpHold, fakert.OpExec)) != 0 {
		t.Errorf("a plain volume was touched: %v", rt.Calls())
	}
}

// The revert says when Postgres did not run through the fill: it
// restarted after a crash (a PANIC), or exited.
func TestDiskFillRevertSaysPostgresCrashed(t *testing.T) {
	rt := fakert.New("pg-primary")
	m := newVolumeModel(rt, 33<<20)
	f := chaostest.NewFault(t, scenarios.ActionDiskFill, pct(100))
	if _, err := f.Inject(bg, diskCall(rt, "pg-primary").Target); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	m.pidMark = "1796182299.263864498 ready" // the postmaster restarted in place
	m.mu.Unlock()
	rev, err := chaostest.AsReverter(t, f).Revert(bg, diskCall(rt, "pg-primary").Target)
	if err != nil {
		t.Fatal(err)
	}
	chaostest.WantEvidence(t, rev, `Postgres crashed and restarted during the fill \(postmaster.pid rewritten at 03:31:39\.263\): a PANIC`)

	rt2 := fakert.New("pg-primary")
	newVolumeModel(rt2, 33<<20)
	f = chaostest.NewFault(t, scenarios.ActionDiskFill, pct(100))
	if _, err := f.Inject(bg, diskCall(rt2, "pg-primary").Target); err != nil {
		t.Fatal(err)
	}
	rt2.Set("pg-primary", platform.State{Status: platform.StatusExited, ExitCode: 1, FinishedAt: time.Date(2026, 12, 2, 3, 27, 45, 0, time.UTC)})
	c2 := diskCall(rt2, "pg-primary")
	c2.Target.Fences = chaostest.Fences{"pg-primary": "stop"}
	rev, err = chaostest.AsReverter(t, f).Revert(bg, c2.Target)
	if err != nil {
		t.Fatal(err)
	}
	chaostest.WantEvidence(t, rev, `^pg-primary exited \(code 1\) at 03:27:45\.000 during the fill: Postgres stopped on its own, as it does when it cannot write WAL or a checkpoint on a full disk \(a PANIC\); the failover manager fenced it \(stop\); its fill file deleted$`)
}
