package fakert

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill/platform"
)

// Operations, as recorded in Call.Op: one per platform.Runtime method.
const (
	OpStart      = "start"
	OpStop       = "stop"
	OpKill       = "kill"
	OpRestart    = "restart"
	OpPause      = "pause"
	OpResume     = "resume"
	OpState      = "state"
	OpDisconnect = "disconnect"
	OpConnect    = "connect"
	OpNetworks   = "networks"
	OpEndpoint   = "endpoint"
	OpExec       = "exec"
	OpHold       = "hold"
	OpRelease    = "release"
	OpAddresses  = "addresses"
)

// Exit codes a node is left with, as a container platform reports them.
const (
	// ExitStopped is the code of a node that shut down on its stop
	// signal within its grace.
	ExitStopped = 0
	// ExitKilled is the code of a node killed by SIGKILL (128 + 9): after
	// a kill, or a stop of a frozen node whose grace ran out.
	ExitKilled = 137
)

// Call is one call made to the Runtime.
type Call struct {
	Op   string // one of the Op constants
	Node string
	// Arg is the call's other argument as text: the grace of stop and
	// restart, the network of connect and disconnect, the port of
	// endpoint, the command of exec (space-separated); "" for the others.
	Arg string
}

func (c Call) String() string {
	if c.Arg == "" {
		return c.Op + " " + c.Node
	}
	return c.Op + " " + c.Node + " " + c.Arg
}

// Runtime is an in-memory platform.Runtime. The zero value has no nodes;
// New and Add create them. Every call is recorded (Calls) before it acts.
type Runtime struct {
	mu     sync.Mutex
	nodes  map[string]*node
	calls  []Call
	rules  []rule
	pid    int
	last   time.Time // the latest start or finish stamp handed out
	onCall func(Call)
	exec   func(node string, cmd []string) (platform.ExecResult, error)
	seq    int // nodes added: each gets its own host number in addresses
	holds  []*held
}

var _ platform.Runtime = (*Runtime)(nil)

type node struct {
	state     platform.State
	networks  []string
	removed   bool
	endpoints map[string]string
	host      byte // the last byte of its addresses
}

// rule changes what calls of one operation do: fail, take time, or do
// nothing. node "" applies to every node.
type rule struct {
	op, node string
	err      error         // fail with err
	delay    time.Duration // wait this long first
	noEffect bool          // succeed without changing anything
}

func (r rule) applies(op, node string) bool {
	return r.op == op && (r.node == "" || r.node == node)
}

// New returns a Runtime with the named nodes, all running and on no
// network.
func New(nodes ...string) *Runtime {
	r := &Runtime{}
	for _, n := range nodes {
		r.Add(n)
	}
	return r
}

// Add creates a running node on networks (replacing one of that name).
func (r *Runtime) Add(name string, networks ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nodes == nil {
		r.nodes = map[string]*node{}
	}
	n := &node{networks: slices.Clone(networks), endpoints: map[string]string{}}
	r.seq++
	n.host = byte(r.seq)
	r.startLocked(n)
	r.nodes[name] = n
}

// Set replaces a node's state as the platform reports it, creating the
// node if needed: for a test that needs a node exited, paused or crashed.
func (r *Runtime) Set(name string, st platform.State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nodes == nil {
		r.nodes = map[string]*node{}
	}
	n, ok := r.nodes[name]
	if !ok {
		n = &node{endpoints: map[string]string{}}
		r.nodes[name] = n
	}
	n.state = st
}

// Remove makes a node's object vanish, as when a container is removed
// from outside the run: State reports it missing and every other call
// fails with platform.ErrNoNode.
func (r *Runtime) Remove(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n, ok := r.nodes[name]; ok {
		n.removed = true
	}
}

// Snapshot is a node's state without recording a call (the zero State for
// an unknown node).
func (r *Runtime) Snapshot(name string) platform.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, ok := r.nodes[name]
	if !ok {
		return platform.State{}
	}
	if n.removed {
		return platform.State{Status: platform.StatusMissing}
	}
	return n.state
}

// SetEndpoint fixes the address Endpoint returns for a node's port.
func (r *Runtime) SetEndpoint(name, port, addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n, ok := r.nodes[name]; ok {
		n.endpoints[port] = addr
	}
}

// HandleExec sets what Exec runs; without it Exec succeeds with no output.
func (r *Runtime) HandleExec(f func(node string, cmd []string) (platform.ExecResult, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exec = f
}

// OnCall sets a function called at the start of every call, right after it
// is recorded and before any delay or effect, outside the Runtime's lock:
// a test stamps the instant a fault's effecting call began with it.
func (r *Runtime) OnCall(f func(Call)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onCall = f
}

// Fail makes every later call of op on node ("" for any node) return err,
// after any delay Slow set; a nil err removes the failure.
func (r *Runtime) Fail(op, node string, err error) {
	r.setRule(op, node, func(ru *rule) { ru.err = err })
}

// Slow makes every later call of op on node ("" for any node) wait d
// before acting; a call whose context ends first returns the context's
// error and changes nothing. Zero removes the delay.
func (r *Runtime) Slow(op, node string, d time.Duration) {
	r.setRule(op, node, func(ru *rule) { ru.delay = d })
}

// NoEffect makes every later call of op on node ("" for any node) succeed
// without changing anything, as a platform that accepts a request and
// then does not carry it out; false restores the effect.
func (r *Runtime) NoEffect(op, node string, on bool) {
	r.setRule(op, node, func(ru *rule) { ru.noEffect = on })
}

func (r *Runtime) setRule(op, node string, set func(*rule)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.rules {
		if r.rules[i].op == op && r.rules[i].node == node {
			set(&r.rules[i])
			return
		}
	}
	ru := rule{op: op, node: node}
	set(&ru)
	r.rules = append(r.rules, ru)
}

// Calls returns the calls made so far, in call order; with ops, only
// those of these operations.
func (r *Runtime) Calls(ops ...string) []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Call
	for _, c := range r.calls {
		if len(ops) == 0 || slices.Contains(ops, c.Op) {
			out = append(out, c)
		}
	}
	return out
}

// Count is how many calls of op were made on node ("" for any node).
func (r *Runtime) Count(op, node string) int {
	n := 0
	for _, c := range r.Calls(op) {
		if node == "" || c.Node == node {
			n++
		}
	}
	return n
}

// ResetCalls forgets the calls recorded so far.
func (r *Runtime) ResetCalls() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}

// begin records a call, runs the OnCall hook, waits out any delay and
// reports whether the call fails or has no effect.
func (r *Runtime) begin(ctx context.Context, c Call) (noEffect bool, err error) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	hook := r.onCall
	var delay time.Duration
	for _, ru := range r.rules {
		if ru.applies(c.Op, c.Node) {
			delay += ru.delay
		}
	}
	r.mu.Unlock()
	if hook != nil {
		hook(c)
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("%s: %w", c, ctx.Err())
		case <-t.C:
		}
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("%s: %w", c, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ru := range r.rules {
		if ru.applies(c.Op, c.Node) {
			if ru.err != nil {
				return false, ru.err
			}
			noEffect = noEffect || ru.noEffect
		}
	}
	return noEffect, nil
}

// act runs one state-changing call: change is applied to the node under
// the lock unless a rule says the call has no effect.
func (r *Runtime) act(ctx context.Context, c Call, change func(n *node) error) error {
	noEffect, err := r.begin(ctx, c)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := r.lookupLocked(c.Node)
	if err != nil {
		return err
	}
	if noEffect {
		return nil
	}
	return change(n)
}

func (r *Runtime) lookupLocked(name string) (*node, error) {
	n, ok := r.nodes[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", platform.ErrNoNode, name)
	}
	if n.removed {
		return nil, fmt.Errorf("%w: %s (removed)", platform.ErrNoNode, name)
	}
	return n, nil
}

// stamp returns now, strictly later than any stamp handed out before: a
// restarted node's StartedAt is always after the previous one, even on a
// coarse or fake clock (faults compare them).
func (r *Runtime) stamp() time.Time {
	now := time.Now()
	if !now.After(r.last) {
		now = r.last.Add(time.Microsecond)
	}
	r.last = now
	return now
}

func (r *Runtime) startLocked(n *node) {
	r.pid++
	n.state = platform.State{Status: platform.StatusRunning, Pid: 1000 + r.pid, StartedAt: r.stamp(),
		FinishedAt: n.state.FinishedAt}
}

func (r *Runtime) exitLocked(n *node, code int) {
	n.state.Status = platform.StatusExited
	n.state.Pid = 0
	n.state.ExitCode = code
	n.state.FinishedAt = r.stamp()
}

// stopLocked is a stop with grace: a running node exits on its stop
// signal, a frozen one cannot act on it and is killed when grace runs out.
func (r *Runtime) stopLocked(n *node) {
	switch n.state.Status {
	case platform.StatusRunning:
		r.exitLocked(n, ExitStopped)
	case platform.StatusPaused:
		r.exitLocked(n, ExitKilled)
	}
}

// errPaused is what a platform says when asked to start a frozen node.
var errPaused = errors.New("node is paused: resume it instead")

// errNotRunning is what a platform says when asked to freeze a node that
// does not run.
var errNotRunning = errors.New("node is not running")

// Start starts an exited or created node with a new pid; a no-op when it
// runs, an error when it is paused.
func (r *Runtime) Start(ctx context.Context, name string) error {
	return r.act(ctx, Call{Op: OpStart, Node: name}, func(n *node) error {
		switch n.state.Status {
		case platform.StatusRunning:
			return nil
		case platform.StatusPaused:
			return fmt.Errorf("start %s: %w", name, errPaused)
		}
		r.startLocked(n)
		return nil
	})
}

// Stop leaves a running node exited with ExitStopped and a paused one
// (which cannot act on its stop signal) with ExitKilled; a no-op on an
// exited node.
func (r *Runtime) Stop(ctx context.Context, name string, grace time.Duration) error {
	return r.act(ctx, Call{Op: OpStop, Node: name, Arg: grace.String()}, func(n *node) error {
		r.stopLocked(n)
		return nil
	})
}

// Kill leaves a running or paused node exited with ExitKilled; a no-op on
// an exited one.
func (r *Runtime) Kill(ctx context.Context, name string) error {
	return r.act(ctx, Call{Op: OpKill, Node: name}, func(n *node) error {
		if n.state.Status == platform.StatusRunning || n.state.Status == platform.StatusPaused {
			r.exitLocked(n, ExitKilled)
		}
		return nil
	})
}

// Restart stops the node (if it runs) and starts it with a new pid and a
// later start time.
func (r *Runtime) Restart(ctx context.Context, name string, grace time.Duration) error {
	return r.act(ctx, Call{Op: OpRestart, Node: name, Arg: grace.String()}, func(n *node) error {
		r.stopLocked(n)
		r.startLocked(n)
		return nil
	})
}

// Pause freezes a running node; a no-op on a paused one, an error on one
// that does not run.
func (r *Runtime) Pause(ctx context.Context, name string) error {
	return r.act(ctx, Call{Op: OpPause, Node: name}, func(n *node) error {
		switch n.state.Status {
		case platform.StatusPaused:
			return nil
		case platform.StatusRunning:
			n.state.Status = platform.StatusPaused
			return nil
		}
		return fmt.Errorf("pause %s: %w (%s)", name, errNotRunning, n.state)
	})
}

// Resume thaws a paused node (same pid, same start time); a no-op on any
// other, so that a revert may run after the node was killed.
func (r *Runtime) Resume(ctx context.Context, name string) error {
	return r.act(ctx, Call{Op: OpResume, Node: name}, func(n *node) error {
		if n.state.Status == platform.StatusPaused {
			n.state.Status = platform.StatusRunning
		}
		return nil
	})
}

// State returns the node's state; StatusMissing for a removed node.
func (r *Runtime) State(ctx context.Context, name string) (platform.State, error) {
	if _, err := r.begin(ctx, Call{Op: OpState, Node: name}); err != nil {
		return platform.State{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n, ok := r.nodes[name]
	if !ok {
		return platform.State{}, fmt.Errorf("%w: %s", platform.ErrNoNode, name)
	}
	if n.removed {
		return platform.State{Status: platform.StatusMissing}, nil
	}
	return n.state, nil
}

// Disconnect takes the node off network; a no-op when it is not on it.
func (r *Runtime) Disconnect(ctx context.Context, name, network string) error {
	return r.act(ctx, Call{Op: OpDisconnect, Node: name, Arg: network}, func(n *node) error {
		n.networks = slices.DeleteFunc(n.networks, func(s string) bool { return s == network })
		return nil
	})
}

// Connect puts the node on network; a no-op when it is on it.
func (r *Runtime) Connect(ctx context.Context, name, network string) error {
	return r.act(ctx, Call{Op: OpConnect, Node: name, Arg: network}, func(n *node) error {
		if !slices.Contains(n.networks, network) {
			n.networks = append(n.networks, network)
		}
		return nil
	})
}

// Networks lists the networks the node is on, in the order it joined them.
func (r *Runtime) Networks(ctx context.Context, name string) ([]string, error) {
	var out []string
	err := r.act(ctx, Call{Op: OpNetworks, Node: name}, func(n *node) error {
		out = slices.Clone(n.networks)
		return nil
	})
	return out, err
}

// Addresses gives a running or paused node one address per network it is
// on, 10.<network's place in its list + 1>.0.<the node's number>, stable
// for the node; none when it does not run.
func (r *Runtime) Addresses(ctx context.Context, name string) (map[string]netip.Addr, error) {
	out := map[string]netip.Addr{}
	err := r.act(ctx, Call{Op: OpAddresses, Node: name}, func(n *node) error {
		if n.state.Status != platform.StatusRunning && n.state.Status != platform.StatusPaused {
			return nil
		}
		for i, net := range n.networks {
			out[net] = netip.AddrFrom4([4]byte{10, byte(i + 1), 0, n.host})
		}
		return nil
	})
	return out, err
}

// Endpoint returns the address SetEndpoint gave the port, or
// "<node>:<port number>"; an error when the node has exited (its ports
// are gone).
func (r *Runtime) Endpoint(ctx context.Context, name, port string) (string, error) {
	var out string
	err := r.act(ctx, Call{Op: OpEndpoint, Node: name, Arg: port}, func(n *node) error {
		if n.state.Status != platform.StatusRunning && n.state.Status != platform.StatusPaused {
			return fmt.Errorf("endpoint %s %s: %w (%s)", name, port, errNotRunning, n.state)
		}
		out = n.endpoints[port]
		if out == "" {
			num, _, _ := strings.Cut(port, "/")
			out = name + ":" + num
		}
		return nil
	})
	return out, err
}

// Exec runs the HandleExec function; an error when the node does not run
// (there is no network namespace to join).
func (r *Runtime) Exec(ctx context.Context, name string, cmd []string, _ ...platform.SidecarOption) (platform.ExecResult, error) {
	var handler func(string, []string) (platform.ExecResult, error)
	err := r.act(ctx, Call{Op: OpExec, Node: name, Arg: strings.Join(cmd, " ")}, func(n *node) error {
		// A sidecar joins the node's network namespace, which a paused
		// node still has (Docker allows it); a stopped one has none.
		if n.state.Status != platform.StatusRunning && n.state.Status != platform.StatusPaused {
			return fmt.Errorf("exec in %s: %w (%s)", name, errNotRunning, n.state)
		}
		handler = r.exec
		return nil
	})
	if err != nil || handler == nil {
		return platform.ExecResult{}, err
	}
	return handler(name, cmd)
}

// Hold runs the HandleExec function for cmd (the effect applied) and
// returns a Held whose Release records an OpRelease call and whose Lines
// stream what Print prints on the node until EndOutput or Release; an
// error when the node does not run, as for Exec.
func (r *Runtime) Hold(ctx context.Context, name string, cmd []string, _ ...platform.SidecarOption) (platform.Held, error) {
	var handler func(string, []string) (platform.ExecResult, error)
	err := r.act(ctx, Call{Op: OpHold, Node: name, Arg: strings.Join(cmd, " ")}, func(n *node) error {
		if n.state.Status != platform.StatusRunning && n.state.Status != platform.StatusPaused {
			return fmt.Errorf("hold in %s: %w (%s)", name, errNotRunning, n.state)
		}
		handler = r.exec
		return nil
	})
	if err != nil {
		return nil, err
	}
	if handler != nil {
		if res, err := handler(name, cmd); err != nil {
			return nil, err
		} else if res.ExitCode != 0 {
			return nil, fmt.Errorf("hold in %s: exit %d: %s", name, res.ExitCode, res.Output)
		}
	}
	h := &held{r: r, node: name, cmd: strings.Join(cmd, " ")}
	r.mu.Lock()
	r.holds = append(r.holds, h)
	r.mu.Unlock()
	return h, nil
}

type held struct {
	r         *Runtime
	node, cmd string
	stream    platform.LineStream
	mu        sync.Mutex
	released  bool
	ended     bool // its output ended (EndOutput)
}

// Release records the release once; later calls are no-ops. The
// sidecar's output ends and its Lines close.
func (h *held) Release(ctx context.Context) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released {
		return "released", nil
	}
	if err := h.r.act(ctx, Call{Op: OpRelease, Node: h.node, Arg: h.cmd}, func(*node) error { return nil }); err != nil {
		return "", err
	}
	h.released = true
	h.stream.End()
	return "released", nil
}

// Lines delivers what Print printed on this sidecar.
func (h *held) Lines() <-chan string { return h.stream.Chan() }

// live reports whether the sidecar still prints: neither released nor
// ended.
func (h *held) live() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.released && !h.ended
}

// Print makes every live held sidecar of node (neither released nor
// ended) print line after its first, as a streaming sidecar does: it
// arrives on their Lines. It returns how many sidecars printed it.
func (r *Runtime) Print(node, line string) int {
	n := 0
	for _, h := range r.heldOn(node) {
		if h.live() {
			h.stream.Add(line)
			n++
		}
	}
	return n
}

// EndOutput ends the output of every live held sidecar of node, as when
// the sidecar exits by itself or its container is removed: their Lines
// close. It returns how many ended.
func (r *Runtime) EndOutput(node string) int {
	n := 0
	for _, h := range r.heldOn(node) {
		h.mu.Lock()
		if !h.released && !h.ended {
			h.ended = true
			h.stream.End()
			n++
		}
		h.mu.Unlock()
	}
	return n
}

// Holding is how many held sidecars of node are live (neither released
// nor ended).
func (r *Runtime) Holding(node string) int {
	n := 0
	for _, h := range r.heldOn(node) {
		if h.live() {
			n++
		}
	}
	return n
}

func (r *Runtime) heldOn(node string) []*held {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*held
	for _, h := range r.holds {
		if h.node == node {
			out = append(out, h)
		}
	}
	return out
}
