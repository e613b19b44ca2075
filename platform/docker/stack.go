package docker

// The HA stacks' nodes (docs/architecture.md, "The HA stacks"): under
// dr.failover.manager patroni or pg_auto_failover, internal/hastack
// starts the stack's nodes through this runtime (stackHost) in place of
// the builtin stack's plain servers.

import (
	"context"
	"fmt"
	"strings"

	"github.com/testcontainers/testcontainers-go"

	"github.com/firedrill/firedrill/platform/docker/internal/hastack"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// startStack starts the scenario's HA stack.
func (e *Env) startStack(ctx context.Context, nodeImage, coordinationImage string) error {
	s := hastack.Stack{Scenario: e.Scenario, Topology: e.Topology, RunID: e.RunID,
		NodeImage: nodeImage, CoordinationImage: coordinationImage,
		User: pgUser, Password: e.pgPassword, Database: pgDatabase, ServerArgs: e.postgresArgs}
	h := stackHost{e}
	switch m := e.Scenario.DR.Failover.Manager; m {
	case scenarios.ManagerPatroni:
		return hastack.StartPatroni(ctx, h, s)
	case scenarios.ManagerPgAutoFailover:
		return hastack.StartPgAutoFailover(ctx, h, s)
	default:
		return fmt.Errorf("no HA stack called %q", m)
	}
}

// stackHost is the runtime as hastack needs it.
type stackHost struct{ e *Env }

var _ hastack.Host = stackHost{}

func (h stackHost) Start(ctx context.Context, n *topology.Node, spec hastack.Spec) error {
	s := service{node: n, image: spec.Image, env: spec.Env, cmd: spec.Cmd}
	for _, f := range spec.Files {
		s.files = append(s.files, testcontainers.ContainerFile{Reader: strings.NewReader(f.Content), ContainerFilePath: f.Path, FileMode: f.Mode})
	}
	_, err := h.e.run(ctx, s)
	return err
}

func (h stackHost) WaitHTTP(ctx context.Context, node, port, path string) error {
	return h.e.waitHTTP(ctx, node, port, path)
}

func (h stackHost) WaitPostgres(ctx context.Context, node, from string) error {
	wctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := h.e.cluster.WaitReady(wctx, node, from != "", from); err != nil {
		n, _ := h.e.node(node)
		return fmt.Errorf("%w%s", err, h.e.logTail(ctx, n))
	}
	return nil
}

func (h stackHost) Poll(ctx context.Context, node, what string, ready func(context.Context) (bool, error)) error {
	return h.e.pollReady(ctx, node, what, ready)
}

func (h stackHost) Endpoint(ctx context.Context, node, port string) (string, error) {
	return h.e.Endpoint(ctx, node, port)
}

func (h stackHost) SetStandbyName(node, applicationName string) {
	h.e.cluster.SetStandbyName(node, applicationName)
}

func (h stackHost) Say(format string, args ...any) { h.e.say(format, args...) }
