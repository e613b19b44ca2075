package drill

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/firedrill/firedrill/scenarios"
)

// WritePlanText writes p for a person: what `firedrill plan` prints without
// --json. A scenario's own text is written as it is: the caller escapes
// it for a terminal before NewPlan (cmd/firedrill does).
func WritePlanText(w io.Writer, p Plan) error {
	b := &strings.Builder{}
	var tw *tabwriter.Writer
	table := func() { tw = tabwriter.NewWriter(b, 0, 4, 2, ' ', 0) }
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }

	line("plan of drill %s (%s)", p.Scenario, p.File)
	for _, l := range wrap(p.Description, 76) {
		line("  %s", l)
	}
	line("  nothing has been started; %s stands for the run id each run chooses", p.RunID)

	line("\ntopology")
	table()
	byName := map[string]PlanNode{}
	for _, n := range p.Topology.Nodes {
		byName[n.Name] = n
	}
	for _, r := range p.Topology.Regions {
		fmt.Fprintf(tw, "  region %s\tnetwork %s\t\t\n", r.Name, r.Network)
		for _, name := range r.Nodes {
			n := byName[name]
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s%s\n", n.Name, n.Role, n.Container, portList(n.Ports), labelText(n.Labels))
		}
	}
	fmt.Fprintf(tw, "  wan\tnetwork %s\t\t\n", p.Topology.WAN)
	tw.Flush()
	line("  every node joins its region's network and the wan; ports are published on")
	line("  127.0.0.1 only, each on a host port Docker picks at start (<any>)")
	for _, n := range p.Topology.Nodes {
		if n.Volume != "" {
			line("  %s keeps its data on volume %s%s", n.Name, n.Volume, diskSize(n.VolumeBytes))
		}
	}
	for _, n := range p.Topology.Nodes {
		if len(n.EnvNames) > 0 {
			line("  %s environment: %s", n.Name, strings.Join(n.EnvNames, ", "))
		}
	}

	line("\nimages (looked up only: plan never pulls or builds)")
	table()
	for _, im := range p.Images {
		want := cmp.Or(im.Want, "(built-in)")
		if im.Lease {
			want = "(firedrill's own, for the run's lease)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", im.Role, want, im.Detail)
	}
	tw.Flush()

	line("\ndr engine")
	if len(p.DR.Backups) == 0 {
		line("  backups   none")
	}
	for i, bk := range p.DR.Backups {
		wal := ""
		if bk.ArchiveTimeout != "" {
			wal = ", WAL archived from every Postgres node (archive_timeout " + bk.ArchiveTimeout + ")"
		}
		line("  %s%s every %s, keeping the newest %d, to %s%s", first(i, "backups   "), bk.Kind, bk.Every, bk.Keep, bk.To, wal)
	}
	fo := p.DR.Failover
	switch {
	case fo.Patroni != nil:
		pa := fo.Patroni
		line("  failover  patroni (etcd as its store): ttl %s, loop_wait %s, retry_timeout %s,", pa.TTL, pa.LoopWait, pa.RetryTimeout)
		line("            maximum_lag_on_failover %d bytes; candidates: %s", pa.MaximumLagOnFailover, listOr(fo.Candidates, "none"))
	case fo.PgAutoFailover != nil:
		pg := fo.PgAutoFailover
		line("  failover  pg_auto_failover (its monitor): health_check_period %s, health_check_timeout %s,", pg.HealthCheckPeriod, pg.HealthCheckTimeout)
		line("            health_check_max_retries %d, health_check_retry_delay %s,", pg.HealthCheckMaxRetries, pg.HealthCheckRetryDelay)
		line("            node_considered_unhealthy_timeout %s; candidates: %s", pg.NodeConsideredUnhealthyTimeout, listOr(fo.Candidates, "none"))
	case fo.Enabled:
		line("  failover  enabled: health check of the primary every %s, each at most %s;", fo.CheckInterval, fo.CheckTimeout)
		line("            acts after %d failed checks in a row; fencing %s; promotes the most", fo.FailuresBeforeAction, fo.Fencing)
		line("            advanced reachable standby of: %s", listOr(fo.Candidates, "none"))
	default:
		line("  failover  disabled (check every %s, timeout %s, after %d failures, fencing %s: unused)",
			fo.CheckInterval, fo.CheckTimeout, fo.FailuresBeforeAction, fo.Fencing)
	}
	if len(p.DR.Recovery) == 0 && fo.Enabled {
		line("  recovery  no plans (failures are left to the failover manager)")
	} else if len(p.DR.Recovery) == 0 {
		line("  recovery  no plans")
	}
	for i, r := range p.DR.Recovery {
		line("  %s%s: %s", first(i, "recovery  "), r.FailureType, strings.Join(r.Steps, " -> "))
	}
	if p.DR.RecoveryTarget != "" {
		line("            restore-point-in-time recovers to: %s", p.DR.RecoveryTarget)
	}
	for i, n := range p.DR.Notify {
		line("  %s%s (%s) on %s", first(i, "notify    "), n.To, n.Format, strings.Join(n.Events, ", "))
	}

	wl := p.Workload
	line("\nworkload")
	line("  %g writes/s and %g reads/s, open loop (a constant arrival rate, never retried)", wl.WritesPerSecond, wl.ReadsPerSecond)
	line("  timeout %s (a write unanswered by then is indeterminate, never counted lost)", wl.Timeout)
	line("  stability window %s (writes must keep succeeding this long for a recovery to count)", wl.StabilityWindow)

	line("\ntimeline %s, then revert what is still active, settle and read back every acknowledged write", p.Timeline.Duration)
	if len(p.Timeline.Faults) == 0 {
		line("  no scheduled faults")
	} else {
		table()
		fmt.Fprintf(tw, "  #\tat\taction\ttarget\tfor\tparams\tresolved at injection\n")
		for _, f := range p.Timeline.Faults {
			target := f.Target
			if f.Selector != nil {
				target = selectorText(*f.Selector)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Index, f.At, f.Action, target, faultFor(f), paramText(f.Params), f.Resolution)
		}
		tw.Flush()
	}

	if m := p.Monkey; m != nil {
		line("\nmonkey %s", map[bool]string{true: "enabled", false: "disabled (settings below unused)"}[m.Enabled])
		if m.Seed != "" {
			line("  seed %s (firedrill run --seed overrides it)", m.Seed)
		} else {
			line("  seed chosen when the run starts and recorded in run.json (firedrill run --seed fixes it)")
		}
		line("  a random fault every %s on average, between %s and %s, at most %d at once", m.MeanInterval, m.Start, m.End, m.MaxAtOnce)
		line("  actions %s", listOr(m.Actions, "none"))
		if len(m.Targets) > 0 {
			line("  targets %s", strings.Join(m.Targets, ", "))
		}
		for _, s := range m.Selectors {
			line("  %s (at the start matches %s)", selectorText(s), listOr(s.Matches, "none"))
		}
		if m.FaultDuration != "" {
			line("  each reversible fault lasts %s", m.FaultDuration)
		}
		writeMonkeySchedule(b, m)
	}

	if len(p.Abort) > 0 {
		line("\nabort the drill when any of these holds")
		for _, a := range p.Abort {
			hold := ""
			if a.For != "0s" {
				hold = " for " + a.For
			}
			line("  %s %s%s", a.Metric, a.Condition, hold)
		}
	}

	o := p.Objectives
	line("\nobjectives")
	table()
	fmt.Fprintf(tw, "  rto\t%s\n  rpo\t%s\n  lost writes\t%s\n", objective(o.RTO, " per fault"), objective(o.RPO, ""), objective(o.LostWrites, ""))
	tw.Flush()
	for _, f := range p.Timeline.Faults {
		if f.RTO != o.RTO || f.RPO != o.RPO {
			line("  fault #%d: rto %s, rpo %s", f.Index, objective(f.RTO, ""), objective(f.RPO, ""))
		}
	}

	bu := p.Budget
	line("\nfailover budget")
	if !bu.FailoverEnabled {
		line("  failover disabled: no automatic recovery")
	} else {
		line("  worst-case detection %s = %s", bu.Detection, bu.Formula)
		if len(bu.Checks) == 0 {
			line("  no RTO objective to compare with")
		}
		for _, c := range bu.Checks {
			who := "rto"
			if c.Fault >= 0 {
				who = fmt.Sprintf("fault #%d rto", c.Fault)
			}
			switch {
			case !c.HitsPrimary:
				line("  %s %s: no fault on the primary, failover not expected", who, c.RTO)
			case c.Exceeds:
				line("  %s %s: detection alone uses it all", who, c.RTO)
			default:
				line("  %s %s leaves %s for fencing, promotion, rerouting and the first write", who, c.RTO, c.Remaining)
			}
		}
	}

	if len(p.Unimplemented) > 0 {
		line("\nnot runnable by this build ('firedrill run' refuses it)")
		for _, u := range p.Unimplemented {
			line("  %s", u)
		}
	}
	if len(p.Warnings)+len(p.ScenarioWarnings) > 0 {
		line("")
	}
	for _, wr := range p.Warnings {
		line("warning: %s", wr)
	}
	for _, wr := range p.ScenarioWarnings {
		line("%s", wr)
	}
	// Tab-aligned rows pad their empty last cells: trim every line.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// writeMonkeySchedule lists the monkey's faults as the run injects them
// with the plan's seed, or says how to see them.
func writeMonkeySchedule(b *strings.Builder, m *PlanMonkey) {
	switch {
	case m.ScheduleSeed == "":
		fmt.Fprintf(b, "  its faults depend on the seed: firedrill plan --seed N lists those firedrill run --seed N injects\n")
		return
	case len(m.Schedule) == 0:
		fmt.Fprintf(b, "  with seed %s no fault falls in the window\n", m.ScheduleSeed)
		return
	}
	fmt.Fprintf(b, "  with seed %s it injects these (firedrill run --seed %s replays them; each target is\n", m.ScheduleSeed, m.ScheduleSeed)
	fmt.Fprintf(b, "  resolved at injection; a fault is skipped if max_at_once (%d) are still in effect):\n", m.MaxAtOnce)
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "    id\tat\taction\ttarget\tfor\tparams\n")
	for _, in := range m.Schedule {
		target := in.Target
		if in.Selector != nil {
			target = selectorText(*in.Selector) // its matches are on the selector's line above
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.At, in.Action, target, cmp.Or(in.For, "- (permanent)"), paramText(in.Params))
	}
	tw.Flush()
}

// first is label on the first line of a list and as many spaces after.
func first(i int, label string) string {
	if i == 0 {
		return label
	}
	return strings.Repeat(" ", len(label))
}

// wrap splits s into lines of at most width characters, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines, line = append(lines, line), ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// selectorText writes a selector as the language's Selector.String does.
func selectorText(s PlanSelector) string {
	return scenarios.Selector{Role: s.Role, Region: s.Region, Labels: s.Labels, Mode: s.Mode}.String()
}

// diskSize says a size-limited volume's size: a tmpfs, so memory.
func diskSize(bytes int64) string {
	if bytes <= 0 {
		return ""
	}
	return " (" + scenarios.FormatSize(bytes) + " disk, tmpfs: memory)"
}

func portList(ports []PlanPort) string {
	var parts []string
	for _, p := range ports {
		parts = append(parts, fmt.Sprintf("%s %s -> %s", p.Purpose, p.Container, p.Host))
	}
	return strings.Join(parts, ", ")
}

func labelText(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	return "  labels " + pairs(labels, ",")
}

// pairs writes k=v for each key, sorted, joined by sep.
func pairs(m map[string]string, sep string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, sep)
}

func paramText(params map[string]string) string {
	return cmp.Or(pairs(params, " "), "-")
}

func faultFor(f PlanFault) string {
	switch {
	case f.For != "":
		return f.For
	case !f.Reversible:
		return "- (permanent)"
	}
	return "-"
}

func objective(v, suffix string) string {
	if v == "report" {
		return "report only"
	}
	return "<= " + v + suffix
}

func listOr(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	return strings.Join(xs, ", ")
}
