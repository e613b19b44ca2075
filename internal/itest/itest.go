package itest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// ModuleRoot returns the repository root (where go.mod is).
func ModuleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate module root")
	}
	return filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
}

// BuildFiredrill builds the static firedrill binary into dir and returns
// its path. Integration tests run this binary as a user would, and it is
// also what goes into the app image.
func BuildFiredrill(dir string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "firedrill")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./cmd/firedrill")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/firedrill: %w\n%s", err, b)
	}
	return out, nil
}

// Docker returns a client for the local engine.
func Docker() (*client.Client, error) {
	return client.New(client.FromEnv, client.WithAPIVersionNegotiation())
}

// Leftovers lists the containers, networks and volumes labelled
// firedrill.run=<runID> (any run when runID is empty).
func Leftovers(ctx context.Context, docker *client.Client, runID string) ([]string, error) {
	label := "firedrill.run"
	if runID != "" {
		label += "=" + runID
	}
	f := make(client.Filters).Add("label", label)
	var out []string
	cs, err := docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, err
	}
	for _, c := range cs.Items {
		out = append(out, "container "+strings.Join(c.Names, ","))
	}
	ns, err := docker.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return nil, err
	}
	for _, n := range ns.Items {
		out = append(out, "network "+n.Name)
	}
	vs, err := docker.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return nil, err
	}
	for _, v := range vs.Items {
		out = append(out, "volume "+v.Name)
	}
	return out, nil
}

// Setup is the common start of an integration test binary: it builds the
// static firedrill binary into a temporary directory and connects to
// Docker. Call cleanup after m.Run. Any failure is fatal to the package:
// an integration tier that cannot reach Docker must fail, not skip.
func Setup() (bin string, docker *client.Client, cleanup func()) {
	dir, err := os.MkdirTemp("", "firedrill-itest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "itest:", err)
		os.Exit(1)
	}
	bin, err = BuildFiredrill(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "itest:", err)
		os.Exit(1)
	}
	docker, err = Docker()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = docker.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
		cancel()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "itest: Docker Engine not reachable (the integration tier needs it):", err)
		os.Exit(1)
	}
	return bin, docker, func() { docker.Close(); os.RemoveAll(dir) }
}
