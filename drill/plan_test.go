package drill

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// scenario loads a small valid scenario with extra environment lines
// (under environment:, indented by two spaces).
func scenario(t *testing.T, env string) *scenarios.Scenario {
	t.Helper()
	body := `apiVersion: firedrill/v1
name: plan-test
environment:
  regions: [east, west]
  postgres:
    primary: {region: east}
    replicas: [{name: r1, region: west}]
` + env + `timeline:
  duration: 30s
  faults:
    - {at: 10s, action: kill, target: postgres.primary}
`
	scn, err := scenarios.LoadBytes("plan-test.yaml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return scn
}

var recipes = FixedImages([]images.ImageStatus{
	{Role: images.RolePostgres, RecipeTag: "firedrill/postgres:15-x", RecipePresent: true},
	{Role: images.RoleMinIO, RecipeTag: "firedrill/minio:x"},
	{Role: images.RoleApp, RecipeTag: "firedrill/app:x"},
})

func roles(imgs []PlanImage) []string {
	var out []string
	for _, im := range imgs {
		s := string(im.Role) + " " + im.Want
		if im.Lease {
			s += " (lease)"
		}
		out = append(out, s)
	}
	return out
}

// The images a run asks for are one per kind of node present, with the
// image the scenario names (the loader's default when it names none): no
// MinIO without storage (docker.Up once asked
// for it whatever the topology), and the plan shows exactly that list.
func TestPlanImagesAreTheRunsRequests(t *testing.T) {
	cases := []struct {
		name, env string
		want      []string
	}{
		{"defaults", "", []string{"postgres postgres:15", "minio minio/minio", "app ", "nettools "}},
		{"no storage", "  storage: {enabled: false}\n", []string{"postgres postgres:15", "app ", "nettools "}},
		{"named", "  storage: {image: minio/minio:RELEASE.2025-01-01T00-00-00Z}\n",
			[]string{"postgres postgres:15", "minio minio/minio:RELEASE.2025-01-01T00-00-00Z", "app ", "nettools "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			scn := scenario(t, c.env)
			p := NewPlan(context.Background(), scn, recipes)
			var reqs []string
			for _, q := range docker.ImageRequests(scn, topology.New(scn)) {
				reqs = append(reqs, string(q.Role)+" "+q.Want)
			}
			if got := roles(p.Images); !slices.Equal(got, c.want) || !slices.Equal(reqs, c.want) {
				t.Errorf("plan %q, requests %q, want %q", got, reqs, c.want)
			}
			for _, n := range p.Topology.Nodes {
				want := map[string]string{"postgres": "postgres", "storage": "minio", "app": "app"}[n.Kind]
				if n.ImageRole != want {
					t.Errorf("%s (%s) has image role %q, want %q", n.Name, n.Kind, n.ImageRole, want)
				}
			}
		})
	}
}

// With an app image named, the run also resolves firedrill's own app
// image for its lease: the plan lists it, marked, after the nodes' images.
func TestPlanShowsTheLeaseImage(t *testing.T) {
	scn := scenario(t, "  app: {image: example.com/shop/app:1.4}\n")
	p := NewPlan(context.Background(), scn, recipes)
	want := []string{"postgres postgres:15", "minio minio/minio", "app example.com/shop/app:1.4", "nettools ", "app  (lease)"}
	if got := roles(p.Images); !slices.Equal(got, want) {
		t.Fatalf("images %q, want %q", got, want)
	}
	lease := p.Images[4]
	if lease.Source != ImageBuild || lease.Ref != "firedrill/app:x" {
		t.Errorf("lease image %+v", lease)
	}
	if app := p.Images[2]; app.Source != ImagePull || app.Ref != "example.com/shop/app:1.4" || app.Lease {
		t.Errorf("app image %+v", app)
	}
	// Without an app image the lease runs the app's: nothing more to show,
	// and the JSON carries no lease field.
	p = NewPlan(context.Background(), scenario(t, ""), recipes)
	b, err := json.Marshal(p.Images)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "lease") {
		t.Errorf("images without a lease of their own: %s", b)
	}
}

// Without anything to ask, every image is unknown, with the reason, and
// the decision is still shown.
func TestPlanWithoutImageLookups(t *testing.T) {
	p := NewPlan(context.Background(), scenario(t, ""), NoImages("Docker unreachable"))
	if len(p.Images) != 4 {
		t.Fatalf("images %+v", p.Images)
	}
	for _, im := range p.Images {
		if im.Source != ImageUnknown || im.Detail != "unknown (Docker unreachable)" || im.Ref != "" {
			t.Errorf("%+v", im)
		}
	}
	if pg := p.Images[0]; pg.Name != "postgres:15" || !pg.Official || !pg.Recipe {
		t.Errorf("postgres decision lost: %+v", pg)
	}
}

// A lookup that fails half way says why on that image only.
func TestPlanImageLookupFails(t *testing.T) {
	p := NewPlan(context.Background(), scenario(t, ""), failingPresent{recipes})
	pg, app := p.Images[0], p.Images[2]
	if pg.Source != ImageUnknown || pg.Detail != "unknown (daemon says no)" {
		t.Errorf("postgres %+v", pg)
	}
	// The app has no image to look up: the recipe decides.
	if app.Source != ImageBuild {
		t.Errorf("app %+v", app)
	}
}

type failingPresent struct{ ImageLookup }

func (failingPresent) Present(context.Context, string) (bool, error) {
	return false, errors.New("daemon says no\nmore")
}

// The image decision's order, with lookups only.
func TestResolveImage(t *testing.T) {
	st := images.ImageStatus{RecipeTag: "firedrill/postgres:15-x"}
	has := func(refs ...string) func(string) (bool, error) {
		return func(r string) (bool, error) { return slices.Contains(refs, r), nil }
	}
	cases := []struct {
		want    string
		present []string
		recipe  bool
		source  string
		ref     string
	}{
		{"postgres:15", []string{"postgres:15"}, true, ImagePresent, "postgres:15"},
		{"postgres:15.4", nil, true, ImageRecipePresent, "firedrill/postgres:15-x"},
		{"postgres:15", nil, false, ImagePullOrBuild, "firedrill/postgres:15-x"},
		// The official image however it is spelled, as run decides: plan
		// once said these would be pulled with no recipe standing in.
		{"docker.io/postgres:15", nil, false, ImagePullOrBuild, "firedrill/postgres:15-x"},
		{"index.docker.io/library/postgres:15", nil, true, ImageRecipePresent, "firedrill/postgres:15-x"},
		{"postgres:16", nil, true, ImagePull, "postgres:16"},
		{"postgres@sha256:" + strings.Repeat("ab", 32), nil, true, ImagePull, "postgres@sha256:" + strings.Repeat("ab", 32)},
		{"example.com/pg:1", []string{"example.com/pg:1"}, false, ImagePresent, "example.com/pg:1"},
	}
	for _, c := range cases {
		s := st
		s.RecipePresent = c.recipe
		got := resolveImage(images.Decide(images.RolePostgres, c.want), s, has(c.present...))
		if got.Source != c.source || got.Ref != c.ref {
			t.Errorf("%s present=%v recipe=%v: %s %s, want %s %s", c.want, c.present, c.recipe, got.Source, got.Ref, c.source, c.ref)
		}
		if d := images.Decide(images.RolePostgres, c.want); got.Name != d.Name || got.Official != d.Official || got.Recipe != d.Recipe {
			t.Errorf("%s: the plan shows %+v, not the decision %+v", c.want, got, d)
		}
	}
	app := resolveImage(images.Decide(images.RoleApp, ""), images.ImageStatus{RecipeTag: "firedrill/app:x"}, has())
	if app.Source != ImageBuild {
		t.Errorf("app without a recipe image: %+v", app)
	}
	app = resolveImage(images.Decide(images.RoleApp, ""), images.ImageStatus{RecipeError: "not static; rebuild"}, has())
	if app.Source != ImageUnknown || app.Detail != "unknown (firedrill's app recipe: not static)" {
		t.Errorf("app without a recipe: %+v", app)
	}
	failing := func(string) (bool, error) { return false, errors.New("daemon says no\nmore") }
	if got := resolveImage(images.Decide(images.RolePostgres, ""), st, failing); got.Source != ImageUnknown || got.Detail != "unknown (daemon says no)" {
		t.Errorf("a failed lookup: %+v", got)
	}
}

// The plan's topology shows the chosen stack's coordination in its region:
// three etcd members over three regions, one over one, the monitor.
func TestPlanShowsTheCoordination(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"patroni over three regions", "  regions: [east, west, south]\n  postgres:\n    primary: {region: east}\n    replicas: [{name: r1, region: south}]\n  app: {region: west}\ndr:\n  failover: {manager: patroni}\n",
			[]string{"etcd-east\tetcd member of Patroni's store (1 of 3", "etcd-west\tetcd member of Patroni's store (2 of 3", "etcd-south\tetcd member of Patroni's store (3 of 3"}},
		{"patroni over one region", "  regions: [east]\n  postgres:\n    primary: {region: east}\n    replicas: [{name: r1, region: east}]\ndr:\n  failover: {manager: patroni}\n",
			[]string{"etcd-east\tetcd member of Patroni's store (1 of 1"}},
		{"pg_auto_failover", "  regions: [east, west]\n  postgres:\n    primary: {region: east}\n    replicas: [{name: r1, region: west}]\ndr:\n  failover: {manager: pg_auto_failover}\n",
			[]string{"monitor\tpg_auto_failover monitor (not started by this build)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := "apiVersion: firedrill/v1\nname: plan-test\nenvironment:\n" + tc.body +
				"timeline:\n  duration: 60s\n  faults:\n    - {at: 10s, action: kill, target: postgres.primary}\n"
			scn, err := scenarios.LoadBytes("plan-test.yaml", []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			p := NewPlan(context.Background(), scn, recipes)
			var b strings.Builder
			if err := WritePlanText(&b, p); err != nil {
				t.Fatal(err)
			}
			// The text's columns are aligned with spaces: compare on single tabs.
			text := strings.Join(strings.Fields(b.String()), " ")
			for _, w := range tc.want {
				name, role, _ := strings.Cut(w, "\t")
				if !strings.Contains(text, name+" "+role) {
					t.Errorf("the plan lacks %q:\n%s", w, b.String())
				}
				if !slices.ContainsFunc(p.Topology.Regions, func(r PlanRegion) bool { return slices.Contains(r.Nodes, name) }) {
					t.Errorf("%s is in no region of the plan: %+v", name, p.Topology.Regions)
				}
			}
			if got := len(p.Topology.Nodes) - len(topology.New(scn).Nodes); got != len(tc.want) {
				t.Errorf("%d coordination nodes in the plan, want %d", got, len(tc.want))
			}
		})
	}
}
