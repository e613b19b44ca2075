package dr

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/dr/jobs"
	"github.com/firedrill/firedrill/dr/store"
	"github.com/firedrill/firedrill/platform"
)

// jobCall is one Exec a fakeJobs saw, with its options applied.
type jobCall struct {
	Node string
	Cmd  []string
	Cfg  platform.SidecarConfig
}

// fakeJobs is a JobRunner whose jobs print the lines script returns,
// through the WithOutput callback as a sidecar streams them
// (docs/architecture.md, "The DR engine"), then end as script says.
type fakeJobs struct {
	script func(ctx context.Context, c jobCall, print func(string)) (platform.ExecResult, error)

	mu    sync.Mutex
	calls []jobCall
}

func (f *fakeJobs) Exec(ctx context.Context, node string, cmd []string, opts ...platform.SidecarOption) (platform.ExecResult, error) {
	c := jobCall{Node: node, Cmd: slices.Clone(cmd), Cfg: platform.NewSidecarConfig(opts...)}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	var out strings.Builder
	print := func(line string) {
		out.WriteString(line + "\n")
		if c.Cfg.Output != nil {
			c.Cfg.Output(line)
		}
	}
	res, err := f.script(ctx, c, print)
	if res.Output == "" {
		res.Output = out.String()
	}
	return res, err
}

func (f *fakeJobs) Calls() []jobCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// reportLine is r as the job prints it.
func reportLine(t testing.TB, r jobs.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := jobs.Emit(&b, r); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// printing is a script that prints lines and exits 0.
func printing(lines ...string) func(context.Context, jobCall, func(string)) (platform.ExecResult, error) {
	return func(_ context.Context, _ jobCall, print func(string)) (platform.ExecResult, error) {
		for _, l := range lines {
			print(l)
		}
		return platform.ExecResult{}, nil
	}
}

func TestRunJobReadsReportsAsTheyStream(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	m := &store.Manifest{ID: "b1", Kind: store.KindLogical, Size: 42}
	lines := []string{
		"free text from pg_dump",
		"2024-05-01T12:00:00Z " + reportLine(t, jobs.Report{Type: jobs.TypePhase, Phase: jobs.PhaseDownload, Start: t0, End: t0.Add(time.Second)}),
		reportLine(t, jobs.Report{Type: jobs.TypeRejected, BackupID: "b2", Detail: "checksum mismatch"}),
		"FIREDRILL-JOB {not json",
		reportLine(t, jobs.Report{Type: jobs.TypePhase, Phase: jobs.PhaseRestore, Start: t0.Add(time.Second), End: t0.Add(3 * time.Second)}),
		reportLine(t, jobs.Report{Type: jobs.TypeResult, BackupID: "b1", Manifest: m}),
	}
	f := &fakeJobs{script: printing(lines...)}
	var seen []string
	out := RunJob(context.Background(), f, "app", []string{"restore", "logical"}, map[string]string{"K": "secret"},
		func(r jobs.Report) { seen = append(seen, r.Type+":"+r.Phase) })
	if out.Err != nil {
		t.Fatalf("Err = %v", out.Err)
	}
	if want := []string{"phase:download", "rejected:", "phase:restore", "result:"}; !slices.Equal(seen, want) {
		t.Errorf("onReport saw %v, want %v (free text and bad JSON skipped)", seen, want)
	}
	if out.Result == nil || out.Result.Manifest == nil || out.Result.Manifest.ID != "b1" {
		t.Errorf("Result = %+v, want the result with manifest b1", out.Result)
	}
	if len(out.Rejected) != 1 || out.Rejected[0].BackupID != "b2" || len(out.Phases) != 2 || out.Phases[1].Phase != jobs.PhaseRestore {
		t.Errorf("Rejected %+v Phases %+v", out.Rejected, out.Phases)
	}
	calls := f.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d Exec calls, want 1", len(calls))
	}
	c := calls[0]
	if c.Node != "app" || !slices.Equal(c.Cmd, []string{"agent", "restore", "logical"}) {
		t.Errorf("Exec(%s, %v), want app, agent restore logical", c.Node, c.Cmd)
	}
	if c.Cfg.Image != platform.SidecarPostgres || c.Cfg.Env["K"] != "secret" || c.Cfg.Volume {
		t.Errorf("sidecar %+v, want the Postgres image with the job's env and no volume", c.Cfg)
	}
}

func TestRunJobPassesOptions(t *testing.T) {
	f := &fakeJobs{script: printing(reportLine(t, jobs.Report{Type: jobs.TypeResult}))}
	if out := RunJob(context.Background(), f, "app", []string{"backup", "files"}, nil, nil, platform.WithVolume()); out.Err != nil {
		t.Fatal(out.Err)
	}
	if !f.Calls()[0].Cfg.Volume {
		t.Error("WithVolume was not passed to the sidecar")
	}
}

func TestRunJobErrors(t *testing.T) {
	result := reportLine(t, jobs.Report{Type: jobs.TypeResult, BackupID: "b1"})
	for _, tc := range []struct {
		name   string
		script func(context.Context, jobCall, func(string)) (platform.ExecResult, error)
		want   string
	}{
		{"the job's error line", printing(reportLine(t, jobs.Report{Type: jobs.TypeError, Detail: "pg_dump: connection refused"})),
			"pg_dump: connection refused"},
		{"an error line without a word", printing(reportLine(t, jobs.Report{Type: jobs.TypeError})), "said nothing more"},
		{"an error line beats a result", printing(reportLine(t, jobs.Report{Type: jobs.TypeError, Detail: "upload failed"}), result),
			"upload failed"},
		{"the sidecar's trouble", func(context.Context, jobCall, func(string)) (platform.ExecResult, error) {
			return platform.ExecResult{}, errors.New("no such image")
		}, "job backup logical on app: no such image"},
		{"the sidecar's trouble after a result", func(_ context.Context, _ jobCall, print func(string)) (platform.ExecResult, error) {
			print(result)
			return platform.ExecResult{}, errors.New("remove sidecar: timeout")
		}, "remove sidecar: timeout"},
		{"the job's error line over the sidecar's", func(_ context.Context, _ jobCall, print func(string)) (platform.ExecResult, error) {
			print(reportLine(t, jobs.Report{Type: jobs.TypeError, Detail: "bucket gone"}))
			return platform.ExecResult{ExitCode: 1}, errors.New("exit 1")
		}, "bucket gone"},
		{"no result line", func(_ context.Context, _ jobCall, print func(string)) (platform.ExecResult, error) {
			for _, l := range []string{"a", "b", "c", "d", "e", "f", "panic: boom"} {
				print(l)
			}
			return platform.ExecResult{ExitCode: 2}, nil
		}, "job backup logical on app ended (exit code 2) without a result: c | d | e | f | panic: boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := RunJob(context.Background(), &fakeJobs{script: tc.script}, "app", []string{"backup", "logical", "--id", "x"}, nil, nil)
			if out.Err == nil || !strings.Contains(out.Err.Error(), tc.want) {
				t.Fatalf("Err = %v, want it to say %q", out.Err, tc.want)
			}
			if out.Result != nil {
				t.Errorf("Result = %+v beside an error, want nil", out.Result)
			}
		})
	}
}
