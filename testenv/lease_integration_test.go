//go:build integration

package testenv_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/testenv"
	"github.com/firedrill/firedrill/testenv/images"
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
	id := testenv.NewRunID()
	// The other run: its lease, and one of its networks.
	app, err := newImages().Resolve(ctx, images.RoleApp, "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := docker.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   testenv.ContainerName(id, testenv.NodeLease),
		Config: &container.Config{Image: app.Ref, Cmd: []string{"lease"}, Labels: map[string]string{testenv.LabelRun: id, testenv.LabelNode: testenv.NodeLease}},
	})
	if err != nil {
		t.Fatal(err)
	}
	net := testenv.ObjectPrefix(id) + "east"
	if _, err := docker.NetworkCreate(ctx, net, client.NetworkCreateOptions{Driver: "bridge", Labels: map[string]string{testenv.LabelRun: id}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := testenv.Clean(context.Background(), docker, testenv.CleanRun(id), testenv.CleanForce()); err != nil {
			t.Error(err)
		}
	})

	env, err := testenv.Up(ctx, docker, newImages(), scn, testenv.WithRunID(id))
	if !errors.Is(err, testenv.ErrRunIDTaken) {
		if env != nil {
			env.Down(context.Background())
		}
		t.Fatalf("Up with a taken run id: %v, want ErrRunIDTaken", err)
	}
	if _, err := docker.ContainerInspect(ctx, other.ID, client.ContainerInspectOptions{}); err != nil {
		t.Errorf("the other run's lease was touched: %v", err)
	}
	if _, err := docker.NetworkInspect(ctx, net, client.NetworkInspectOptions{}); err != nil {
		t.Errorf("the other run's network was touched: %v", err)
	}

	// A created, never started lease counts as alive for a while (a harness
	// between create and start): a plain clean leaves the run alone.
	rep, err := testenv.Clean(ctx, docker, testenv.CleanRun(id))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Live) != 1 || rep.Live[0] != id || !rep.Empty() {
		t.Errorf("clean of a starting run: %+v, want it left alone", rep)
	}
}
