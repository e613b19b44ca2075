package images

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestImagesRecipeHashStableAndSensitive(t *testing.T) {
	base := []imgHashInput{{"role", "postgres"}, {"suite", "bookworm"}, {"packages", "postgresql-15"}}
	h1 := imgRecipeHash(base...)
	h2 := imgRecipeHash(append([]imgHashInput(nil), base...)...)
	if h1 != h2 {
		t.Fatalf("same inputs, different hashes: %s %s", h1, h2)
	}
	if len(h1) != 64 {
		t.Fatalf("hash %q is not hex sha256", h1)
	}
	changed := []imgHashInput{{"role", "postgres"}, {"suite", "bookworm"}, {"packages", "postgresql-15,curl"}}
	if imgRecipeHash(changed...) == h1 {
		t.Fatal("a changed package list kept the hash")
	}
	// Framing: moving bytes across the input boundary must change the hash.
	a := imgRecipeHash(imgHashInput{"x", "ab"}, imgHashInput{"y", "c"})
	b := imgRecipeHash(imgHashInput{"x", "a"}, imgHashInput{"y", "bc"})
	if a == b {
		t.Fatal("hash does not frame its inputs")
	}
}

func TestImagesRecipesHashEveryInput(t *testing.T) {
	dir := t.TempDir()
	im := NewImages(nil, WithCacheDir(dir), WithProgress(io.Discard), WithDebianMirror("http://deb.debian.org/debian"))
	pg, err := im.recipe(RolePostgres)
	if err != nil {
		t.Fatal(err)
	}
	// Cached per Images.
	if again, _ := im.recipe(RolePostgres); again != pg {
		t.Fatal("recipe not cached")
	}
	if !regexp.MustCompile(`^firedrill/postgres:15-[0-9a-f]{12}$`).MatchString(pg.tag) {
		t.Fatalf("postgres tag %q", pg.tag)
	}
	if !strings.HasPrefix(pg.hash, pg.tag[len(pg.tag)-12:]) {
		t.Fatalf("tag %s does not carry hash %s", pg.tag, pg.hash)
	}
	if pg.baseTag != "firedrill/base-postgres:"+pg.baseHash[:12] {
		t.Fatalf("base tag %q", pg.baseTag)
	}

	// Another mirror: another base, another image.
	im2 := NewImages(nil, WithCacheDir(dir), WithProgress(io.Discard), WithDebianMirror("http://mirror.example/debian"))
	pg2, err := im2.recipe(RolePostgres)
	if err != nil {
		t.Fatal(err)
	}
	if pg2.baseHash == pg.baseHash || pg2.hash == pg.hash {
		t.Fatal("mirror is not part of the hash")
	}

	// Every role has a distinct hash; nettools and postgres do not share a base.
	nt, err := im.recipe(RoleNetTools)
	if err != nil {
		t.Fatal(err)
	}
	if nt.baseHash == pg.baseHash || nt.hash == pg.hash {
		t.Fatal("nettools and postgres share a hash")
	}
	if !regexp.MustCompile(`^firedrill/nettools:bookworm-[0-9a-f]{12}$`).MatchString(nt.tag) {
		t.Fatalf("nettools tag %q", nt.tag)
	}
	mi, err := im.recipe(RoleMinIO)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^firedrill/minio:20260212-[0-9a-f]{12}$`).MatchString(mi.tag) {
		t.Fatalf("minio tag %q", mi.tag)
	}
	// The cached binary is keyed by version and build flags: another flag set
	// never reuses it.
	if !regexp.MustCompile(`/minio-`+regexp.QuoteMeta(imgMinIOVersion)+`-[0-9a-f]{8}/minio$`).MatchString(mi.minioBinary) ||
		!strings.HasPrefix(mi.minioBinary, dir) {
		t.Fatalf("minio binary cached at %q", mi.minioBinary)
	}
	if id := imgMinIOBuildID(); !strings.Contains(id, "-ldflags=-s -w") || !strings.Contains(id, "-trimpath") || !strings.Contains(id, "CGO_ENABLED=0") {
		t.Fatalf("minio build %q", id)
	}

	// The app recipe needs a binary, and hashes its content.
	if _, err := im.recipe(RoleApp); err == nil {
		t.Fatal("app recipe without a binary")
	}
	bin := buildStaticTestBinary(t, "one")
	app1, err := NewImages(nil, WithCacheDir(dir), WithAppBinary(bin)).recipe(RoleApp)
	if err != nil {
		t.Fatal(err)
	}
	bin2 := buildStaticTestBinary(t, "two")
	app2, err := NewImages(nil, WithCacheDir(dir), WithAppBinary(bin2)).recipe(RoleApp)
	if err != nil {
		t.Fatal(err)
	}
	if app1.hash == app2.hash {
		t.Fatal("a different app binary kept the hash")
	}
	if !regexp.MustCompile(`^firedrill/app:dev-[0-9a-f]{12}$`).MatchString(app1.tag) {
		t.Fatalf("app tag %q", app1.tag)
	}
	if app1.binarySum != mustSHA(t, bin) {
		t.Fatal("the recipe does not remember the binary's hash it was made from")
	}
	// A static binary needs nothing else: no library, no LD_LIBRARY_PATH.
	for _, f := range app1.files {
		if f.name == "Dockerfile" && strings.Contains(string(f.data), "LD_LIBRARY_PATH") {
			t.Fatalf("static app Dockerfile sets LD_LIBRARY_PATH:\n%s", f.data)
		}
	}
	if len(app1.files) != 3 {
		t.Fatalf("static app context %+v", app1.files)
	}
}

func mustSHA(t *testing.T, p string) string {
	t.Helper()
	s, err := imgFileSHA256(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestImagesTagFormat(t *testing.T) {
	h := strings.Repeat("3fa9c2e01b7d", 5) + "abcd"
	if got := imgRecipeTag(RolePostgres, "15", h); got != "firedrill/postgres:15-3fa9c2e01b7d" {
		t.Fatalf("tag %q", got)
	}
	if got := imgBaseTag(RoleNetTools, h); got != "firedrill/base-nettools:3fa9c2e01b7d" {
		t.Fatalf("base tag %q", got)
	}
	if got := imgMinIOTagVersion("v0.0.0-20260212201848-7aac2a2c5b7c"); got != "20260212" {
		t.Fatalf("minio version %q", got)
	}
	if got := imgTagSafe("v1.2.3+dirty"); got != "v1.2.3_dirty" {
		t.Fatalf("tag-safe %q", got)
	}
}

func TestImagesOfficial(t *testing.T) {
	cases := []struct {
		role Role
		ref  string
		want bool
	}{
		{RolePostgres, "postgres:15", true},
		{RolePostgres, "postgres:15.8-bookworm", true},
		{RolePostgres, "docker.io/library/postgres:15", true},
		{RolePostgres, "postgres:16", false},
		{RolePostgres, "postgres", false},
		{RolePostgres, "mycorp/postgres:15", false},
		{RoleMinIO, "minio/minio", true},
		{RoleMinIO, "minio/minio:RELEASE.2025-04-22T22-12-26Z", true},
		{RoleMinIO, "quay.io/minio/minio", true},
		{RoleMinIO, "bitnami/minio", false},
		{RoleApp, "firedrill/app:dev", false},
	}
	for _, c := range cases {
		if got := imgIsOfficial(c.role, c.ref); got != c.want {
			t.Errorf("imgIsOfficial(%s, %s) = %v, want %v", c.role, c.ref, got, c.want)
		}
	}
	if OfficialImage(RolePostgres) != "postgres:15" || OfficialImage(RoleApp) != "" {
		t.Fatal("official defaults")
	}
}

func TestImagesDebianMirror(t *testing.T) {
	root := t.TempDir()
	if got := imgDebianMirrorFrom(root, "bookworm"); got != imgDefaultMirror {
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
	if got := imgDebianMirrorFrom(root, "bookworm"); got != "http://mirror.example/debian" {
		t.Fatalf("deb822: %q", got)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/apt/sources.list"),
		[]byte("# deb http://old.example/debian bookworm main\ndeb [signed-by=/x.gpg] http://list.example/debian bookworm main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := imgDebianMirrorFrom(root, "bookworm"); got != "http://list.example/debian" {
		t.Fatalf("one-line: %q", got)
	}
}

// buildStaticTestBinary compiles a tiny static program printing msg.
func buildStaticTestBinary(t *testing.T, msg string) string {
	t.Helper()
	return buildTestBinary(t, msg, "0")
}

func buildTestBinary(t *testing.T, msg, cgo string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain")
	}
	dir := t.TempDir()
	src := "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() { fmt.Println(\"" + msg + "\", os.Args[1:]) }\n"
	if cgo == "1" {
		// os/user with cgo links libc dynamically.
		src = "package main\n\n// #include <stdio.h>\nimport \"C\"\n\nfunc main() { C.puts(C.CString(\"" + msg + "\")) }\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module tiny\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tiny")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo, "GOOS=linux", "GOFLAGS=", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build (CGO_ENABLED=%s): %v\n%s", cgo, err, b)
	}
	return out
}

func TestImagesStaticBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("linux only")
	}
	static := buildStaticTestBinary(t, "hello")
	if err := StaticBinary(static); err != nil {
		t.Fatalf("static binary rejected: %v", err)
	}
	dynamic := "/bin/ls"
	if _, err := os.Stat(dynamic); err != nil {
		dynamic = buildTestBinary(t, "hello", "1")
	}
	err := StaticBinary(dynamic)
	if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") || !strings.Contains(err.Error(), "dynamically linked") {
		t.Fatalf("dynamic binary: %v", err)
	}
	script := filepath.Join(t.TempDir(), "script.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := StaticBinary(script); err == nil {
		t.Fatal("a shell script passed as a static binary")
	}
	if err := imgStaticBinary(static, "arm64"); err == nil || !strings.Contains(err.Error(), "GOARCH=arm64") {
		t.Fatalf("wrong architecture: %v", err)
	}
	if err := StaticBinary(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing file passed")
	}
}

func TestImagesRootfsSkip(t *testing.T) {
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
		if got := imgRootfsSkip(c.rel, c.dir); got != c.wants {
			t.Errorf("imgRootfsSkip(%q, %v) = %v", c.rel, c.dir, got)
		}
	}
}

func TestImagesRootfsTar(t *testing.T) {
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
	if err := imgWriteRootfsTar(&buf, root); err != nil {
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

func TestImagesContextTar(t *testing.T) {
	src := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(src, []byte("ELF..."), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err := imgWriteContextTar(&buf, []imgContextFile{
		{name: "Dockerfile", mode: 0o644, data: []byte("FROM scratch\n")},
		{name: "rootfs/firedrill", mode: 0o755, src: src},
		{name: "rootfs/tmp", mode: 0o1777, dir: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Name == "rootfs/firedrill" && (h.Mode != 0o755 || h.Size != 6) {
			t.Errorf("firedrill header %+v", h)
		}
		if h.Name == "rootfs/tmp/" && h.Mode != 0o1777 {
			t.Errorf("tmp mode %o", h.Mode)
		}
	}
	if strings.Join(names, ",") != "Dockerfile,rootfs/,rootfs/firedrill,rootfs/tmp/" {
		t.Fatalf("names %v", names)
	}
}

func TestImagesStreamErrors(t *testing.T) {
	var seen []string
	err := imgReadStream(strings.NewReader(`{"stream":"Step 1/2 : FROM scratch\n"}
{"stream":" ---\u003e Running\n"}
{"errorDetail":{"message":"COPY failed: no such file"},"error":"COPY failed: no such file"}
`), func(m imgStreamMsg) { seen = append(seen, m.Stream) })
	if err == nil || err.Error() != "COPY failed: no such file" {
		t.Fatalf("err %v", err)
	}
	if len(seen) != 3 {
		t.Fatalf("seen %q", seen)
	}
	if err := imgReadStream(strings.NewReader(`{"status":"sha256:abc"}`), nil); err != nil {
		t.Fatal(err)
	}
}

func TestImagesTail(t *testing.T) {
	var logged []string
	tail := newImgTail(2, func(s string) { logged = append(logged, s) })
	tail.Write([]byte("one\ntw"))
	tail.Write([]byte("o\nthree\nfour"))
	if len(logged) != 3 {
		t.Fatalf("logged %q", logged)
	}
	if got := tail.String(); got != "    two\n    three\n    four" {
		t.Fatalf("tail %q", got)
	}
	err := imgWithTail(errors.New("boom"), tail)
	if !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "four") {
		t.Fatalf("err %v", err)
	}
}

func TestImagesLockExcludesAndHonoursContext(t *testing.T) {
	im := NewImages(nil, WithCacheDir(t.TempDir()), WithProgress(io.Discard))
	ctx := context.Background()
	unlock, err := im.lock(ctx, "x", "testing")
	if err != nil {
		t.Fatal(err)
	}
	// A second holder (another open file, as in another process) must wait.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := im.lock(short, "x", "testing"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock: %v", err)
	}
	var wg sync.WaitGroup
	got := make(chan error, 1)
	wg.Go(func() {
		u, err := im.lock(ctx, "x", "testing")
		if err == nil {
			u()
		}
		got <- err
	})
	time.Sleep(100 * time.Millisecond)
	unlock()
	wg.Wait()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

func TestImagesUnescapeMount(t *testing.T) {
	if got := imgUnescapeMount(`/tmp/a\040b/c`); got != "/tmp/a b/c" {
		t.Fatalf("%q", got)
	}
	if got := imgUnescapeMount(`/x\`); got != `/x\` {
		t.Fatalf("%q", got)
	}
}

func TestImagesResolveUnknownRole(t *testing.T) {
	im := NewImages(nil, WithProgress(io.Discard))
	if _, err := im.Resolve(context.Background(), Role("redis"), ""); err == nil {
		t.Fatal("unknown role resolved")
	}
	if _, err := im.Build(context.Background(), Role("redis"), false); err == nil {
		t.Fatal("unknown role built")
	}
	if got := Roles(); len(got) != 4 || got[0] != RolePostgres {
		t.Fatalf("roles %v", got)
	}
}

// A build directory with a mount inside (debootstrap killed mid-way leaves the
// host's devices bind-mounted there) is removed without touching what is mounted.
func TestImagesRemoveBuildDirUnmounts(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root on linux")
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
		t.Skipf("cannot bind mount here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(target, syscall.MNT_DETACH) })
	if m, err := imgMountsUnder(build); err != nil || len(m) != 1 || m[0] != target {
		t.Fatalf("mounts under %s: %v %v", build, m, err)
	}
	if err := imgRemoveBuildDir(build); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sentinel); err != nil {
		t.Fatalf("the mounted directory's content was removed: %v", err)
	}
	if _, err := os.Stat(build); !os.IsNotExist(err) {
		t.Fatalf("build dir still there: %v", err)
	}
}
