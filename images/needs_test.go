package images

import (
	"github.com/firedrill/firedrill/images/internal/hostneeds"

	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeHost has the executables in exe (name -> path) and runs as uid.
func fakeHost(uid int, exe map[string]string) hostneeds.Host {
	return hostneeds.Host{
		LookPath: func(name string) (string, error) {
			if p, ok := exe[name]; ok && !strings.HasPrefix(p, "/usr/sbin/") {
				return p, nil
			}
			return "", errors.New("not on PATH")
		},
		Stat: func(p string) (os.FileInfo, error) {
			for _, e := range exe {
				if e == p {
					return fakeExecutable{}, nil
				}
			}
			return nil, fs.ErrNotExist
		},
		Euid:      func() int { return uid },
		GoVersion: func(string) (string, error) { return "go1.26.8", nil },
	}
}

type fakeExecutable struct{ os.FileInfo }

func (fakeExecutable) Mode() fs.FileMode { return 0o755 }

func TestImagesNeedsAllMissingInOneMessage(t *testing.T) {
	h := fakeHost(1000, map[string]string{"apt-get": "/usr/bin/apt-get"})
	missing := imgMissing(h, imgRecipeNeeds, []Role{RolePostgres, RoleMinIO, RoleApp, RoleNetTools})
	var names []string
	for _, m := range missing {
		names = append(names, m.Need.Name+"="+imgJoinRoles(m.Roles)+"="+m.Fix)
	}
	want := []string{
		"debootstrap=postgres, nettools=sudo apt-get install debootstrap",
		"root=postgres, nettools=run the build as root once, e.g. `sudo firedrill images build postgres nettools` (later runs reuse the images)",
		"go toolchain=minio=" + needGo.Hint,
	}
	if !slices.Equal(names, want) {
		t.Fatalf("missing:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	err := &MissingError{Missing: missing}
	if got := err.Packages(); !slices.Equal(got, []string{"debootstrap"}) {
		t.Fatalf("packages %v", got)
	}
	msg := err.Error()
	for _, s := range []string{"debootstrap", "sudo apt-get install debootstrap", "root", "go.dev/dl", "minio"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q:\n%s", s, msg)
		}
	}
}

func TestImagesNeedsMet(t *testing.T) {
	// debootstrap in /usr/sbin, off a user's PATH, still counts; root has no sudo.
	h := fakeHost(0, map[string]string{"debootstrap": "/usr/sbin/debootstrap", "go": "/usr/local/go/bin/go"})
	if m := imgMissing(h, imgRecipeNeeds, Roles()); len(m) != 0 {
		t.Fatalf("everything is there, yet missing %+v", m)
	}
	if got := h.Find(needDebootstrap); got != "/usr/sbin/debootstrap" {
		t.Fatalf("debootstrap found at %q", got)
	}
	if m := imgMissing(h, imgRecipeNeeds, []Role{RoleApp}); len(m) != 0 {
		t.Fatalf("the app recipe needs nothing: %+v", m)
	}
}

func TestImagesNeedsInstallCommand(t *testing.T) {
	cases := []struct {
		uid  int
		pms  []string
		want string
	}{
		{1000, []string{"dnf"}, "sudo dnf install debootstrap"},
		{0, []string{"apt-get", "dnf"}, "apt-get install debootstrap"},
		{1000, []string{"zypper"}, "sudo zypper install debootstrap"},
		{1000, []string{"apk"}, "sudo apk add debootstrap"},
		{1000, nil, "install the debootstrap package with your system's package manager"},
	}
	for _, c := range cases {
		exe := map[string]string{}
		for _, pm := range c.pms {
			exe[pm] = "/usr/bin/" + pm
		}
		if got := fakeHost(c.uid, exe).InstallCommand("debootstrap"); got != c.want {
			t.Errorf("uid %d with %v: %q, want %q", c.uid, c.pms, got, c.want)
		}
	}
}

// A forced build counts every image as absent, so the check needs no Docker:
// BuildAll fails before starting anything.
func TestImagesBuildAllPreflightFailsFirst(t *testing.T) {
	im := NewImages(nil, WithCacheDir(t.TempDir()), WithProgress(io.Discard), WithDebianMirror("http://deb.debian.org/debian"))
	im.host = fakeHost(0, map[string]string{"apt-get": "/usr/bin/apt-get"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := im.BuildAll(ctx, []Role{RoleNetTools, RoleMinIO}, true)
	var me *MissingError
	if !errors.As(err, &me) {
		t.Fatalf("err %v, want a MissingError", err)
	}
	if len(me.Missing) != 2 || me.Missing[0].Need.Name != "debootstrap" || me.Missing[1].Need.Name != "go toolchain" {
		t.Fatalf("missing %+v", me.Missing)
	}
	if _, err := os.Stat(im.cacheDir + "/tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a build started (its tmp dir exists): %v", err)
	}
}

func TestImagesResolveAllRejectsConflictingRequests(t *testing.T) {
	im := NewImages(nil, WithProgress(io.Discard))
	_, err := im.ResolveAll(context.Background(), []Request{{RoleApp, ""}, {RoleApp, "mycorp/app:1"}})
	if err == nil || !strings.Contains(err.Error(), "requested as both") {
		t.Fatalf("err %v", err)
	}
}

func TestImagesProgressPrefix(t *testing.T) {
	var b strings.Builder
	im := NewImages(nil, WithProgress(&b))
	ctx := context.Background()
	im.progressf(ctx, "plain %d", 1)
	im.progressf(imgWithRole(ctx, RoleMinIO), "  go install: still running (%s)", "1m30s")
	im.progressf(imgWithRole(ctx, RolePostgres), "building image (x)...")
	want := "plain 1\n  [minio] go install: still running (1m30s)\n[postgres] building image (x)...\n"
	if b.String() != want {
		t.Fatalf("progress %q, want %q", b.String(), want)
	}
}

// The builds run at once; the first failure cancels the others, and the error
// names the failure and the builds it stopped.
func TestImagesBuildAllConcurrentCancelsTheRest(t *testing.T) {
	im := NewImages(nil, WithCacheDir(t.TempDir()), WithProgress(io.Discard), WithDebianMirror("http://deb.debian.org/debian"))
	im.host = fakeHost(0, map[string]string{"debootstrap": "/usr/sbin/debootstrap", "go": "/usr/bin/go"})
	running := make(chan Role, 4)
	im.buildOne = func(ctx context.Context, r *imgRecipe, force bool) (Image, error) {
		if r.role != RoleNetTools {
			running <- r.role
			<-ctx.Done()
			return Image{}, fmt.Errorf("build %s image: %w", r.role, ctx.Err())
		}
		// Fail only once both others run: they must run at the same time.
		for range 2 {
			select {
			case <-running:
			case <-ctx.Done():
				return Image{}, errors.New("the other builds never ran alongside")
			}
		}
		return Image{}, errors.New("build nettools image: boom")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := im.BuildAll(ctx, []Role{RoleNetTools, RolePostgres, RoleMinIO}, true)
	if err == nil || len(got) != 0 {
		t.Fatalf("images %v, err %v", got, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "build nettools image: boom") || !strings.Contains(msg, "build of minio, postgres stopped because another failed") {
		t.Fatalf("error:\n%s", msg)
	}
	if strings.Contains(msg, "context canceled") {
		t.Fatalf("the cancelled builds are reported as failures:\n%s", msg)
	}
}

func TestImagesLongestFirst(t *testing.T) {
	var in []*imgRecipe
	for _, role := range []Role{RoleApp, RoleEtcd, RoleNetTools, RolePatroni, RolePostgres, RolePGAutoFailover, RoleMinIO} {
		in = append(in, &imgRecipe{role: role})
	}
	var order []Role
	for _, r := range imgLongestFirst(in) {
		order = append(order, r.role)
	}
	if !slices.Equal(order, []Role{RoleMinIO, RolePostgres, RoleNetTools, RolePatroni, RolePGAutoFailover, RoleEtcd, RoleApp}) {
		t.Fatalf("order %v", order)
	}
}

func TestImagesLowPriority(t *testing.T) {
	got := imgLowPriority("/usr/sbin/debootstrap", []string{"--variant=minbase"})
	if len(got) != 5 || path.Base(got[0]) != "nice" || got[1] != "-n" || got[2] != "10" || got[3] != "/usr/sbin/debootstrap" {
		t.Fatalf("command line %v", got)
	}
}

// A go too old to fetch the toolchain MinIO asks for is as good as none, and
// the message says what was found.
func TestImagesNeedsOldGo(t *testing.T) {
	h := fakeHost(0, map[string]string{"go": "/usr/bin/go"})
	for _, c := range []struct {
		v    string
		ok   bool
		says string
	}{
		{"go1.19.8", false, "/usr/bin/go is go1.19.8, older than 1.21"},
		{"go1.21.0", true, ""},
		{"go1.24.8", true, ""},
		{"", false, "does not say its version"},
	} {
		h.GoVersion = func(string) (string, error) { return c.v, nil }
		m := imgMissing(h, imgRecipeNeeds, []Role{RoleMinIO})
		if c.ok != (len(m) == 0) {
			t.Fatalf("go %q: missing %+v", c.v, m)
		}
		if !c.ok && (!strings.Contains(m[0].Fix, c.says) || !strings.Contains(m[0].Fix, "go.dev/dl")) {
			t.Fatalf("go %q: fix %q", c.v, m[0].Fix)
		}
	}
}
