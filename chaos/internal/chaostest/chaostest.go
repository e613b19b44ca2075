package chaostest

// What the fault packages' unit tests share: a Target on a fake runtime,
// the fault of an action from the registry, and checks of a fault's calls
// and evidence.

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// ErrDaemon is a runtime call that fails, as when the daemon is gone.
var ErrDaemon = errors.New("the daemon does not answer")

// Effecting are the runtime operations that change a node.
var Effecting = []string{fakert.OpStart, fakert.OpStop, fakert.OpKill, fakert.OpRestart, fakert.OpPause, fakert.OpResume}

// Fences is a Fences a test sets: node -> method.
type Fences map[string]string

func (f Fences) Fenced(node string) (string, bool) {
	m, ok := f[node]
	return m, ok
}

// Call is one Fault call on a fake runtime, with what the test needs to
// check about its injection instant.
type Call struct {
	RT     *fakert.Runtime
	Target *chaos.Target
	// applying counts Applying calls; callsAtApplying is how many runtime
	// calls had been made at the first one.
	Applying        int
	CallsAtApplying int
}

// NewCall is a call of a fault on names, nodes of rt, with fences f.
func NewCall(rt *fakert.Runtime, f chaos.Fences, names ...string) *Call {
	c := &Call{RT: rt, CallsAtApplying: -1}
	var nodes []*topology.Node
	for _, n := range names {
		nodes = append(nodes, &topology.Node{Name: n})
	}
	c.Target = &chaos.Target{Nodes: nodes, Runtime: rt, Fences: f, Applying: func() {
		c.Applying++
		if c.CallsAtApplying < 0 {
			c.CallsAtApplying = len(rt.Calls())
		}
	}}
	return c
}

// CheckInstant checks that Applying was called, right before the first
// call that changes a node: preparation (reading the state first) is not
// part of the injection instant, and nothing was changed before it.
func (c *Call) CheckInstant(t *testing.T, firstOp string) {
	t.Helper()
	if c.Applying == 0 {
		t.Fatal("Applying was never called: the injection instant is not the effect's")
	}
	calls := c.RT.Calls()
	for _, x := range calls[:c.CallsAtApplying] {
		if slices.Contains(Effecting, x.Op) {
			t.Errorf("%s was called before Applying", x)
		}
	}
	if c.CallsAtApplying >= len(calls) || calls[c.CallsAtApplying].Op != firstOp {
		t.Errorf("the call right after Applying is not %s: calls %v, Applying after %d", firstOp, calls, c.CallsAtApplying)
	}
}

// NewFault builds action's fault from the registry with params p.
func NewFault(t *testing.T, action string, p scenarios.Params) chaos.Fault {
	t.Helper()
	spec, ok := chaos.Lookup(action)
	if !ok {
		t.Fatalf("%s is not registered", action)
	}
	f, err := spec.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// AsReverter is f's Reverter; the test fails if f cannot be reverted.
func AsReverter(t *testing.T, f chaos.Fault) chaos.Reverter {
	t.Helper()
	r, ok := f.(chaos.Reverter)
	if !ok {
		t.Fatalf("%T cannot be reverted", f)
	}
	return r
}

// WantCall checks that a call op whose argument contains want was made
// on node.
func WantCall(t *testing.T, rt *fakert.Runtime, op, node, want string) {
	t.Helper()
	for _, c := range rt.Calls(op) {
		if c.Node == node && strings.Contains(c.Arg, want) {
			return
		}
	}
	t.Errorf("no %s with %q on %s (calls %v)", op, want, node, rt.Calls(op))
}

// WantEvidence checks that ev matches every one of patterns (regular
// expressions).
func WantEvidence(t *testing.T, ev string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(ev) {
			t.Errorf("evidence %q does not match %q", ev, p)
		}
	}
}
