package firedrill

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

type fakeWorkload struct {
	mu            sync.Mutex
	started, done time.Duration
	tl            *Timeline
}

func (w *fakeWorkload) Run(ctx context.Context) error {
	w.mu.Lock()
	w.started = w.tl.Now()
	w.mu.Unlock()
	<-ctx.Done()
	w.mu.Lock()
	w.done = w.tl.Now()
	w.mu.Unlock()
	return nil
}

type fakeInjector struct {
	tl       *Timeline
	injected []time.Duration
	fail     map[string]bool
	reverted bool
}

func (f *fakeInjector) Inject(ctx context.Context, fault scenarios.Fault) (string, error) {
	f.injected = append(f.injected, f.tl.Now())
	if f.fail[fault.Target] {
		return "", errors.New("boom")
	}
	return "node-of-" + fault.Target, nil
}

func (f *fakeInjector) RevertAll(context.Context) error { f.reverted = true; return nil }

type fakeVerifier struct {
	at  time.Duration
	tl  *Timeline
	err error
}

func (v *fakeVerifier) ReadBack(context.Context) (map[string]bool, string, error) {
	v.at = v.tl.Now()
	if v.err != nil {
		return nil, "", v.err
	}
	return map[string]bool{"a": true}, "pg-x", nil
}

func scenarioWith(d time.Duration, faults ...scenarios.Fault) *scenarios.Scenario {
	s := &scenarios.Scenario{}
	s.Timeline.Duration = scenarios.Duration{Duration: d}
	s.Timeline.Faults = faults
	return s
}

func fault(at time.Duration, target string) scenarios.Fault {
	return scenarios.Fault{At: scenarios.Duration{Duration: at}, Action: "kill", Target: target}
}

func TestRunnerSequencesTheDrill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tl := NewTimeline()
		wl := &fakeWorkload{tl: tl}
		inj := &fakeInjector{tl: tl, fail: map[string]bool{"bad": true}}
		ver := &fakeVerifier{tl: tl}
		r := &Runner{
			Scenario: scenarioWith(60*time.Second, fault(30*time.Second, "late"), fault(15*time.Second, "early"), fault(40*time.Second, "bad")),
			Timeline: tl, Workload: wl, Injector: inj, Verifier: ver, Settle: 3 * time.Second,
		}
		rec, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// Faults run in time order whatever their order in the file.
		if len(inj.injected) != 3 || inj.injected[0] != 15*time.Second || inj.injected[1] != 30*time.Second {
			t.Fatalf("injected at %v", inj.injected)
		}
		if wl.started != 0 || wl.done != 60*time.Second || rec.Duration != 60*time.Second {
			t.Errorf("workload ran %v..%v, recording duration %v; want 0..60s", wl.started, wl.done, rec.Duration)
		}
		if !inj.reverted {
			t.Error("faults not reverted")
		}
		if ver.at != 63*time.Second {
			t.Errorf("read-back at %v, want after the 3s settle (63s)", ver.at)
		}
		if !rec.ReadBack["a"] || rec.ReadFrom != "pg-x" {
			t.Errorf("read-back not recorded: %+v", rec)
		}
		var injected, failed int
		for _, e := range rec.Events {
			switch e.Kind {
			case EventFaultInjected:
				injected++
				if e.Fault == 1 && (e.Target != "node-of-early" || e.At != 15*time.Second) {
					t.Errorf("early fault event %+v", e)
				}
			case EventFaultFailed:
				failed++
				if e.Fault != 2 {
					t.Errorf("failed fault index %d, want 2", e.Fault)
				}
			}
		}
		if injected != 2 || failed != 1 {
			t.Errorf("%d injected, %d failed events; want 2 and 1", injected, failed)
		}
	})
}

func TestRunnerInterrupted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tl := NewTimeline()
		wl := &fakeWorkload{tl: tl}
		inj := &fakeInjector{tl: tl}
		ver := &fakeVerifier{tl: tl}
		r := &Runner{Scenario: scenarioWith(60*time.Second, fault(30*time.Second, "x")), Timeline: tl,
			Workload: wl, Injector: inj, Verifier: ver}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		rec, err := r.Run(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the context's error", err)
		}
		if rec == nil || rec.Duration != 20*time.Second || wl.done != 20*time.Second {
			t.Fatalf("recording %+v, workload done at %v", rec, wl.done)
		}
		if len(inj.injected) != 0 || ver.at != 0 {
			t.Fatal("an interrupted drill went on injecting or verifying")
		}
	})
}

func TestRunnerReadBackFailureIsRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tl := NewTimeline()
		r := &Runner{Scenario: scenarioWith(time.Second), Timeline: tl, Workload: &fakeWorkload{tl: tl},
			Injector: &fakeInjector{tl: tl}, Verifier: &fakeVerifier{tl: tl, err: errors.New("no primary")}}
		rec, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if rec.ReadBack != nil || rec.ReadBackErr == nil {
			t.Fatalf("read-back failure lost: %+v", rec)
		}
	})
}

func TestLedgerJSONLRoundTrip(t *testing.T) {
	ops := []Op{
		{ID: "r-1", Seq: 1, Kind: "write", Sent: 20 * time.Millisecond, Done: 35500 * time.Microsecond, Outcome: OutcomeOK, Node: "pg-primary"},
		{ID: "r-2", Seq: 2, Kind: "write", Sent: 40 * time.Millisecond, Done: time.Second, Outcome: OutcomeIndeterminate, Error: "timeout"},
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, ops); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"acked_ms":35.5`)) || !bytes.Contains(buf.Bytes(), []byte(`"acked_ms":null`)) {
		t.Fatalf("ledger lines lack acked_ms:\n%s", buf.String())
	}
	got, err := ReadJSONL(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != ops[0] || got[1] != ops[1] {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, ops)
	}
}

func TestVerdictExitCodes(t *testing.T) {
	for v, want := range map[Verdict]int{VerdictPass: 0, VerdictFail: 1, VerdictInconclusive: 3, "": 3} {
		if got := v.ExitCode(); got != want {
			t.Errorf("%q.ExitCode() = %d, want %d", v, got, want)
		}
	}
}

type panickingWorkload struct{}

func (panickingWorkload) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
	panic("probe exploded")
}

// A panic in the workload ends the drill with an error instead of killing
// the process, so the caller can still tear the environment down.
func TestRunnerSurvivesWorkloadPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tl := NewTimeline()
		inj := &fakeInjector{tl: tl}
		ver := &fakeVerifier{tl: tl}
		r := &Runner{Scenario: scenarioWith(60*time.Second, fault(30*time.Second, "x")), Timeline: tl,
			Workload: panickingWorkload{}, Injector: inj, Verifier: ver}
		rec, err := r.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "workload panicked: probe exploded") {
			t.Fatalf("err = %v, want the workload's panic", err)
		}
		if rec == nil || len(inj.injected) != 0 || ver.at != 0 {
			t.Fatalf("the drill went on after the panic: recording %+v, injected %v", rec, inj.injected)
		}
	})
}
