package dr

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/firedrill/firedrill/dr/jobs"
	"github.com/firedrill/firedrill/platform"
)

// JobRunner runs a DR job inside the environment (docs/architecture.md,
// "The DR engine"): a sidecar in a node's network namespace, so that a
// partition or a storage outage hits the job as it would in production.
// platform.Runtime implements it.
type JobRunner interface {
	Exec(ctx context.Context, node string, cmd []string, opts ...platform.SidecarOption) (platform.ExecResult, error)
}

var _ JobRunner = platform.Runtime(nil)

// JobOutcome is what a job reported: its result, the backups it rejected
// and its phases, in the order it printed them.
type JobOutcome struct {
	Result   *jobs.Report
	Rejected []jobs.Report
	Phases   []jobs.Report
	// Err is why the job failed: the job's own error line, or the
	// sidecar's trouble, or its exit code with the end of its output.
	Err error
}

// RunJob runs `firedrill agent <args>` on node in the run's Postgres image
// (the job tools: pg_dump, pg_restore, pg_basebackup, and firedrill's
// binary) with env, and reads its report lines as they arrive: onReport,
// when set, is called with each one at once, so a caller can stamp phases
// on the drill's clock when they end rather than when the job does.
func RunJob(ctx context.Context, r JobRunner, node string, args []string, env map[string]string, onReport func(jobs.Report), opts ...platform.SidecarOption) JobOutcome {
	var (
		mu  sync.Mutex
		out JobOutcome
	)
	see := func(line string) {
		rep, ok := jobs.Parse(line)
		if !ok {
			return
		}
		mu.Lock()
		switch rep.Type {
		case jobs.TypeResult:
			out.Result = &rep
		case jobs.TypeError:
			out.Err = fmt.Errorf("%s", orText(rep.Detail, "the job failed and said nothing more"))
		case jobs.TypeRejected:
			out.Rejected = append(out.Rejected, rep)
		case jobs.TypePhase:
			out.Phases = append(out.Phases, rep)
		}
		mu.Unlock()
		if onReport != nil {
			onReport(rep)
		}
	}
	all := append([]platform.SidecarOption{platform.WithImage(platform.SidecarPostgres), platform.WithOutput(see)}, opts...)
	for k, v := range env {
		all = append(all, platform.WithEnv(k, v))
	}
	res, err := r.Exec(ctx, node, append([]string{"agent"}, args...), all...)
	mu.Lock()
	defer mu.Unlock()
	switch {
	case err != nil && out.Err == nil:
		out.Err = fmt.Errorf("job %s on %s: %w", strings.Join(args[:min(2, len(args))], " "), node, err)
	case err == nil && out.Result == nil && out.Err == nil:
		out.Err = fmt.Errorf("job %s on %s ended (exit code %d) without a result: %s",
			strings.Join(args[:min(2, len(args))], " "), node, res.ExitCode, lastLines(res.Output, 5))
	}
	if out.Err != nil {
		out.Result = nil
	}
	return out
}

func orText(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// lastLines is the end of a job's output, for an error that must say what
// went wrong without pasting a whole log.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
