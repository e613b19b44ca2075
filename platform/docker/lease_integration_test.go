//go:build integration

package docker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// A run whose id is already held by another run's lease stops before it
// creates anything, and its failed start removes nothing of the other run.
func TestIntegrationRunIDClaimedOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	scn, err := scenarios.Builtin("primary-kill")
	if err != nil {
		t.Fatal(err)
	}
	id := docker.NewRunID()
	// The other run: its lease, and one of its networks.
	app, err := newImages().Resolve(ctx, images.RoleApp, "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := dockerCli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   topology.ContainerName(id, docker.NodeLease),
		Config: &container.Config{Image: app.Ref, Cmd: []string{"lease"}, Labels: map[string]string{docker.LabelRun: id, docker.LabelNode: docker.NodeLease}},
	})
	if err != nil {
		t.Fatal(err)
	}
	net := topology.ObjectPrefix(id) + "east"
	if _, err := dockerCli.NetworkCreate(ctx, net, client.NetworkCreateOptions{Driver: "bridge", Labels: map[string]string{docker.LabelRun: id}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := docker.Clean(context.Background(), dockerCli, docker.CleanRun(id), docker.CleanForce()); err != nil {
			t.Error(err)
		}
	})

	env, err := docker.Up(ctx, dockerCli, newImages(), scn, docker.WithRunID(id))
	if !errors.Is(err, docker.ErrRunIDTaken) {
		if env != nil {
			env.Down(context.Background())
		}
		t.Fatalf("Up with a taken run id: %v, want ErrRunIDTaken", err)
	}
	if _, err := dockerCli.ContainerInspect(ctx, other.ID, client.ContainerInspectOptions{}); err != nil {
		t.Errorf("the other run's lease was touched: %v", err)
	}
	if _, err := dockerCli.NetworkInspect(ctx, net, client.NetworkInspectOptions{}); err != nil {
		t.Errorf("the other run's network was touched: %v", err)
	}

	// A created, never started lease counts as alive for a while (a harness
	// between create and start): a plain clean leaves the run alone.
	rep, err := docker.Clean(ctx, dockerCli, docker.CleanRun(id))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Live) != 1 || rep.Live[0] != id || !rep.Empty() {
		t.Errorf("clean of a starting run: %+v, want it left alone", rep)
	}
}
