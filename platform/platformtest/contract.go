package platformtest

import (
	"context"
	"maps"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/platform"
)

// Nodes names the nodes the contract acts on, in a running environment
// whose sidecars have bash and timeout (the nettools image).
type Nodes struct {
	// Victim is a Postgres node the contract stops, kills, pauses and cuts
	// off; it must be safe to disturb (a replica) and is left running.
	Victim string
	// Observer is another node from whose network namespace the victim's
	// reachability is checked.
	Observer string
	// Port is the victim's Postgres port, "5432/tcp".
	Port string
}

const settle = 30 * time.Second

// Contract runs the runtime contract against rt.
func Contract(t *testing.T, rt platform.Runtime, n Nodes) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// reachable asks the victim's Postgres, from inside the observer, for
	// SSL: a live server answers 'N' (no SSL) at once; a frozen or cut off
	// one does not within 2 s. A bare TCP connect would not do: the kernel
	// of a paused container still completes handshakes.
	reachable := func() bool {
		r, err := rt.Exec(ctx, n.Observer, []string{"timeout", "3", "bash", "-c",
			`exec 3<>/dev/tcp/` + n.Victim + `/5432 && printf '\x00\x00\x00\x08\x04\xd2\x16\x2f' >&3 && read -r -t 2 -n 1 answer <&3 && [ "$answer" = N ]`})
		return err == nil && r.ExitCode == 0
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(settle)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %s", what, settle)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	state := func() platform.State {
		t.Helper()
		st, err := rt.State(ctx, n.Victim)
		if err != nil {
			t.Fatalf("state of %s: %v", n.Victim, err)
		}
		return st
	}

	t.Run("state and endpoint", func(t *testing.T) {
		st := state()
		if st.Status != platform.StatusRunning || st.Pid == 0 || st.StartedAt.IsZero() {
			t.Fatalf("running node reports %+v", st)
		}
		ep, err := rt.Endpoint(ctx, n.Victim, n.Port)
		if err != nil {
			t.Fatal(err)
		}
		c, err := net.DialTimeout("tcp", ep, 3*time.Second)
		if err != nil {
			t.Fatalf("endpoint %s of %s: %v", ep, n.Victim, err)
		}
		c.Close()
		if _, err := rt.State(ctx, "no-such-node"); err == nil {
			t.Error("State of an unknown node must fail")
		}
	})
	t.Run("exec in the network namespace", func(t *testing.T) {
		r, err := rt.Exec(ctx, n.Observer, []string{"sh", "-c", "echo out; echo err >&2; exit 3"})
		if err != nil {
			t.Fatal(err)
		}
		if r.ExitCode != 3 || !strings.Contains(r.Output, "out") || !strings.Contains(r.Output, "err") {
			t.Fatalf("exec gave %+v, want exit 3 with both streams", r)
		}
		if !reachable() {
			t.Fatalf("%s cannot reach %s before any fault", n.Observer, n.Victim)
		}
	})
	t.Run("pause and resume", func(t *testing.T) {
		if err := rt.Pause(ctx, n.Victim); err != nil {
			t.Fatal(err)
		}
		if err := rt.Pause(ctx, n.Victim); err != nil {
			t.Fatalf("second pause must be a no-op: %v", err)
		}
		if st := state(); st.Status != platform.StatusPaused {
			t.Fatalf("after pause: %s", st)
		}
		if reachable() {
			t.Error("a paused Postgres answered")
		}
		// A paused node keeps its network namespace: a sidecar can join it
		// (a frozen node's network is held that way).
		if r, err := rt.Exec(ctx, n.Victim, []string{"true"}); err != nil || r.ExitCode != 0 {
			t.Errorf("exec in the paused node: %+v, %v", r, err)
		}
		if err := rt.Resume(ctx, n.Victim); err != nil {
			t.Fatal(err)
		}
		if err := rt.Resume(ctx, n.Victim); err != nil {
			t.Fatalf("second resume must be a no-op: %v", err)
		}
		waitFor("reachable after resume", reachable)
	})
	t.Run("stop and start", func(t *testing.T) {
		if err := rt.Stop(ctx, n.Victim, 2*time.Second); err != nil {
			t.Fatal(err)
		}
		if st := state(); st.Status != platform.StatusExited {
			t.Fatalf("after stop: %s", st)
		}
		if err := rt.Stop(ctx, n.Victim, time.Second); err != nil {
			t.Fatalf("stopping a stopped node must be a no-op: %v", err)
		}
		if err := rt.Start(ctx, n.Victim); err != nil {
			t.Fatal(err)
		}
		if err := rt.Start(ctx, n.Victim); err != nil {
			t.Fatalf("starting a running node must be a no-op: %v", err)
		}
		waitFor("reachable after start", reachable)
	})
	t.Run("restart", func(t *testing.T) {
		before := state()
		if err := rt.Restart(ctx, n.Victim, 2*time.Second); err != nil {
			t.Fatal(err)
		}
		after := state()
		if after.Status != platform.StatusRunning || !after.StartedAt.After(before.StartedAt) {
			t.Fatalf("restart: before %s, after %s: want running with a later start", before, after)
		}
		waitFor("reachable after restart", reachable)
	})
	t.Run("kill", func(t *testing.T) {
		if err := rt.Kill(ctx, n.Victim); err != nil {
			t.Fatal(err)
		}
		waitFor("exited after kill", func() bool { return state().Status == platform.StatusExited })
		if st := state(); st.ExitCode != 137 {
			t.Errorf("after SIGKILL: %s, want exit code 137", st)
		}
		if err := rt.Kill(ctx, n.Victim); err != nil {
			t.Errorf("killing an exited node must be a no-op: %v", err)
		}
		if err := rt.Start(ctx, n.Victim); err != nil {
			t.Fatal(err)
		}
		waitFor("reachable after start", reachable)
	})
	t.Run("hold and release", func(t *testing.T) {
		h, err := rt.Hold(ctx, n.Victim, []string{"sh", "-ec",
			`iptables -w -I INPUT -p tcp --dport 5432 -j DROP; echo held; read -r _ || true; iptables -w -D INPUT -p tcp --dport 5432 -j DROP; echo released`})
		if err != nil {
			t.Fatal(err)
		}
		if reachable() {
			t.Error("reachable while a sidecar holds its port closed")
		}
		out, err := h.Release(ctx)
		if err != nil || !strings.Contains(out, "released") {
			t.Fatalf("release: %q, %v", out, err)
		}
		if _, err := h.Release(ctx); err != nil {
			t.Errorf("a second release must be a no-op: %v", err)
		}
		waitFor("reachable after release", reachable)
	})
	t.Run("hold takes only its standard output for the effect in place", func(t *testing.T) {
		// A command that complains on stderr and fails has applied
		// nothing: its complaint must not pass for the "held" line, and
		// it must be in the error.
		_, err := rt.Hold(ctx, n.Victim, []string{"sh", "-c", `echo "iptables: no chain by that name" >&2; sleep 0.3; exit 1`})
		if err == nil {
			t.Fatal("Hold succeeded for a command that printed only on stderr and exited 1")
		}
		if !strings.Contains(err.Error(), "no chain by that name") {
			t.Errorf("the error does not carry what the sidecar said on stderr: %v", err)
		}
		// Warnings on stderr before the line do not stop an effect that
		// holds.
		h, err := rt.Hold(ctx, n.Victim, []string{"sh", "-c", `echo "a warning" >&2; echo held; read -r _ || true; echo released`})
		if err != nil {
			t.Fatal(err)
		}
		out, err := h.Release(ctx)
		if err != nil || !strings.Contains(out, "released") {
			t.Fatalf("release after a warning: %q, %v", out, err)
		}
	})
	t.Run("hold streams its lines", func(t *testing.T) {
		// A watcher-like sidecar: its lines must arrive while it runs, not
		// at Release; after Release its last line comes and the stream ends.
		h, err := rt.Hold(ctx, n.Observer, []string{"sh", "-c",
			`echo watching; i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo round $i; sleep 0.2; done; read -r _ || true; echo stopped`})
		if err != nil {
			t.Fatal(err)
		}
		lines := h.Lines()
		for i := 1; i <= 3; i++ {
			select {
			case l, ok := <-lines:
				if want := "round " + string(rune('0'+i)); !ok || l != want {
					t.Fatalf("line %d = %q (open %v), want %q", i, l, ok, want)
				}
			case <-time.After(settle):
				t.Fatalf("line %d not streamed within %s (before any Release)", i, settle)
			}
		}
		if _, err := h.Release(ctx); err != nil {
			t.Fatal(err)
		}
		var rest []string
		timeout := time.After(settle)
		for done := false; !done; {
			select {
			case l, ok := <-lines:
				if !ok {
					done = true
					break
				}
				rest = append(rest, l)
			case <-timeout:
				t.Fatalf("Lines not closed within %s of the release (got %q)", settle, rest)
			}
		}
		if len(rest) != 1 || rest[0] != "stopped" {
			t.Errorf("after release the stream gave %q, want [stopped] then the end", rest)
		}
		if h.Lines() != lines {
			t.Error("Lines must return the same channel on every call")
		}
	})
	t.Run("network cut and heal", func(t *testing.T) {
		nets, err := rt.Networks(ctx, n.Victim)
		if err != nil || len(nets) == 0 {
			t.Fatalf("networks of %s: %v %v", n.Victim, nets, err)
		}
		before, err := rt.Addresses(ctx, n.Victim)
		if err != nil {
			t.Fatal(err)
		}
		for _, net := range nets {
			if err := rt.Disconnect(ctx, n.Victim, net); err != nil {
				t.Fatal(err)
			}
			if err := rt.Disconnect(ctx, n.Victim, net); err != nil {
				t.Fatalf("disconnecting twice must be a no-op: %v", err)
			}
		}
		if left, _ := rt.Networks(ctx, n.Victim); len(left) != 0 {
			t.Fatalf("still on %v after disconnecting every network", left)
		}
		if reachable() {
			t.Fatal("a node cut off every network is still reachable")
		}
		for _, net := range nets {
			if err := rt.Connect(ctx, n.Victim, net); err != nil {
				t.Fatal(err)
			}
			if err := rt.Connect(ctx, n.Victim, net); err != nil {
				t.Fatalf("connecting twice must be a no-op: %v", err)
			}
		}
		if back, _ := rt.Networks(ctx, n.Victim); len(back) != len(nets) {
			t.Fatalf("networks after heal: %v, want %v", back, nets)
		}
		// A healed network gives the node its addresses back, as a real
		// one does: connections held across the cut go on.
		if after, err := rt.Addresses(ctx, n.Victim); err != nil || !maps.Equal(after, before) {
			t.Errorf("addresses after heal %v, before %v (%v)", after, before, err)
		}
		waitFor("reachable by host name after heal", reachable)
	})
}
