package rootfs

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

func TestDebianMirror(t *testing.T) {
	root := t.TempDir()
	if got := DebianMirror(root, "bookworm"); got != DefaultMirror {
		t.Fatalf("no sources: %q", got)
	}
	d := filepath.Join(root, "etc/apt/sources.list.d")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(d, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("debian.sources", `Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main

Types: deb
# a comment
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main
`)
	write("other.list", "deb [arch=amd64] https://packages.example/apt stable main\n")
	if got := DebianMirror(root, "bookworm"); got != "http://mirror.example/debian" {
		t.Fatalf("deb822: %q", got)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/apt/sources.list"),
		[]byte("# deb http://old.example/debian bookworm main\ndeb [signed-by=/x.gpg] http://list.example/debian bookworm main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := DebianMirror(root, "bookworm"); got != "http://list.example/debian" {
		t.Fatalf("one-line: %q", got)
	}
}

func TestSkip(t *testing.T) {
	cases := []struct {
		rel   string
		dir   bool
		wants bool
	}{
		{"dev/null", false, true},
		{"dev", true, false},
		{"proc/self", true, true},
		{"var/cache/apt/archives/bash_5.2_amd64.deb", false, true},
		{"var/cache/apt/archives/partial", true, false},
		{"var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", false, true},
		{"usr/share/doc/bash/README", false, true},
		{"usr/share/doc/bash/copyright", false, false},
		{"usr/share/doc/bash", true, false},
		{"usr/share/man/man1/ls.1.gz", false, true},
		{"usr/lib/postgresql/15/bin/postgres", false, false},
		{"etc/passwd", false, false},
	}
	for _, c := range cases {
		if got := Skip(c.rel, c.dir); got != c.wants {
			t.Errorf("Skip(%q, %v) = %v", c.rel, c.dir, got)
		}
	}
}

func TestWriteTar(t *testing.T) {
	root := t.TempDir()
	mk := func(p, data string) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("etc/passwd", "root:x:0:0::/root:/bin/bash\n")
	mk("usr/bin/a", "binary")
	mk("usr/share/doc/x/README", "skip me")
	mk("dev/null", "not a device here")
	if err := os.Link(filepath.Join(root, "usr/bin/a"), filepath.Join(root, "usr/bin/b")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("usr/bin", filepath.Join(root, "bin")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTar(&buf, root); err != nil {
		t.Fatal(err)
	}
	got := map[string]*tar.Header{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h
	}
	for _, want := range []string{"etc/passwd", "usr/bin/a", "usr/bin/b", "bin", "dev/", "usr/share/doc/x/"} {
		if got[want] == nil {
			t.Errorf("missing %s in %v", want, keys(got))
		}
	}
	for _, not := range []string{"usr/share/doc/x/README", "dev/null"} {
		if got[not] != nil {
			t.Errorf("%s should be skipped", not)
		}
	}
	if h := got["usr/bin/b"]; h != nil && h.Typeflag != tar.TypeLink && got["usr/bin/a"].Typeflag != tar.TypeLink {
		t.Errorf("hard link not kept")
	}
	if h := got["bin"]; h != nil && (h.Typeflag != tar.TypeSymlink || h.Linkname != "usr/bin") {
		t.Errorf("symlink: %+v", h)
	}
	if h := got["etc/passwd"]; h != nil && (h.Uname != "" || h.Uid != os.Getuid()) {
		t.Errorf("owner: uid %d uname %q", h.Uid, h.Uname)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestUnescapeMount(t *testing.T) {
	if got := unescapeMount(`/tmp/a\040b/c`); got != "/tmp/a b/c" {
		t.Fatalf("%q", got)
	}
	if got := unescapeMount(`/x\`); got != `/x\` {
		t.Fatalf("%q", got)
	}
}

// A build directory with a mount inside (debootstrap killed mid-way leaves the
// host's devices bind-mounted there) is removed without touching what is mounted.
func TestRemoveDirUnmounts(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Fatalf("bind mounts need root on linux (make test runs as root); uid %d on %s", os.Geteuid(), runtime.GOOS)
	}
	host := t.TempDir()
	sentinel := filepath.Join(host, "keep-me")
	if err := os.WriteFile(sentinel, []byte("host data"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := filepath.Join(t.TempDir(), "build dir") // a space: mountinfo escapes it
	target := filepath.Join(build, "rootfs", "dev")
	if err := os.MkdirAll(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(host, target, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("cannot bind mount here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(target, syscall.MNT_DETACH) })
	if m, err := MountsUnder(build); err != nil || len(m) != 1 || m[0] != target {
		t.Fatalf("mounts under %s: %v %v", build, m, err)
	}
	if err := RemoveDir(build); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sentinel); err != nil {
		t.Fatalf("the mounted directory's content was removed: %v", err)
	}
	if _, err := os.Stat(build); !os.IsNotExist(err) {
		t.Fatalf("build dir still there: %v", err)
	}
}
