package docker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/platform/docker/internal/netpin"
	"github.com/firedrill/firedrill/topology"
)

var _ platform.Runtime = (*Env)(nil)

func (e *Env) mustNode(name string) (*node, error) {
	n, ok := e.node(name)
	if !ok {
		return nil, fmt.Errorf("%w: %q in run %s", platform.ErrNoNode, name, e.RunID)
	}
	return n, nil
}

func (n *node) id() string { return n.ctr.GetContainerID() }

// graceSeconds rounds a grace period up to Docker's whole seconds.
func graceSeconds(grace time.Duration) *int {
	s := int(math.Ceil(grace.Seconds()))
	return &s
}

// Start starts a stopped node; a running one is left alone. Its published
// ports and network addresses may change.
func (e *Env) Start(ctx context.Context, name string) error {
	n, err := e.mustNode(name)
	if err != nil {
		return err
	}
	if _, err := e.docker.ContainerStart(ctx, n.id(), client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	return nil
}

// Stop sends the image's stop signal and SIGKILL after grace (Docker's
// whole seconds, rounded up). Stopping an exited node is not an error.
func (e *Env) Stop(ctx context.Context, name string, grace time.Duration) error {
	n, err := e.mustNode(name)
	if err != nil {
		return err
	}
	if _, err := e.docker.ContainerStop(ctx, n.id(), client.ContainerStopOptions{Timeout: graceSeconds(grace)}); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	return nil
}

// Kill sends SIGKILL: the process dies at once, as in a host crash. Killing
// a node that is not running is not an error.
func (e *Env) Kill(ctx context.Context, name string) error {
	n, err := e.mustNode(name)
	if err != nil {
		return err
	}
	if _, err := e.docker.ContainerKill(ctx, n.id(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		if st, serr := e.State(ctx, name); serr == nil && st.Status == platform.StatusExited {
			return nil
		}
		return fmt.Errorf("kill %s: %w", name, err)
	}
	return nil
}

// Restart stops the node with grace and starts it again.
func (e *Env) Restart(ctx context.Context, name string, grace time.Duration) error {
	n, err := e.mustNode(name)
	if err != nil {
		return err
	}
	if _, err := e.docker.ContainerRestart(ctx, n.id(), client.ContainerRestartOptions{Timeout: graceSeconds(grace)}); err != nil {
		return fmt.Errorf("restart %s: %w", name, err)
	}
	return nil
}

// Pause freezes the node's processes (the cgroup freezer): connections to
// it hang instead of failing. Pausing a paused node is not an error.
func (e *Env) Pause(ctx context.Context, name string) error {
	n, err := e.mustNode(name)
	if err != nil {
		return err
	}
	if st, err := e.State(ctx, name); err == nil && st.Status == platform.StatusPaused {
		return nil
	}
	if _, err := e.docker.ContainerPause(ctx, n.id(), client.ContainerPauseOptions{}); err != nil {
		return fmt.Errorf("pause %s: %w", name, err)
	}
	return nil
}

// Resume thaws a paused node; resuming one that is not paused is not an
// error.
func (e *Env) Resume(ctx context.Context, name string) error {
	n, err := e.mustNode(name)
	if err != nil {
		return err
	}
	if st, err := e.State(ctx, name); err == nil && st.Status != platform.StatusPaused {
		return nil
	}
	if _, err := e.docker.ContainerUnpause(ctx, n.id(), client.ContainerUnpauseOptions{}); err != nil {
		return fmt.Errorf("resume %s: %w", name, err)
	}
	return nil
}

// State is what Docker says about the node's container.
func (e *Env) State(ctx context.Context, name string) (platform.State, error) {
	n, err := e.mustNode(name)
	if err != nil {
		return platform.State{}, err
	}
	ins, err := e.docker.ContainerInspect(ctx, n.id(), client.ContainerInspectOptions{})
	if err != nil {
		if isNotFound(err) {
			return platform.State{Status: platform.StatusMissing}, nil
		}
		return platform.State{}, fmt.Errorf("inspect %s: %w", name, err)
	}
	cs := ins.Container.State
	if cs == nil {
		return platform.State{Status: platform.StatusOther}, nil
	}
	st := platform.State{Pid: cs.Pid, ExitCode: cs.ExitCode, OOMKilled: cs.OOMKilled}
	st.StartedAt, _ = time.Parse(time.RFC3339Nano, cs.StartedAt)
	st.FinishedAt, _ = time.Parse(time.RFC3339Nano, cs.FinishedAt)
	switch cs.Status {
	case container.StateRunning:
		st.Status = platform.StatusRunning
	case container.StatePaused:
		st.Status = platform.StatusPaused
	case container.StateExited, container.StateDead:
		st.Status = platform.StatusExited
	case container.StateCreated:
		st.Status = platform.StatusCreated
	default:
		st.Status = platform.StatusOther
	}
	return st, nil
}

// logical turns a Docker network name of this run back into its logical
// name (a region or topology.WAN); ok is false for a network not ours.
func (e *Env) logical(dockerNet string) (string, bool) {
	return strings.CutPrefix(dockerNet, topology.ObjectPrefix(e.RunID))
}

// logicalNetworks inspects the node once and gives its endpoints now by
// logical network, the networks not of this run left out: what Networks,
// Addresses and networkAddress each read.
func (e *Env) logicalNetworks(ctx context.Context, n *node) (map[string]*network.EndpointSettings, error) {
	ins, err := e.docker.ContainerInspect(ctx, n.id(), client.ContainerInspectOptions{})
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", n.Name, err)
	}
	out := map[string]*network.EndpointSettings{}
	if ins.Container.NetworkSettings != nil {
		for dn, ep := range ins.Container.NetworkSettings.Networks {
			if l, ok := e.logical(dn); ok {
				out[l] = ep
			}
		}
	}
	return out, nil
}

// Networks lists the logical networks the node is on now, sorted.
func (e *Env) Networks(ctx context.Context, name string) ([]string, error) {
	n, err := e.mustNode(name)
	if err != nil {
		return nil, err
	}
	nets, err := e.logicalNetworks(ctx, n)
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(nets)), nil
}

// Addresses lists the node's addresses now by logical network; a node that
// does not run has none (an empty map, not an error).
func (e *Env) Addresses(ctx context.Context, name string) (map[string]netip.Addr, error) {
	n, err := e.mustNode(name)
	if err != nil {
		return nil, err
	}
	nets, err := e.logicalNetworks(ctx, n)
	if err != nil {
		return nil, err
	}
	out := map[string]netip.Addr{}
	for l, ep := range nets {
		if ep != nil && ep.IPAddress.IsValid() {
			out[l] = ep.IPAddress
		}
	}
	return out, nil
}

// Disconnect cuts the node off a logical network; one it is not on is not
// an error.
func (e *Env) Disconnect(ctx context.Context, name, net string) error {
	n, err := e.mustNode(name)
	if err != nil {
		return err
	}
	if nets, err := e.logicalNetworks(ctx, n); err == nil && nets[net] != nil && nets[net].IPAddress.IsValid() {
		e.mu.Lock()
		if e.cutFrom == nil {
			e.cutFrom = map[string]netip.Addr{}
		}
		e.cutFrom[name+"\x00"+net] = nets[net].IPAddress
		e.mu.Unlock()
	}
	if _, err := e.docker.NetworkDisconnect(ctx, e.NetworkName(net), client.NetworkDisconnectOptions{Container: n.id(), Force: true}); err != nil && !isNotFound(err) && !notConnected(err) {
		return fmt.Errorf("disconnect %s from %s: %w", name, net, err)
	}
	return nil
}

// Connect joins the node to a logical network again, under its host name
// and at the address it had when Disconnect cut it off, or another one if
// that is taken now (netpin); one it is already on is not an error.
func (e *Env) Connect(ctx context.Context, name, net string) error {
	n, err := e.mustNode(name)
	if err != nil {
		return err
	}
	e.mu.Lock()
	was := e.cutFrom[name+"\x00"+net]
	e.mu.Unlock()
	connect := func(addr netip.Addr) error {
		_, err := e.docker.NetworkConnect(ctx, e.NetworkName(net), client.NetworkConnectOptions{Container: n.id(),
			EndpointConfig: netpin.Endpoint(name, addr)})
		return err
	}
	err = connect(was)
	if was.IsValid() && netpin.Taken(err) {
		e.log.Warn("a node's address was taken while it was cut off; it joins at another", "node", name, "network", net, "address", was)
		err = connect(netip.Addr{})
	}
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		return fmt.Errorf("connect %s to %s: %w", name, net, err)
	}
	return nil
}

func notConnected(err error) bool {
	return strings.Contains(err.Error(), "is not connected")
}

// Endpoint is where the harness reaches a node's port: the container's
// address on one of the run's networks where the host can route to it
// (Linux), else the port Docker publishes on 127.0.0.1. Going around the
// userland proxy matters: at 1000 writes/s the proxy alone takes most of a
// core and the drill measures an overloaded machine (docs/architecture.md,
// "Endpoints").
func (e *Env) Endpoint(ctx context.Context, name, port string) (string, error) {
	n, err := e.mustNode(name)
	if err != nil {
		return "", err
	}
	if e.direct {
		if addr, err := e.networkAddress(ctx, n); err == nil {
			p, _, _ := strings.Cut(port, "/")
			return net.JoinHostPort(addr, p), nil
		}
		// Cut off every network (a partition): fall through to the
		// published port, which fails the same way.
	}
	p, err := n.ctr.MappedPort(ctx, port)
	if err != nil {
		return "", fmt.Errorf("port %s of %s: %w", port, name, err)
	}
	return fmt.Sprintf("127.0.0.1:%d", p.Num()), nil
}

// networkAddress is the node's IPv4 address on its home network, else on
// any other network of the run it is on.
func (e *Env) networkAddress(ctx context.Context, n *node) (string, error) {
	nets, err := e.logicalNetworks(ctx, n)
	if err != nil {
		return "", err
	}
	for _, logical := range n.Networks {
		if ep := nets[logical]; ep != nil && ep.IPAddress.IsValid() {
			return ep.IPAddress.String(), nil
		}
	}
	return "", fmt.Errorf("%s is on none of its networks", n.Name)
}

// chooseEndpoints decides once per run whether the host routes to the
// run's networks: a TCP dial of the app's address that connects or is
// refused proves a route; a timeout or "no route" means Docker runs in a
// VM (Docker Desktop) and the published ports are the way in.
func (e *Env) chooseEndpoints(ctx context.Context) {
	if e.forcePublished {
		return
	}
	n, ok := e.node(topology.NodeApp)
	if !ok {
		return
	}
	addr, err := e.networkAddress(ctx, n)
	if err != nil {
		return
	}
	p, _, _ := strings.Cut(topology.PortApp, "/")
	c, err := net.DialTimeout("tcp", net.JoinHostPort(addr, p), time.Second)
	switch {
	case err == nil:
		c.Close()
		e.direct = true
	case errors.Is(err, syscall.ECONNREFUSED):
		e.direct = true
	}
	e.log.Debug("endpoints chosen", "direct", e.direct, "probe", addr)
}

// Direct reports whether the harness reaches containers at their network
// addresses (true) or through published ports.
func (e *Env) Direct() bool { return e.direct }
