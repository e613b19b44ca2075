package images

import (
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
	"testing"
	"time"

	"github.com/firedrill/firedrill/images/elfdeps"
	"github.com/firedrill/firedrill/images/internal/recipe"
	"github.com/firedrill/firedrill/images/internal/tinybin"
)

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
		if f.Name == "Dockerfile" && strings.Contains(string(f.Data), "LD_LIBRARY_PATH") {
			t.Fatalf("static app Dockerfile sets LD_LIBRARY_PATH:\n%s", f.Data)
		}
	}
	if len(app1.files) != 3 {
		t.Fatalf("static app context %+v", app1.files)
	}
}

func mustSHA(t *testing.T, p string) string {
	t.Helper()
	s, err := recipe.FileSHA256(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
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

// buildStaticTestBinary compiles a tiny static program printing msg.
func buildStaticTestBinary(t *testing.T, msg string) string {
	t.Helper()
	return buildTestBinary(t, msg, "0")
}

func buildTestBinary(t *testing.T, msg, cgo string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the test builds a tiny binary and needs the go toolchain: %v", err)
	}
	bin, err := tinybin.Build(t.TempDir(), msg, cgo == "1")
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestImagesStaticBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Fatalf("firedrill's image recipes are for linux; this is %s", runtime.GOOS)
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
	if err := elfdeps.Static(static, "arm64", imgStaticHint); err == nil || !strings.Contains(err.Error(), "GOARCH=arm64") {
		t.Fatalf("wrong architecture: %v", err)
	}
	if err := StaticBinary(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing file passed")
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

func TestImagesResolveUnknownRole(t *testing.T) {
	im := NewImages(nil, WithProgress(io.Discard))
	if _, err := im.Resolve(context.Background(), Role("redis"), ""); err == nil {
		t.Fatal("unknown role resolved")
	}
	if _, err := im.Build(context.Background(), Role("redis"), false); err == nil {
		t.Fatal("unknown role built")
	}
	if got := Roles(); len(got) != 7 || got[0] != RolePostgres || got[6] != RolePGAutoFailover {
		t.Fatalf("roles %v", got)
	}
}
