package images

import (
	"debug/elf"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestImagesResolveDepsOfCgoBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("linux only")
	}
	bin := buildTestBinary(t, "hello-cgo", "1")
	if StaticBinary(bin) == nil {
		t.Fatal("a cgo binary passed as static: the test would prove nothing")
	}
	deps, err := imgResolveDeps(bin, imgLibSearchDirs("/", runtime.GOARCH))
	if err != nil {
		t.Fatal(err)
	}
	if deps.Interp == "" || !slices.Contains(deps.Files(), deps.Interp) {
		t.Fatalf("interpreter %q, files %v", deps.Interp, deps.Files())
	}
	if !slices.ContainsFunc(deps.Libs, func(l string) bool { return path.Base(l) == "libc.so.6" }) {
		t.Fatalf("libc not among %v", deps.Libs)
	}
	// Closed under DT_NEEDED: every library any of them needs is in the set.
	have := map[string]bool{}
	for _, l := range deps.Files() {
		have[path.Base(l)] = true
	}
	for _, l := range append([]string{bin}, deps.Libs...) {
		f, err := elf.Open(l)
		if err != nil {
			t.Fatal(err)
		}
		needed, _ := f.DynString(elf.DT_NEEDED)
		f.Close()
		for _, n := range needed {
			if !have[n] {
				t.Errorf("%s needs %s, not resolved (have %v)", l, n, deps.Files())
			}
		}
	}
	for _, d := range deps.LibDirs() {
		if !slices.ContainsFunc(deps.Libs, func(l string) bool { return path.Dir(l) == d }) {
			t.Errorf("LD_LIBRARY_PATH dir %s holds none of the libraries", d)
		}
	}

	// Nowhere to look: the error names the library.
	if _, err := imgResolveDeps(bin, nil); err == nil || !strings.Contains(err.Error(), "libc.so.6") {
		t.Fatalf("without search dirs: %v", err)
	}

	// A static binary has no dependencies.
	static, err := imgResolveDeps(buildStaticTestBinary(t, "s"), imgLibSearchDirs("/", runtime.GOARCH))
	if err != nil || len(static.Files()) != 0 {
		t.Fatalf("static binary: %+v %v", static, err)
	}
}

// The app recipe takes a dynamically linked binary with its libraries, and
// hashes their content.
func TestImagesAppRecipeOfCgoBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("linux only")
	}
	bin := buildTestBinary(t, "hello-cgo", "1")
	r, err := imgAppRecipe(bin)
	if err != nil {
		t.Fatalf("a cgo binary is refused: %v", err)
	}
	deps, err := imgResolveDeps(bin, imgLibSearchDirs("/", runtime.GOARCH))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var dockerfile string
	for _, f := range r.files {
		names = append(names, f.name)
		if f.name == "Dockerfile" {
			dockerfile = string(f.data)
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
	if err := imgCheckELF(bin, "arm64", imgAppHint); err == nil || !strings.Contains(err.Error(), "GOARCH=arm64") {
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

func TestImagesLibSearchDirs(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/ld.so.conf", "# comment\ninclude /etc/ld.so.conf.d/*.conf\n/opt/first/lib\n")
	write("etc/ld.so.conf.d/b.conf", "/opt/b # trailing\n")
	write("etc/ld.so.conf.d/a.conf", "/opt/a\n/lib/x86_64-linux-gnu\nnot-absolute\n")
	got := imgLibSearchDirs(root, "amd64")
	want := []string{"/opt/a", "/lib/x86_64-linux-gnu", "/opt/b", "/opt/first/lib", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}
	if !slices.Equal(got, want) {
		t.Fatalf("dirs\n%v\nwant\n%v", got, want)
	}
}
