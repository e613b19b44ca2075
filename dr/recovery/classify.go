package recovery

import (
	"fmt"
	"strings"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// Failure types: the plans of dr.recovery.
const (
	TypeDatabase = "database"
	TypeDisk     = "disk"
	TypeNetwork  = "network"
	TypeComplete = "complete"
)

// Observation is what one round of the engine saw (docs/architecture.md,
// "Recovery plans"): the database nodes from the harness, the app's
// container, and the writes the clients made since the last round.
type Observation struct {
	At time.Duration
	// Primary is the writable primary, "" when none answers.
	Primary string
	// Up are the Postgres nodes that answered a health check.
	Up []string
	// AppRunning is the app's container state.
	AppRunning bool
	// MissingNetworks lists "node: network" for every node cut off a
	// network the topology gives it (a fenced node excepted).
	MissingNetworks []string
	// Writes are the outcomes of the clients' writes finished since the
	// last round.
	Writes WriteSummary
}

// WriteSummary counts the clients' writes of one round by what their
// errors say, in SQLSTATE classes a DBA reads in the app's log.
type WriteSummary struct {
	OK, Failed int
	// DiskFull: 53100 (disk full) or 58030 (I/O error) from a server.
	DiskFull int
	// Corrupt: 42P01 (the table is gone) or XX001/XX002 (data or index
	// corrupted): the database answers but its data is lost.
	Corrupt int
	// Unreachable: the app could not reach or hear back from a server
	// (connect errors, timeouts), with no SQLSTATE at all.
	Unreachable int
	// Example is one error, for the classification's detail.
	Example string
}

// SummarizeWrite adds one finished write to the summary.
func (w *WriteSummary) Add(ok bool, errText string) {
	if ok {
		w.OK++
		return
	}
	w.Failed++
	switch {
	case strings.Contains(errText, "SQLSTATE 53100"), strings.Contains(errText, "SQLSTATE 58030"):
		w.DiskFull++
	case strings.Contains(errText, "SQLSTATE 42P01"), strings.Contains(errText, "SQLSTATE XX001"), strings.Contains(errText, "SQLSTATE XX002"):
		w.Corrupt++
	case !strings.Contains(errText, "SQLSTATE"):
		w.Unreachable++
	}
	if w.Example == "" {
		w.Example = errText
	}
}

// Classify says which failure, if any, one observation shows, and why.
// The order is the severity: a complete failure (no database node and no
// app) over a database failure (no writable primary, or a primary whose
// data is gone) over a full disk (the primary answers, writes fail for
// space) over a network failure (the primary answers, the clients cannot
// reach it, or a node is off a network). A round in which clients' writes
// succeeded shows no disk or network failure.
func Classify(o Observation) (typ, why string) {
	switch {
	case len(o.Up) == 0 && !o.AppRunning:
		return TypeComplete, "no Postgres node answers and the app is not running"
	case o.Primary == "":
		if len(o.Up) == 0 {
			return TypeDatabase, "no Postgres node answers"
		}
		return TypeDatabase, fmt.Sprintf("no writable primary (%s answer as standbys)", strings.Join(o.Up, ", "))
	case o.Writes.OK == 0 && o.Writes.Corrupt > 0:
		return TypeDatabase, fmt.Sprintf("%s answers but its data is gone: %d writes failed with %s", o.Primary, o.Writes.Corrupt, clip(o.Writes.Example))
	case o.Writes.OK == 0 && o.Writes.DiskFull > 0:
		return TypeDisk, fmt.Sprintf("%s answers but %d writes failed for disk: %s", o.Primary, o.Writes.DiskFull, clip(o.Writes.Example))
	case len(o.MissingNetworks) > 0:
		return TypeNetwork, "cut off: " + strings.Join(o.MissingNetworks, ", ")
	case o.Writes.OK == 0 && o.Writes.Unreachable > 0:
		return TypeNetwork, fmt.Sprintf("%s answers the harness but %d client writes could not reach it: %s", o.Primary, o.Writes.Unreachable, clip(o.Writes.Example))
	}
	return "", ""
}

func clip(s string) string {
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

// Confirm turns rounds into a verdict: a failure type counts once it has
// been seen in every round for at least window, the same patience as the
// failover manager's (check_interval × failures_before_action), so that
// one slow round does not start a restore. A healthy round ends the
// outage: a type is handled once per outage.
type Confirm struct {
	Window time.Duration

	typ     string
	since   time.Duration
	handled map[string]bool
}

// Observe feeds one round; it returns the confirmed type when it is
// confirmed for the first time in this outage, with when it was first
// seen.
func (c *Confirm) Observe(at time.Duration, typ string) (confirmed string, since time.Duration) {
	if c.handled == nil {
		c.handled = map[string]bool{}
	}
	if typ == "" {
		c.typ, c.handled = "", map[string]bool{}
		return "", 0
	}
	if typ != c.typ {
		c.typ, c.since = typ, at
	}
	if at-c.since >= c.Window && !c.handled[typ] {
		c.handled[typ] = true
		return typ, c.since
	}
	return "", 0
}

// PlanFor returns the steps of the plan for a failure type.
func PlanFor(r scenarios.Recovery, typ string) []string {
	switch typ {
	case TypeDatabase:
		return r.Database
	case TypeDisk:
		return r.Disk
	case TypeNetwork:
		return r.Network
	case TypeComplete:
		return r.Complete
	}
	return nil
}
