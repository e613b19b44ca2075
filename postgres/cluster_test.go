package postgres

import "testing"

// A stack that names its standbys otherwise (pg_auto_failover) is asked
// by their names, and its names are turned back into nodes.
func TestStandbyNames(t *testing.T) {
	c := &Cluster{}
	if got := c.standbyName("pg-replica1"); got != "pg-replica1" {
		t.Errorf("unset: %q", got)
	}
	c.SetStandbyName("pg-replica1", "pgautofailover_standby_2")
	if got := c.standbyName("pg-replica1"); got != "pgautofailover_standby_2" {
		t.Errorf("set: %q", got)
	}
	if got := c.nodeOfStandby("pgautofailover_standby_2"); got != "pg-replica1" {
		t.Errorf("back: %q", got)
	}
	if got := c.nodeOfStandby("pg-replica9"); got != "pg-replica9" {
		t.Errorf("unknown: %q", got)
	}
}
