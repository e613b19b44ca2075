package elfdeps

import (
	"debug/elf"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/images/internal/tinybin"
)

func TestResolveCgoBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Fatalf("firedrill's image recipes are for linux; this is %s", runtime.GOOS)
	}
	bin, err := tinybin.Build(t.TempDir(), "hello-cgo", true)
	if err != nil {
		t.Fatal(err)
	}
	deps, err := Resolve(bin, SearchDirs("/", runtime.GOARCH))
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
	if _, err := Resolve(bin, nil); err == nil || !strings.Contains(err.Error(), "libc.so.6") {
		t.Fatalf("without search dirs: %v", err)
	}

	// A static binary has no dependencies.
	staticBin, err := tinybin.Build(t.TempDir(), "s", false)
	if err != nil {
		t.Fatal(err)
	}
	static, err := Resolve(staticBin, SearchDirs("/", runtime.GOARCH))
	if err != nil || len(static.Files()) != 0 {
		t.Fatalf("static binary: %+v %v", static, err)
	}
}

func TestSearchDirs(t *testing.T) {
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
	got := SearchDirs(root, "amd64")
	want := []string{"/opt/a", "/lib/x86_64-linux-gnu", "/opt/b", "/opt/first/lib", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}
	if !slices.Equal(got, want) {
		t.Fatalf("dirs\n%v\nwant\n%v", got, want)
	}
}
