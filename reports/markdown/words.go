package markdown

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/internal/human"
)

// The plain words of a drill's figures, unescaped: the Markdown tables
// escape them, and the JUnit report (reports/junit) writes them in its
// failure bodies, so that both say the same thing the same way. A figure
// that was not measured says so, never 0 (docs/measurement.md).

// ExitMeaning is what a drill's exit code says (README.md, "Exit codes").
func ExitMeaning(code int) string {
	switch code {
	case firedrill.ExitPass:
		return "every objective met"
	case firedrill.ExitFail:
		return "an objective missed, or an abort condition tripped with a fault in effect"
	case firedrill.ExitUsage:
		return "invalid scenario or usage"
	case firedrill.ExitInconclusive:
		return "inconclusive (not measured), or the infrastructure broke"
	case firedrill.ExitInterrupted:
		return "interrupted"
	}
	return "unknown exit code"
}

// FaultWhat is an injection's action, target and the nodes it hit: "kill
// postgres.primary → pg-primary".
func FaultWhat(f firedrill.FaultResult) string {
	what := strings.TrimSpace(f.Action + " " + f.Target)
	if len(f.Nodes) > 0 && (len(f.Nodes) > 1 || f.Nodes[0] != f.Target) {
		what += " → " + strings.Join(f.Nodes, ", ")
	}
	return what
}

// FaultRecovery says how an injection's outage ended: its RTO, or why it
// has none (docs/measurement.md, "RTO").
func FaultRecovery(f firedrill.FaultResult) string {
	switch f.Recovery {
	case firedrill.RecoveryRecovered:
		if f.RTOMS != nil {
			return human.Millis(*f.RTOMS)
		}
	case firedrill.RecoveryNever:
		return "never recovered"
	case firedrill.RecoveryUnconfirmed:
		if f.PendingMS != nil {
			return "unconfirmed: ok from " + human.Millis(*f.PendingMS) + ", the run ended first"
		}
		return "unconfirmed: the run ended first"
	case firedrill.RecoveryNoData:
		return "not measured: no write was sent after it"
	case firedrill.RecoveryOverlapped:
		if len(f.OverlapsWith) > 0 {
			return "overlapped with " + strings.Join(f.OverlapsWith, ", ") + ": no RTO of its own"
		}
		return "overlapped: no RTO of its own"
	case firedrill.RecoveryNotInjected:
		return withWhy("not injected", f.Error)
	case firedrill.RecoverySkipped:
		return withWhy("skipped", f.Error)
	}
	return "not measured"
}

func withWhy(what, why string) string {
	if why == "" {
		return what
	}
	return what + ": " + why
}

// FaultPhases are an injection's phases in the order they ended, each
// with its offset from the injection: "detect 1.5s".
func FaultPhases(f firedrill.FaultResult) []string {
	type phase struct {
		name string
		ms   float64
	}
	var ps []phase
	for name, ms := range f.Phases {
		ps = append(ps, phase{name, ms})
	}
	slices.SortFunc(ps, func(a, b phase) int { return cmp.Or(cmp.Compare(a.ms, b.ms), cmp.Compare(a.name, b.name)) })
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = phaseLabel(p.name) + " " + human.Millis(p.ms)
	}
	return out
}

// RestorePhases are a restore's phases in the order they began, each with
// its span: "download 1.2s".
func RestorePhases(r firedrill.RestoreResult) []string {
	names := make([]string, 0, len(r.Phases))
	for name := range r.Phases {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(r.Phases[a].AtMS, r.Phases[b].AtMS), cmp.Compare(a, b))
	})
	out := make([]string, len(names))
	for i, name := range names {
		out[i] = phaseLabel(name) + " " + human.Millis(r.Phases[name].SpanMS)
	}
	return out
}

func phaseLabel(name string) string { return strings.ReplaceAll(name, "_", " ") }

// FaultLost is the acknowledged writes an injection lost, with its RPO:
// "12 (RPO 1.19s)", "0", or "not measured" without a read-back.
func FaultLost(f firedrill.FaultResult) string {
	switch {
	case f.Lost == nil:
		if f.Recovery == firedrill.RecoverySkipped || f.Recovery == firedrill.RecoveryNotInjected {
			return "-"
		}
		return "not measured"
	case *f.Lost > 0 && f.RPOMS != nil:
		return fmt.Sprintf("%d (RPO %s)", *f.Lost, human.Millis(*f.RPOMS))
	}
	return fmt.Sprint(*f.Lost)
}

// FaultLine is one injection in a line: "f0 kill postgres.primary →
// pg-primary: RTO 6.01s; detect 1.5s, promote 2s; lost 12 (RPO 1.19s)".
func FaultLine(f firedrill.FaultResult) string {
	parts := []string{}
	rec := FaultRecovery(f)
	if f.Recovery == firedrill.RecoveryRecovered {
		rec = "RTO " + rec
	}
	parts = append(parts, rec)
	if ps := FaultPhases(f); len(ps) > 0 {
		parts = append(parts, strings.Join(ps, ", "))
	}
	if lost := FaultLost(f); lost != "-" {
		parts = append(parts, "lost "+lost)
	}
	return f.ID + " " + FaultWhat(f) + ": " + strings.Join(parts, "; ")
}

// Count is a count that may not have been measured.
func Count(n *int) string {
	if n == nil {
		return "not measured"
	}
	return fmt.Sprint(*n)
}
