package words

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/internal/human"
)

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

// FaultPhase is one phase of an injection: its key in a FaultResult's
// phases and the name the reports give it.
type FaultPhase struct{ Key, Label string }

// FaultPhaseOrder lists an injection's phases in the order they happen
// (docs/measurement.md, "RTO" and "Backups and restores").
var FaultPhaseOrder = []FaultPhase{
	{firedrill.PhaseDetect, "detect"}, {firedrill.PhaseFence, "fence"}, {firedrill.PhasePromote, "promote"},
	{firedrill.PhaseClassify, "classify"}, {firedrill.PhaseDownload, "download"}, {firedrill.PhaseRestore, "restore"},
	{firedrill.PhaseReplay, "replay"}, {firedrill.PhaseFirstWrite, "first write"}, {firedrill.PhaseFullRedundancy, "full redundancy"},
}

// FaultPhases are an injection's phases in FaultPhaseOrder (any other
// after them, by offset), each with its offset from the injection:
// "detect 1.5s".
func FaultPhases(f firedrill.FaultResult) []string {
	var out []string
	known := map[string]bool{}
	for _, p := range FaultPhaseOrder {
		known[p.Key] = true
		if ms, ok := f.Phases[p.Key]; ok {
			out = append(out, p.Label+" "+human.Millis(ms))
		}
	}
	var rest []string
	for name := range f.Phases {
		if !known[name] {
			rest = append(rest, name)
		}
	}
	slices.SortFunc(rest, func(a, b string) int { return cmp.Or(cmp.Compare(f.Phases[a], f.Phases[b]), cmp.Compare(a, b)) })
	for _, name := range rest {
		out = append(out, phaseLabel(name)+" "+human.Millis(f.Phases[name]))
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

// phaseLabel is the name the reports give a phase: a restore's as
// RestorePhaseOrder says, any other with spaces for underscores.
func phaseLabel(name string) string {
	for _, p := range RestorePhaseOrder {
		if p.Key == name {
			return p.Label
		}
	}
	return strings.ReplaceAll(name, "_", " ")
}

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

// Tone is what a mark means, for a format to colour it its own way (ANSI
// in a terminal, a CSS class in HTML).
type Tone int

// Tones.
const (
	Neutral Tone = iota // reported, not judged
	Good                // met, pass
	Bad                 // missed, fail
	Unsure              // no data, inconclusive
)

// StatusMark is an objective's mark: ✓ met, ✗ missed, ? no data, •
// reported.
func StatusMark(s firedrill.ObjectiveStatus) (string, Tone) {
	switch s {
	case firedrill.StatusMet:
		return "✓", Good
	case firedrill.StatusMissed:
		return "✗", Bad
	case firedrill.StatusNoData:
		return "?", Unsure
	}
	return "•", Neutral
}

// VerdictWord is a verdict in capitals: PASS, FAIL, INCONCLUSIVE.
func VerdictWord(v firedrill.Verdict) (string, Tone) {
	switch v {
	case firedrill.VerdictPass:
		return "PASS", Good
	case firedrill.VerdictFail:
		return "FAIL", Bad
	}
	return "INCONCLUSIVE", Unsure
}

// StatusCounts says how many objectives ended in each status, in a fixed
// order: "1 missed", "2 met", "1 no data", "1 reported".
func StatusCounts(objs []firedrill.ObjectiveResult) []string {
	n := map[firedrill.ObjectiveStatus]int{}
	for _, o := range objs {
		n[o.Status]++
	}
	var out []string
	for _, s := range []firedrill.ObjectiveStatus{firedrill.StatusMissed, firedrill.StatusMet, firedrill.StatusNoData, firedrill.StatusReported} {
		if n[s] > 0 {
			out = append(out, fmt.Sprintf("%d %s", n[s], strings.ReplaceAll(string(s), "-", " ")))
		}
	}
	return out
}

// RestorePhase is one phase of a restore: its key in a RestoreResult's
// phases and the name the reports give it.
type RestorePhase struct{ Key, Label string }

// RestorePhaseOrder lists a restore's phases in the order they happen
// (docs/measurement.md, "Backups and restores").
var RestorePhaseOrder = []RestorePhase{
	{"provision", "fresh node"}, {firedrill.PhaseDownload, "download"}, {firedrill.PhaseRestore, "restore"},
	{firedrill.PhaseReplay, "replay"}, {firedrill.PhaseFirstWrite, "first write"},
}

// Emoji is a tone as Markdown shows it: ✅, ❌, ⚠️, ℹ️.
func Emoji(t Tone) string {
	switch t {
	case Good:
		return "✅"
	case Bad:
		return "❌"
	case Unsure:
		return "⚠️"
	}
	return "ℹ️"
}
