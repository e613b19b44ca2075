package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/drill"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// The plan/run agreement (issue 7): for every built-in, every whole
// example of docs/scenario.md (the full-language one among them) and the
// plan test scenarios, what `plan --json` prints is what run derives:
// topology.New's nodes, the runtime's names (topology.ContainerName,
// NetworkName, VolumeName), the images docker.Up asks for
// (docker.ImageRequests, decided by images.Decide) and the lease's, and the
// targets of topology's Resolve in the initial state.
func TestPlanAgreesWithRun(t *testing.T) {
	fixedImages(t)
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	inputs := agreementInputs(t)
	for _, input := range inputs {
		t.Run(filepath.Base(input), func(t *testing.T) {
			code, out, errOut := run(t, "plan", "--json", input)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			var p drill.Plan
			if err := json.Unmarshal([]byte(out), &p); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			scn, err := scenarios.Resolve(input)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range disagreements(scn, p) {
				t.Error(d)
			}
		})
	}
}

// A comparison that reports nothing proves nothing: each kind of
// disagreement the test is there to catch is caught.
func TestPlanAgreementCatchesDisagreement(t *testing.T) {
	scn, err := scenarios.Resolve(filepath.Join("testdata", "plan", "everything.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	newPlan := func() drill.Plan { return drill.NewPlan(context.Background(), scn, testImages) }
	if d := disagreements(scn, newPlan()); len(d) > 0 {
		t.Fatalf("the plan of everything.yaml disagrees with itself:\n%s", strings.Join(d, "\n"))
	}
	for name, spoil := range map[string]func(p *drill.Plan){
		"a node missing":  func(p *drill.Plan) { p.Topology.Nodes = p.Topology.Nodes[1:] },
		"nodes reordered": func(p *drill.Plan) { n := p.Topology.Nodes; n[0], n[1] = n[1], n[0] },
		"a wrong network": func(p *drill.Plan) {
			p.Topology.Nodes[1].Networks[0] = topology.NetworkName(topology.RunPlaceholder, "east")
		},
		"a missing network": func(p *drill.Plan) { p.Topology.Nodes[2].Networks = p.Topology.Nodes[2].Networks[:1] },
		"a wrong container": func(p *drill.Plan) { p.Topology.Nodes[0].Container = "firedrill-<run>-primary" },
		"a port missing":    func(p *drill.Plan) { p.Topology.Nodes[3].Ports = p.Topology.Nodes[3].Ports[:1] },
		"a wrong volume":    func(p *drill.Plan) { p.Topology.Nodes[0].Volume = "firedrill-<run>-pg-primary:/data" },
		"a volume too many": func(p *drill.Plan) { p.Topology.Nodes[4].Volume = "firedrill-<run>-app:/data" },
		"a wrong region":    func(p *drill.Plan) { p.Topology.Nodes[2].Region = "east" },
		"a label lost":      func(p *drill.Plan) { p.Topology.Nodes[0].Labels = map[string]string{} },
		"a region's nodes":  func(p *drill.Plan) { p.Topology.Regions[0].Nodes = []string{"pg-primary"} },
		"the wan":           func(p *drill.Plan) { p.Topology.WAN = topology.NetworkName(topology.RunPlaceholder, "internet") },
		// plan's old rule: docker.io/postgres:15 was not official.
		"an image decided otherwise": func(p *drill.Plan) { p.Images[0].Official, p.Images[0].Recipe = false, false },
		"an image missing":           func(p *drill.Plan) { p.Images = p.Images[:2] },
		"an image role":              func(p *drill.Plan) { p.Topology.Nodes[3].ImageRole = string(images.RoleApp) },
		"a lease image":              func(p *drill.Plan) { p.Images = append(p.Images, p.Images[2]); p.Images[3].Lease = true },
		// A selector resolved as the scenario is written instead of by
		// the engine, or a target resolved to the wrong node.
		"a selector resolving differently": func(p *drill.Plan) { p.Timeline.Faults[1].Nodes = []string{"pg-replica1", "pg-replica2"} },
		"a target resolving differently":   func(p *drill.Plan) { p.Timeline.Faults[3].Nodes = []string{"pg-replica1"} },
		"a region resolving differently":   func(p *drill.Plan) { p.Timeline.Faults[2].Nodes = []string{"pg-primary"} },
		"selector matches":                 func(p *drill.Plan) { p.Timeline.Faults[1].Selector.Matches = []string{"postgres.primary"} },
		"a monkey selector":                func(p *drill.Plan) { p.Monkey.Selectors[0].Matches = []string{"postgres.replica1"} },
		"failover candidates":              func(p *drill.Plan) { p.DR.Failover.Candidates = []string{"pg-replica2"} },
	} {
		t.Run(name, func(t *testing.T) {
			p := newPlan()
			spoil(&p)
			if d := disagreements(scn, p); len(d) == 0 {
				t.Errorf("%s: not caught", name)
			}
		})
	}
}

// A mode one selector: the plan lists the candidates, and every pick the
// run's seed can make is among them; a plan naming fewer is caught.
func TestPlanAgreementModeOne(t *testing.T) {
	scn, err := scenarios.Resolve(filepath.Join("testdata", "plan", "selectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := drill.NewPlan(context.Background(), scn, testImages)
	i := slices.IndexFunc(p.Timeline.Faults, func(f drill.PlanFault) bool {
		return f.Selector != nil && f.Selector.Mode == scenarios.ModeOne
	})
	if i < 0 {
		t.Fatal("selectors.yaml has no mode one selector")
	}
	if len(p.Timeline.Faults[i].Nodes) < 2 {
		t.Fatalf("fault %d has candidates %q: the test needs a choice", i, p.Timeline.Faults[i].Nodes)
	}
	p.Timeline.Faults[i].Nodes = p.Timeline.Faults[i].Nodes[:1]
	if d := disagreements(scn, p); !slices.ContainsFunc(d, func(s string) bool { return strings.HasPrefix(s, fmt.Sprintf("fault %d", i)) }) {
		t.Errorf("a plan naming one of the candidates only is not caught: %q", d)
	}
}

// agreementInputs are the built-ins, the plan test scenarios and every
// whole scenario of docs/scenario.md, written to files (plan reads files),
// found as scenarios/docs_test.go finds them.
func agreementInputs(t *testing.T) []string {
	inputs := scenarios.BuiltinNames()
	files, _ := filepath.Glob(filepath.Join("testdata", "plan", "*.yaml"))
	inputs = append(inputs, files...)
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "scenario.md"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n := 0
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1) {
		if !bytes.Contains(m[1], []byte("apiVersion: firedrill/v1")) {
			continue // a fragment
		}
		n++
		file := filepath.Join(dir, fmt.Sprintf("docs-example-%d.yaml", n))
		if err := os.WriteFile(file, m[1], 0o644); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, file)
	}
	if n < 2 {
		t.Fatalf("docs/scenario.md has %d whole examples; the full-language one is missing", n)
	}
	return inputs
}

// disagreements lists where p differs from what run derives for scn.
func disagreements(scn *scenarios.Scenario, p drill.Plan) []string {
	var out []string
	differ := func(what string, got, want any) {
		if g, w := fmt.Sprintf("%q", got), fmt.Sprintf("%q", want); g != w {
			out = append(out, fmt.Sprintf("%s: plan %s, run %s", what, g, w))
		}
	}
	topo := topology.New(scn)
	run := topology.RunPlaceholder

	var names []string
	for _, n := range p.Topology.Nodes {
		names = append(names, n.Name)
	}
	differ("nodes", names, topology.Names(topo.Nodes))
	for _, pn := range p.Topology.Nodes {
		n, ok := topo.Node(pn.Name)
		if !ok {
			continue // reported above
		}
		var nets, ports []string
		for _, net := range n.Networks {
			nets = append(nets, topology.NetworkName(run, net))
		}
		for _, port := range pn.Ports {
			ports = append(ports, port.Container)
		}
		volume := ""
		if n.Volume != "" {
			volume = topology.VolumeName(run, n.Name) + ":" + n.Volume
		}
		differ(n.Name+" service", pn.Service, n.Service)
		differ(n.Name+" kind", pn.Kind, n.Kind)
		differ(n.Name+" region", pn.Region, n.Region)
		differ(n.Name+" container", pn.Container, topology.ContainerName(run, n.Name))
		differ(n.Name+" networks", pn.Networks, nets)
		differ(n.Name+" ports", ports, n.Ports)
		differ(n.Name+" volume", pn.Volume, volume)
		differ(n.Name+" volume size", pn.VolumeBytes, n.VolumeSize)
		differ(n.Name+" labels", fmt.Sprint(pn.Labels), fmt.Sprint(n.Labels))
	}
	var regions []string
	for _, r := range p.Topology.Regions {
		regions = append(regions, r.Name+" "+r.Network+" "+strings.Join(r.Nodes, ","))
	}
	var want []string
	for _, r := range topo.Regions {
		want = append(want, r+" "+topology.NetworkName(run, r)+" "+strings.Join(topology.Names(topo.InRegion(r)), ","))
	}
	differ("regions", regions, want)
	differ("wan", p.Topology.WAN, topology.NetworkName(run, topology.WAN))
	differ("failover candidates", p.DR.Failover.Candidates, topo.Standbys())

	var gotImages, wantImages []string
	for _, im := range p.Images {
		gotImages = append(gotImages, fmt.Sprintf("%+v lease %v", images.Decision{Role: im.Role, Want: im.Want, Name: im.Name, Official: im.Official, Recipe: im.Recipe}, im.Lease))
	}
	for _, q := range docker.ImageRequests(scn, topo) {
		wantImages = append(wantImages, fmt.Sprintf("%+v lease false", images.Decide(q.Role, q.Want)))
	}
	// Up resolves firedrill's own app image for the lease besides the
	// scenario's app image, when it names one.
	if scn.Environment.App.Image != "" {
		wantImages = append(wantImages, fmt.Sprintf("%+v lease true", images.Decide(images.RoleApp, "")))
	}
	differ("images", gotImages, wantImages)
	// The image each node starts from, as docker.Up picks it by kind.
	upRole := map[string]images.Role{topology.KindPostgres: images.RolePostgres,
		topology.KindStorage: images.RoleMinIO, topology.KindApp: images.RoleApp}
	for _, pn := range p.Topology.Nodes {
		differ(pn.Name+" image role", pn.ImageRole, string(upRole[pn.Kind]))
	}

	ctx := context.Background()
	for i, f := range scn.Timeline.Faults {
		if i >= len(p.Timeline.Faults) {
			out = append(out, fmt.Sprintf("fault %d missing from the plan", i))
			continue
		}
		pf := p.Timeline.Faults[i]
		all := f
		if f.Selector != nil {
			sel := *f.Selector
			sel.Mode = scenarios.ModeAll
			all.Selector = &sel
		}
		nodes, err := topo.Resolve(ctx, topo.Initial(), all, nil)
		differ(fmt.Sprintf("fault %d nodes", i), pf.Nodes, topology.Names(nodes))
		if err != nil && pf.ResolveError == "" {
			out = append(out, fmt.Sprintf("fault %d: run cannot resolve it (%v), plan says nothing", i, err))
		}
		if f.Selector != nil {
			differ(fmt.Sprintf("fault %d selector matches", i), selectorMatches(pf.Selector), services(nodes))
		}
		if f.Selector != nil && f.Selector.Mode == scenarios.ModeOne {
			// Whatever the run's seed, the pick is one of the candidates.
			for seed := range uint64(32) {
				pick, err := topo.Resolve(ctx, topo.Initial(), f, rand.New(rand.NewPCG(seed, seed)))
				if err != nil || len(pick) != 1 || !slices.Contains(pf.Nodes, pick[0].Name) {
					out = append(out, fmt.Sprintf("fault %d: seed %d picks %q (%v), not among the plan's %q", i, seed, topology.Names(pick), err, pf.Nodes))
				}
			}
		}
	}
	differ("faults", len(p.Timeline.Faults), len(scn.Timeline.Faults))
	if m := scn.Monkey; m != nil && p.Monkey != nil {
		for i, sel := range m.Selectors {
			nodes, _ := topo.Resolve(ctx, topo.Initial(), scenarios.Fault{Selector: &sel}, nil)
			var got []string
			if i < len(p.Monkey.Selectors) {
				got = p.Monkey.Selectors[i].Matches
			}
			differ(fmt.Sprintf("monkey selector %d matches", i), got, services(nodes))
		}
	}
	return out
}

func selectorMatches(s *drill.PlanSelector) []string {
	if s == nil {
		return nil
	}
	return s.Matches
}

func services(nodes []*topology.Node) []string {
	out := []string{}
	for _, n := range nodes {
		out = append(out, n.Service)
	}
	return out
}
