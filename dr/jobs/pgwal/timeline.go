package pgwal

import (
	"fmt"
	"strconv"
	"strings"
)

// TimelineSwitch is one line of a timeline history file: timeline
// Timeline ended at LSN Switch, where its child began.
type TimelineSwitch struct {
	Timeline uint32
	Switch   LSN
	Reason   string
}

// ParseTimelineHistory reads a timeline history file (<tli>.history): one
// line per ancestor, oldest first, "parentTLI<tab>switchpoint<tab>reason";
// blank lines and # comments are allowed, as Postgres allows them.
func ParseTimelineHistory(text string) ([]TimelineSwitch, error) {
	var out []TimelineSwitch
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) < 2 {
			fields = strings.Fields(line)
		}
		if len(fields) < 2 {
			return nil, fmt.Errorf("timeline history line %d: %q: want timeline and switch point", i+1, line)
		}
		tli, err := strconv.ParseUint(strings.TrimSpace(fields[0]), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("timeline history line %d: timeline %q", i+1, fields[0])
		}
		lsn, err := ParseLSN(fields[1])
		if err != nil {
			return nil, fmt.Errorf("timeline history line %d: %w", i+1, err)
		}
		// Only the timelines must increase, as Postgres checks: a
		// recovery that stopped on an ancestor before the newest timeline
		// branched writes its parent's history with a smaller switch point
		// after it.
		if len(out) > 0 && uint32(tli) <= out[len(out)-1].Timeline {
			return nil, fmt.Errorf("timeline history line %d: timelines must increase", i+1)
		}
		sw := TimelineSwitch{Timeline: uint32(tli), Switch: lsn}
		if len(fields) == 3 {
			sw.Reason = strings.TrimSpace(fields[2])
		}
		out = append(out, sw)
	}
	return out, nil
}

// FollowsTo reports whether recovery can go from a base backup taken on
// timeline tli, consistent at stop, to timeline target whose history is
// history: tli must be target itself or one of its ancestors, left no
// earlier than stop (Postgres refuses a backup whose timeline branched off
// before the backup was consistent: "requested timeline is not a child of
// this server's history").
func FollowsTo(target uint32, history []TimelineSwitch, tli uint32, stop LSN) bool {
	if tli == target {
		return true
	}
	for _, sw := range history {
		if sw.Timeline == tli {
			return stop <= sw.Switch
		}
	}
	return false
}

// NewestTimeline is the highest timeline with a history file among names
// (the one recovery_target_timeline='latest' follows), and 0 when there is
// none (every segment is on timeline 1).
func NewestTimeline(names []string) (tli uint32, historyFile string) {
	for _, f := range Sort(names) {
		if f.Kind == History && f.Timeline >= tli {
			tli, historyFile = f.Timeline, f.Name
		}
	}
	return tli, historyFile
}
