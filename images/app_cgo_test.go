package images

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/images/elfdeps"
)

// The app recipe takes a dynamically linked binary with its libraries, and
// hashes their content.
func TestImagesAppRecipeOfCgoBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Fatalf("firedrill's image recipes are for linux; this is %s", runtime.GOOS)
	}
	bin := buildTestBinary(t, "hello-cgo", "1")
	r, err := imgAppRecipe(bin)
	if err != nil {
		t.Fatalf("a cgo binary is refused: %v", err)
	}
	deps, err := elfdeps.Resolve(bin, elfdeps.SearchDirs("/", runtime.GOARCH))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var dockerfile string
	for _, f := range r.files {
		names = append(names, f.Name)
		if f.Name == "Dockerfile" {
			dockerfile = string(f.Data)
		}
	}
	for _, lib := range deps.Files() {
		if !slices.Contains(names, "rootfs"+lib) {
			t.Errorf("%s not in the build context %v", lib, names)
		}
	}
	if !strings.Contains(dockerfile, "ENV LD_LIBRARY_PATH="+strings.Join(deps.LibDirs(), ":")+"\n") {
		t.Errorf("Dockerfile:\n%s", dockerfile)
	}
	static, err := imgAppRecipe(buildStaticTestBinary(t, "hello-cgo"))
	if err != nil {
		t.Fatal(err)
	}
	if static.hash == r.hash {
		t.Fatal("same hash for a static and a dynamic binary")
	}
	// Wrong architecture is still refused, with how to build one.
	if err := elfdeps.Check(bin, "arm64", imgAppHint); err == nil || !strings.Contains(err.Error(), "GOARCH=arm64") {
		t.Fatalf("wrong architecture: %v", err)
	}
	script := filepath.Join(t.TempDir(), "firedrill")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := imgAppRecipe(script); err == nil || !strings.Contains(err.Error(), "not a linux executable") {
		t.Fatalf("a script as the app binary: %v", err)
	}
}
