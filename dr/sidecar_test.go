package dr

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/platform"
)

const testSecret = "pw-never-printed"

func sidecarSetup() (*fakert.Runtime, *SidecarVantage, WatchSpec) {
	rt := fakert.New("app")
	v := NewSidecarVantage(rt, "app", map[string]string{
		"pg-primary":  "postgres://u:" + testSecret + "@pg-primary:5432/d",
		"pg-replica1": "postgres://u:" + testSecret + "@pg-replica1:5432/d",
	}, nil)
	spec := WatchSpec{Nodes: []string{"pg-primary", "pg-replica1"}, First: time.Now(), Interval: time.Second, Timeout: time.Second}
	return rt, v, spec
}

// The watcher is started in the app's namespace with the schedule on its
// command line (never the password), and its lines become rounds; lines
// that are not rounds are skipped; when its output ends, so do the rounds.
func TestSidecarVantageStreamsRounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt, v, spec := sidecarSetup()
		w, err := v.Watch(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		holds := rt.Calls(fakert.OpHold)
		if len(holds) != 1 || holds[0].Node != "app" || !strings.HasPrefix(holds[0].Arg, "agent watch --first-unix-nano") ||
			strings.Contains(holds[0].Arg, testSecret) {
			t.Fatalf("hold calls %v: want one agent watch in app, without the password", holds)
		}
		rt.Print("app", `time=now level=WARN msg="a log line"`)
		rt.Print("app", EncodeRound(Round{Seq: 4, Up: []string{"pg-replica1"}, Down: map[string]string{"pg-primary": "i/o timeout"}}))
		r := <-w.Rounds()
		if r.Seq != 4 || r.Reachable("pg-primary") || !r.Reachable("pg-replica1") {
			t.Fatalf("round %+v", r)
		}
		rt.EndOutput("app")
		if _, ok := <-w.Rounds(); ok {
			t.Fatal("rounds still open after the watcher's output ended")
		}
		if err := w.Err(); err == nil || !strings.Contains(err.Error(), "output ended") {
			t.Errorf("Err = %v, want the output's end", err)
		}
		if err := w.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// A watcher left in the namespace of an app that restarted (or stopped)
// sees nothing the app sees: it is ended within an interval, and released.
func TestSidecarVantageEndsWhenTheAppRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt, v, spec := sidecarSetup()
		w, err := v.Watch(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := rt.Pause(context.Background(), "app"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		select {
		case <-w.Rounds():
			t.Fatal("a paused app's watcher was ended: its namespace is still there")
		default:
		}
		if err := rt.Resume(context.Background(), "app"); err != nil {
			t.Fatal(err)
		}
		if err := rt.Restart(context.Background(), "app", time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		if _, ok := <-w.Rounds(); ok {
			t.Fatal("rounds still open after the app restarted")
		}
		if err := w.Err(); err == nil || !strings.Contains(err.Error(), "restarted") {
			t.Errorf("Err = %v, want the restart", err)
		}
		if err := w.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := rt.Count(fakert.OpRelease, "app"); n != 1 {
			t.Errorf("%d releases, want the sidecar released once", n)
		}

		rt.Set("app", platform.State{Status: platform.StatusExited, ExitCode: 137})
		if _, err := v.Watch(context.Background(), spec); err == nil || !strings.Contains(err.Error(), "no network namespace") {
			t.Errorf("Watch of an exited app: %v, want no namespace", err)
		}
	})
}

func TestSidecarVantageNeedsEveryNodesDSN(t *testing.T) {
	_, v, spec := sidecarSetup()
	spec.Nodes = append(spec.Nodes, "pg-replica2")
	if _, err := v.Watch(context.Background(), spec); err == nil || strings.Contains(err.Error(), testSecret) {
		t.Errorf("Watch = %v, want an error naming the missing node, without the password", err)
	}
}
