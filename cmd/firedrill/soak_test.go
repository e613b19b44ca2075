//go:build integration && soak

package main

// The soak of docs/reliability.md (make soak): N drills, each interrupted at
// a random moment with SIGINT, SIGTERM or SIGKILL. After SIGINT or SIGTERM
// the run must have removed everything itself and exited 130; after SIGKILL
// a plain `firedrill clean` must remove everything. Leftovers are counted
// by the run id of the drill's header (a drill interrupted before its
// header has created nothing yet), so other runs on the Docker host do not
// disturb the count. It stops at the first leak, after writing the figures.

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	soakRuns   = flag.Int("soak.runs", 100, "drills to run and interrupt")
	soakSeed   = flag.Uint64("soak.seed", 0, "seed of the moments and signals (0: from the clock; printed)")
	soakWindow = flag.Duration("soak.window", 32*time.Second, "interrupt at a uniform moment in [0, window) after the start")
	soakReport = flag.String("soak.report", "", "also write the figures (Markdown) to this file")
)

// soakPhases are the progress lines that mark a drill's phases, in order:
// the last one seen when the signal is sent names the phase interrupted.
var soakPhases = []struct{ marker, phase string }{
	{"firedrill: drill ", "image resolution"},
	{"building image", "image build"},
	{"starting environment", "environment start"},
	{"drill running", "workload"},
	{"fault f0 (kill", "fault in effect"},
	{"before the read-back", "settle"}, // the runner's line, not the live status's "settling"
	{"read back", "after the read-back"},
	{"tearing down", "teardown"},
}

func soakPhase(stderr string) string {
	phase, at := "before start", -1
	for _, p := range soakPhases {
		if i := strings.LastIndex(stderr, p.marker); i > at {
			phase, at = p.phase, i
		}
	}
	return phase
}

type soakRun struct {
	sig     syscall.Signal
	at      time.Duration
	phase   string
	code    int
	left    int // objects left after the run (and, for SIGKILL, after clean)
	killedN int // for SIGKILL: objects the run left before clean
	note    string
}

func TestSoak(t *testing.T) {
	seed := *soakSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("soak: %d runs, seed %d (replay with -soak.seed %d)", *soakRuns, seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	signals := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL}
	var runs []soakRun
	start := time.Now()
	for i := range *soakRuns {
		r := soakRun{sig: signals[rng.IntN(len(signals))], at: time.Duration(rng.Int64N(int64(*soakWindow)))}
		cmd := exec.Command(bin, "run", "--out", t.TempDir(), shortDrill)
		var stderr syncBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var err error
		select {
		case err = <-exited:
			r.phase, r.note = "finished first", "the drill ended before the signal"
		case <-time.After(r.at):
			r.phase = soakPhase(stderr.String())
			_ = cmd.Process.Signal(r.sig)
			err = <-exited
		}
		r.code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err == nil {
			r.code = 0
		}
		var left []string
		if id := runIDFrom(stderr.String()); id != "" {
			var lerr error
			if left, lerr = leftovers(id); lerr != nil {
				t.Fatal(lerr)
			}
			if r.sig == syscall.SIGKILL && r.note == "" {
				r.killedN = len(left)
				if left, lerr = soakClean(id); lerr != nil {
					t.Fatal(lerr)
				}
			}
		}
		r.left = len(left)
		runs = append(runs, r)
		t.Logf("run %3d: %-7s at %5.1fs (%s): exit %d, left %d%s", i+1, sigName(r.sig), r.at.Seconds(), r.phase, r.code, r.left,
			map[bool]string{true: fmt.Sprintf(" (SIGKILL left %d, removed by firedrill clean)", r.killedN), false: ""}[r.killedN > 0])
		if r.left > 0 {
			t.Errorf("run %d leaked: %v\nstderr:\n%s", i+1, left, tail(stderr.String(), 30))
			break
		}
		if r.note == "" && r.sig != syscall.SIGKILL && r.code != 130 {
			t.Errorf("run %d: exit %d after %s, want 130\nstderr:\n%s", i+1, r.code, sigName(r.sig), tail(stderr.String(), 30))
		}
	}
	report := soakFigures(runs, seed, time.Since(start))
	t.Log("\n" + report)
	if *soakReport != "" {
		if err := os.WriteFile(*soakReport, []byte(report), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// soakClean runs `firedrill clean` (no --run: the dead run must be told
// from a live one by its lease) until nothing is left or 30 s pass: Docker
// may take a moment to see the killed harness's connection close.
func soakClean(runID string) ([]string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if out, err := exec.Command(bin, "clean").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("firedrill clean: %v\n%s", err, out)
		}
		left, err := leftovers(runID)
		if err != nil || len(left) == 0 || time.Now().After(deadline) {
			return left, err
		}
		time.Sleep(time.Second)
	}
}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGKILL:
		return "SIGKILL"
	}
	return s.String()
}

// soakFigures is the Markdown of docs/reliability.md.
func soakFigures(runs []soakRun, seed uint64, took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d runs in %s, seed %d (`make soak SOAK_RUNS=%d`, replay: `go test -tags 'integration soak' -run '^TestSoak$' -v ./cmd/firedrill/ -soak.runs %d -soak.seed %d`)\n\n",
		len(runs), took.Round(time.Second), seed, len(runs), len(runs), seed)
	fmt.Fprintf(&b, "| signal | runs | interrupted | exit 130 | other exits | left after the run | left after `firedrill clean` |\n|---|---|---|---|---|---|---|\n")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		var n, interrupted, c130, left, leftClean int
		var other []string
		for _, r := range runs {
			if r.sig != sig {
				continue
			}
			n++
			if r.note != "" {
				other = append(other, fmt.Sprintf("%d (finished first)", r.code))
				continue
			}
			interrupted++
			switch {
			case sig == syscall.SIGKILL:
				left += r.killedN
				leftClean += r.left
			case r.code == 130:
				c130++
				left += r.left
			default:
				other = append(other, fmt.Sprint(r.code))
				left += r.left
			}
		}
		c130s, cleanCol := fmt.Sprint(c130), "—"
		if sig == syscall.SIGKILL {
			c130s = "— (killed)"
			cleanCol = fmt.Sprint(leftClean)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %d | %s |\n", sigName(sig), n, interrupted, c130s, orNone(other), left, cleanCol)
	}
	phases := map[string]int{}
	for _, r := range runs {
		phases[r.phase]++
	}
	var names []string
	for p := range phases {
		names = append(names, p)
	}
	slices.Sort(names)
	fmt.Fprintf(&b, "\nPhase at the signal: ")
	for i, p := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", p, phases[p])
	}
	b.WriteString("\n")
	return b.String()
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
