package images

import (
	"bytes"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/images/internal/recipe"
)

// The three HA images share one base (one debootstrap), and each has its own
// tag and hash; the Patroni and pg_auto_failover Dockerfiles are the Postgres
// image's with their own lines after it.
func TestImagesHARecipes(t *testing.T) {
	im := NewImages(nil, WithCacheDir(t.TempDir()), WithProgress(io.Discard), WithDebianMirror("http://deb.debian.org/debian"))
	pg, err := im.recipe(RolePostgres)
	if err != nil {
		t.Fatal(err)
	}
	tags := map[Role]string{
		RolePatroni:        `^firedrill/patroni:3\.0-[0-9a-f]{12}$`,
		RoleEtcd:           `^firedrill/etcd:3\.4-[0-9a-f]{12}$`,
		RolePGAutoFailover: `^firedrill/pg_auto_failover:2\.0-[0-9a-f]{12}$`,
	}
	hashes := map[string]Role{pg.hash: RolePostgres}
	var base string
	for role, pattern := range tags {
		r, err := im.recipe(role)
		if err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		if !regexp.MustCompile(pattern).MatchString(r.tag) || !strings.HasSuffix(r.tag, "-"+r.hash[:12]) {
			t.Errorf("%s tag %q (hash %s)", role, r.tag, r.hash)
		}
		if other, dup := hashes[r.hash]; dup {
			t.Errorf("%s and %s share the hash %s", role, other, r.hash)
		}
		hashes[r.hash] = role
		if r.baseTag != "firedrill/base-ha:"+r.baseHash[:12] || r.baseName != imgHABase {
			t.Errorf("%s base %q named %q", role, r.baseTag, r.baseName)
		}
		if base != "" && r.baseTag != base {
			t.Errorf("%s builds on %s, another HA image on %s", role, r.baseTag, base)
		}
		base = r.baseTag
		for _, p := range []string{"postgresql-15", "patroni", "python3-etcd", "postgresql-15-auto-failover", "etcd-server", "etcd-client"} {
			if !slices.Contains(r.packages, p) {
				t.Errorf("%s base lacks %s: %v", role, p, r.packages)
			}
		}
	}
	if base == pg.baseTag {
		t.Fatal("the HA images build on the Postgres image's base")
	}

	pgDockerfile := imgTestContextFile(t, pg, "Dockerfile")
	for role, says := range map[Role][]string{
		RolePatroni:        {`CMD ["patroni", "/etc/patroni.yml"]`, "EXPOSE 8008", "STOPSIGNAL SIGTERM"},
		RolePGAutoFailover: {`CMD ["pg_autoctl", "run"]`},
	} {
		r, _ := im.recipe(role)
		dockerfile := imgTestContextFile(t, r, "Dockerfile")
		if !bytes.HasPrefix(dockerfile, pgDockerfile) || len(dockerfile) == len(pgDockerfile) {
			t.Errorf("%s Dockerfile is not the Postgres one with more lines:\n%s", role, dockerfile)
		}
		for _, s := range append(says, `ENTRYPOINT ["run-as-postgres"]`) {
			if !bytes.Contains(dockerfile[len(pgDockerfile):], []byte(s)) {
				t.Errorf("%s Dockerfile's own lines lack %q", role, s)
			}
		}
		// What the Postgres lines COPY must be in the context, executable.
		for _, name := range []string{"docker-entrypoint.sh", "run-as-postgres"} {
			if f := imgTestContext(r, name); f == nil || f.Mode != 0o755 || len(f.Data) == 0 {
				t.Errorf("%s context file %s: %+v", role, name, f)
			}
		}
	}
	etcd, _ := im.recipe(RoleEtcd)
	if len(etcd.files) != 1 || !bytes.Contains(imgTestContextFile(t, etcd, "Dockerfile"), []byte(`CMD ["etcd"]`)) {
		t.Errorf("etcd context %+v", etcd.files)
	}
	if f := imgTestContext(etcd, "Dockerfile"); f.Mode != 0o644 {
		t.Errorf("etcd Dockerfile mode %o", f.Mode)
	}

	// The base's packages and mirror are in every HA image's hash.
	other := imgDebootstrapRecipes[RolePatroni]
	other.packages = append(slices.Clone(other.packages), "curl")
	more, err := im.debootstrapRecipe(RolePatroni, other)
	if err != nil {
		t.Fatal(err)
	}
	patroni, _ := im.recipe(RolePatroni)
	if more.baseHash == patroni.baseHash || more.hash == patroni.hash {
		t.Fatal("a package more kept the patroni hashes")
	}
	elsewhere, err := NewImages(nil, WithCacheDir(t.TempDir()), WithDebianMirror("http://mirror.example/debian")).recipe(RoleEtcd)
	if err != nil {
		t.Fatal(err)
	}
	if elsewhere.baseHash == etcd.baseHash || elsewhere.hash == etcd.hash {
		t.Fatal("the mirror is not part of the etcd hashes")
	}
}

func imgTestContext(r *imgRecipe, name string) *recipe.ContextFile {
	for i := range r.files {
		if r.files[i].Name == name {
			return &r.files[i]
		}
	}
	return nil
}

func imgTestContextFile(t *testing.T, r *imgRecipe, name string) []byte {
	t.Helper()
	f := imgTestContext(r, name)
	if f == nil {
		t.Fatalf("%s: no %s in the build context", r.role, name)
	}
	return f.Data
}

// No single image is the official one of the HA stacks: the recipe is the
// default, and any image named is the user's own.
func TestImagesHADecide(t *testing.T) {
	for _, role := range []Role{RolePatroni, RoleEtcd, RolePGAutoFailover} {
		if d := Decide(role, ""); d.Name != "" || d.Official || !d.Recipe {
			t.Errorf("%s by default: %+v", role, d)
		}
		for _, want := range []string{"mycorp/" + string(role) + ":1", "quay.io/coreos/etcd:v3.4.23", "citusdata/pg_auto_failover"} {
			if d := Decide(role, want); d.Name != want || d.Official || d.Recipe {
				t.Errorf("%s named %s: %+v", role, want, d)
			}
		}
		if OfficialImage(role) != "" {
			t.Errorf("%s has an official image %q", role, OfficialImage(role))
		}
	}
}

func TestImagesHANeeds(t *testing.T) {
	h := fakeHost(1000, map[string]string{"apt-get": "/usr/bin/apt-get"})
	missing := imgMissing(h, imgRecipeNeeds, []Role{RolePatroni, RoleEtcd, RolePGAutoFailover})
	if len(missing) != 2 || missing[0].Need.Name != "debootstrap" || missing[1].Need.Name != "root" {
		t.Fatalf("missing %+v", missing)
	}
	for _, m := range missing {
		if m.For() != "patroni, etcd, pg_auto_failover" {
			t.Errorf("%s is for %q", m.Need.Name, m.For())
		}
	}
	if !strings.Contains(missing[1].Fix, "sudo firedrill images build patroni etcd pg_auto_failover") {
		t.Errorf("root fix %q", missing[1].Fix)
	}
}
