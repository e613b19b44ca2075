//go:build integration

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/internal/itest"
)

// A firedrill built the plain way (go build or go install with cgo on, so
// dynamically linked) runs a drill end to end: its app image carries the
// program interpreter and the shared libraries the binary needs.
func TestIntegrationCgoBinaryRunsDrill(t *testing.T) {
	root, err := itest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cgoBin := filepath.Join(t.TempDir(), "firedrill")
	build := exec.Command("go", "build", "-o", cgoBin, "./cmd/firedrill")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=1 go build ./cmd/firedrill: %v\n%s", err, b)
	}
	if images.StaticBinary(cgoBin) == nil {
		t.Fatal("CGO_ENABLED=1 gave a static binary: this test would prove nothing")
	}
	t.Cleanup(func() { removeAppImage(t, cgoBin) })

	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(cgoBin, "run", "replica-kill", "--out", out)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := exitCode(t, cmd.Run())
	t.Logf("cgo firedrill run replica-kill: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), tail(stderr.String(), 40))
	runID := runIDFrom(stderr.String())
	if runID == "" {
		t.Fatalf("no run id in stderr")
	}
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	if res := readResult(t, out); res.Verdict != firedrill.VerdictPass {
		t.Fatalf("verdict %s (reasons %v), want pass", res.Verdict, res.Reasons)
	}
	assertNothingLeft(t, runID)
}

// removeAppImage drops the app image made from bin: every new binary makes
// one, and the test's would pile up.
func removeAppImage(t *testing.T, bin string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := images.NewImages(dockerCli, images.WithAppBinary(bin), images.WithProgress(io.Discard)).List(ctx)
	if err != nil {
		t.Logf("list images: %v", err)
		return
	}
	for _, s := range st {
		if s.Role == images.RoleApp && s.RecipePresent {
			if _, err := dockerCli.ImageRemove(ctx, s.RecipeTag, client.ImageRemoveOptions{}); err != nil {
				t.Logf("remove %s: %v", s.RecipeTag, err)
			}
		}
	}
}
