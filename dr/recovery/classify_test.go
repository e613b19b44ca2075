package recovery

import (
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	ok := WriteSummary{OK: 5}
	disk := WriteSummary{}
	disk.Add(false, "ERROR: could not extend file: No space left on device (SQLSTATE 53100)")
	gone := WriteSummary{}
	gone.Add(false, `ERROR: relation "firedrill_writes" does not exist (SQLSTATE 42P01)`)
	cut := WriteSummary{}
	cut.Add(false, "acquire connection: dial tcp 10.0.0.2:5432: i/o timeout")
	for _, tc := range []struct {
		name string
		o    Observation
		want string
	}{
		{"healthy", Observation{Primary: "pg-primary", Up: []string{"pg-primary"}, AppRunning: true, Writes: ok}, ""},
		{"everything gone", Observation{}, TypeComplete},
		{"databases gone, app runs", Observation{AppRunning: true}, TypeDatabase},
		{"only standbys answer", Observation{Up: []string{"pg-r1"}, AppRunning: true}, TypeDatabase},
		{"table dropped", Observation{Primary: "pg-primary", Up: []string{"pg-primary"}, AppRunning: true, Writes: gone}, TypeDatabase},
		{"disk full", Observation{Primary: "pg-primary", Up: []string{"pg-primary"}, AppRunning: true, Writes: disk}, TypeDisk},
		{"disk errors while some writes succeed", Observation{Primary: "pg-primary", Up: []string{"pg-primary"}, AppRunning: true,
			Writes: WriteSummary{OK: 1, Failed: 1, DiskFull: 1}}, ""},
		{"clients cut off", Observation{Primary: "pg-primary", Up: []string{"pg-primary"}, AppRunning: true, Writes: cut}, TypeNetwork},
		{"a node off its network", Observation{Primary: "pg-primary", Up: []string{"pg-primary"}, AppRunning: true, Writes: ok,
			MissingNetworks: []string{"pg-r1: west"}}, TypeNetwork},
		{"a SQL error is not a network failure", Observation{Primary: "pg-primary", Up: []string{"pg-primary"}, AppRunning: true,
			Writes: WriteSummary{Failed: 1, Example: "x (SQLSTATE 23505)"}}, ""},
	} {
		if got, why := Classify(tc.o); got != tc.want {
			t.Errorf("%s: got %q (%s), want %q", tc.name, got, why, tc.want)
		}
	}
}

func TestConfirmOncePerOutage(t *testing.T) {
	c := &Confirm{Window: 2 * time.Second}
	s := time.Second
	steps := []struct {
		at   time.Duration
		typ  string
		want string
	}{
		{0, TypeDatabase, ""},
		{1 * s, TypeDatabase, ""},
		{2 * s, TypeDatabase, TypeDatabase}, // seen for the whole window
		{3 * s, TypeDatabase, ""},           // handled: not again
		{4 * s, TypeComplete, ""},           // a new type starts its own window
		{6 * s, TypeComplete, TypeComplete},
		{7 * s, "", ""}, // healthy: the outage is over
		{8 * s, TypeDatabase, ""},
		{10 * s, TypeDatabase, TypeDatabase}, // a new outage is handled again
		{11 * s, TypeDisk, ""},
		{12 * s, TypeDatabase, ""}, // flapping restarts the window
	}
	for _, st := range steps {
		got, _ := c.Observe(st.at, st.typ)
		if got != st.want {
			t.Errorf("at %s %q: got %q, want %q", st.at, st.typ, got, st.want)
		}
	}
}
