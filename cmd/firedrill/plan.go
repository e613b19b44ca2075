package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// Plan prints what the engine derives, never a model of its own: the nodes,
// names, networks, ports and volumes come from package topology, the image
// decision from images.Decide, the targets from topology's resolution in the
// initial state and the detection budget from the scenario's
// WorstCaseDetection (docs/architecture.md, "One model of the topology").
// What is left here is presentation.

func newPlanCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plan SCENARIO",
		Short: "Show what a drill would do, without starting anything",
		Long: `A dry run: load the scenario (a file or a built-in name), fill in every default
and print what 'firedrill run' would build and do:

  - the topology: each region's Docker network, the wan network joining them,
    every node with its role, region, container name, published ports and
    data volume;
  - the image each role would use and where it would come from (present
    locally, firedrill's recipe image, a pull, or a build); plan only looks:
    it never pulls or builds, and says "unknown (Docker unreachable)" when
    Docker cannot be reached;
  - the DR engine's settings (backups, failover, recovery plans), the
    workload, the timeline with every fault's time, action, target, duration
    and parameters, and the nodes its target resolves to (targets are
    resolved at injection; plan shows the resolution at the start of the
    drill); the monkey and the abort conditions;
  - the objectives, and the failover budget: the worst-case detection time
    (check_interval x failures_before_action + check_timeout) against the RTO
    objective, with a warning when detection alone does not fit in it;
  - what this build cannot run yet ('firedrill run' refuses the scenario
    while that list is not empty).

<run> stands for the run id, which each run chooses when it starts. Nothing
is created and no container is started. An invalid scenario exits 2 with
its problems, as 'firedrill validate' prints them. With --json the same plan
is printed as one JSON object on stdout, and nothing else is.`,
		Example: `  firedrill plan primary-kill
  firedrill plan my-drill.yaml
  firedrill plan --json my-drill.yaml | jq .failover_budget`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			scn, err := scenarios.Resolve(args[0])
			if err != nil {
				return withCode(firedrill.ExitUsage, terminalError{err})
			}
			imgs := planImages(cmd.Context(), g, imageRequests(scn, topology.New(scn)))
			if asJSON {
				if err := writeJSON(g.stdout, buildPlan(scn, imgs)); err != nil {
					return withCode(firedrill.ExitInconclusive, err)
				}
				return nil
			}
			// Scenario text (a description, a label value) may hold control
			// characters: escaped before they reach the terminal.
			return writePlanText(g.stdout, buildPlan(scn.MapStrings(termSafe), imgs))
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON on stdout")
	return cmd
}

// plan is a scenario resolved into what a run would build and do. It is
// also what plan --json prints; durations are Go duration strings.
type plan struct {
	Scenario    string `json:"scenario"`
	File        string `json:"file"`
	Description string `json:"description,omitempty"`
	// RunID is the placeholder topology.RunPlaceholder used in every name.
	RunID      string         `json:"run_id"`
	Topology   planTopology   `json:"topology"`
	Images     []planImage    `json:"images"`
	DR         planDR         `json:"dr"`
	Workload   planWorkload   `json:"workload"`
	Timeline   planTimeline   `json:"timeline"`
	Monkey     *planMonkey    `json:"monkey"`
	Abort      []planAbort    `json:"abort"`
	Objectives planObjectives `json:"objectives"`
	Budget     planBudget     `json:"failover_budget"`
	// Warnings are problems the scenario is allowed to have but probably
	// does not mean to (detection slower than the RTO objective...).
	Warnings []string `json:"warnings"`
	// ScenarioWarnings are the language's warnings, as validate prints
	// them: file:line:col: warning: path: what (a recovery the timeline is
	// too short to confirm...).
	ScenarioWarnings []string `json:"scenario_warnings"`
	// Unimplemented lists what this build's engine does not execute, each
	// as file:line:col: path: what; run refuses the scenario while it is
	// not empty.
	Unimplemented []string `json:"unimplemented"`
}

type planTopology struct {
	Regions []planRegion `json:"regions"`
	// WAN is the network that joins every node across regions.
	WAN   string     `json:"wan_network"`
	Nodes []planNode `json:"nodes"`
}

type planRegion struct {
	Name    string   `json:"name"`
	Network string   `json:"network"`
	Nodes   []string `json:"nodes"`
}

type planNode struct {
	Name string `json:"name"`
	// Service is how faults target it: postgres.primary, postgres.<replica>,
	// storage, app.
	Service string `json:"service"`
	// Kind is what it runs (postgres, storage, app), Role says it in words.
	Kind      string            `json:"kind"`
	Role      string            `json:"role"`
	ImageRole string            `json:"image_role"`
	Region    string            `json:"region"`
	Container string            `json:"container"`
	Networks  []string          `json:"networks"`
	Ports     []planPort        `json:"ports"`
	Volume    string            `json:"volume,omitempty"`
	Labels    map[string]string `json:"labels"`
	// Instances and EnvNames are the app's (names only: values may be
	// secrets).
	Instances int      `json:"instances,omitempty"`
	EnvNames  []string `json:"env_names,omitempty"`
}

type planPort struct {
	Container string `json:"container"`
	// Host is where the harness reaches it: 127.0.0.1 and a port Docker
	// picks when the container starts.
	Host    string `json:"host"`
	Purpose string `json:"purpose"`
}

// planImage says which image a role would use and where it would come from.
type planImage struct {
	Role images.Role `json:"role"`
	// Want is the image the scenario names ("" for the role's default).
	Want string `json:"want"`
	// Name, Official and Recipe are images.Decide's decision: the image
	// looked up and pulled, whether it is the official one, and whether
	// firedrill's recipe may stand in for it.
	Name     string `json:"name,omitempty"`
	Official bool   `json:"official"`
	Recipe   bool   `json:"recipe_may_stand_in"`
	// Ref is the image run would use, "" when unknown.
	Ref string `json:"ref,omitempty"`
	// Source is one of present, recipe-present, pull-or-build, build, pull,
	// unknown.
	Source string `json:"source"`
	// Detail says it in words.
	Detail string `json:"detail"`
}

// Image sources in a plan.
const (
	planSourcePresent     = "present"        // the named image is present locally
	planSourceRecipe      = "recipe-present" // firedrill's recipe image for the current recipe is present
	planSourcePullOrBuild = "pull-or-build"  // pull the official image, else build the recipe
	planSourceBuild       = "build"          // build the recipe
	planSourcePull        = "pull"           // pull the named image; no recipe stands in for it
	planSourceUnknown     = "unknown"
)

type planDR struct {
	Backups  []planBackup   `json:"backups"`
	Failover planFailover   `json:"failover"`
	Recovery []planRecovery `json:"recovery"`
}

type planBackup struct {
	Kind  string `json:"kind"`
	Every string `json:"every"`
	Keep  int    `json:"keep"`
	// To is where the backups go: the storage's bucket.
	To string `json:"to"`
}

type planRecovery struct {
	FailureType string   `json:"failure_type"`
	Steps       []string `json:"steps"`
}

type planFailover struct {
	Enabled              bool     `json:"enabled"`
	CheckInterval        string   `json:"check_interval"`
	CheckTimeout         string   `json:"check_timeout"`
	FailuresBeforeAction int      `json:"failures_before_action"`
	Fencing              string   `json:"fencing"`
	Candidates           []string `json:"candidates"`
}

type planWorkload struct {
	WritesPerSecond float64 `json:"writes_per_second"`
	ReadsPerSecond  float64 `json:"reads_per_second"`
	Timeout         string  `json:"timeout"`
	StabilityWindow string  `json:"stability_window"`
}

type planTimeline struct {
	Duration string      `json:"duration"`
	Faults   []planFault `json:"faults"`
}

type planFault struct {
	Index  int    `json:"index"`
	At     string `json:"at"`
	Action string `json:"action"`
	// Target is the fault's target; "" for a selector.
	Target   string        `json:"target,omitempty"`
	Selector *planSelector `json:"selector,omitempty"`
	// For is how long the fault lasts before it is reverted; "" for a fault
	// that cannot be reverted (a kill): it lasts until the DR engine acts.
	For        string `json:"for,omitempty"`
	Reversible bool   `json:"reversible"`
	// Params are the action's parameters, defaults filled in, as written
	// in YAML.
	Params map[string]string `json:"params"`
	// RTO and RPO are the objectives this fault is judged against: its own
	// or the scenario's ("report" when none).
	RTO string `json:"rto"`
	RPO string `json:"rpo"`
	// Nodes are what the target resolves to in the drill's initial state,
	// as topology resolves it at injection; a mode one selector lists every
	// candidate (the run's seed picks one at injection). ResolveError is
	// why it resolves to nothing.
	Nodes        []string `json:"nodes"`
	ResolveError string   `json:"resolve_error,omitempty"`
	// Resolution says in words how the target is chosen at injection.
	Resolution string `json:"resolution"`
}

type planSelector struct {
	Role   string            `json:"role,omitempty"`
	Region string            `json:"region,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	Mode   string            `json:"mode,omitempty"`
	// Matches are the services of the nodes it matches at the start.
	Matches []string `json:"matches"`
}

type planMonkey struct {
	Enabled bool `json:"enabled"`
	// Seed is the scenario's monkey.seed, "" when the run picks one.
	Seed          string         `json:"seed"`
	MeanInterval  string         `json:"mean_interval"`
	Actions       []string       `json:"actions"`
	Targets       []string       `json:"targets"`
	Selectors     []planSelector `json:"selectors"`
	MaxAtOnce     int            `json:"max_at_once"`
	FaultDuration string         `json:"fault_duration,omitempty"`
	Start         string         `json:"between_start"`
	End           string         `json:"between_end"`
}

type planAbort struct {
	Metric string `json:"metric"`
	// Condition is "below 0.5" or "above 100".
	Condition string `json:"condition"`
	For       string `json:"for"`
}

type planObjectives struct {
	RTO        string `json:"rto"`
	RPO        string `json:"rpo"`
	LostWrites string `json:"lost_writes"`
}

// planBudget is the failover's worst case against the RTO objectives.
type planBudget struct {
	FailoverEnabled bool `json:"failover_enabled"`
	// Detection = check_interval x failures_before_action + check_timeout:
	// the longest a dead primary can go unnoticed.
	Detection string `json:"worst_case_detection,omitempty"`
	Formula   string `json:"formula,omitempty"`
	// Checks compare the detection with the scenario's RTO and each
	// fault's own RTO.
	Checks []planBudgetCheck `json:"checks"`
}

type planBudgetCheck struct {
	// Fault is the fault's index, -1 for the scenario's objectives.rto.
	Fault int    `json:"fault"`
	RTO   string `json:"rto"`
	// Remaining is what the RTO leaves for fencing, promotion, rerouting
	// and the first successful write; negative when detection exceeds it.
	Remaining string `json:"remaining"`
	// Exceeds is true when detection alone is not shorter than the RTO.
	Exceeds bool `json:"exceeds_rto"`
	// HitsPrimary says whether a fault may hit the primary (the failover
	// manager has to act); for -1, whether any fault or the monkey may.
	HitsPrimary bool `json:"hits_primary"`
}

// imageRoles is the image role of each node kind.
var imageRoles = map[string]images.Role{
	topology.KindPostgres: images.RolePostgres,
	topology.KindStorage:  images.RoleMinIO,
	topology.KindApp:      images.RoleApp,
}

// imageRequests are the images the topology's nodes need, one per kind in
// start order, with the image the scenario names for it.
func imageRequests(scn *scenarios.Scenario, topo *topology.Topology) []images.Request {
	env := &scn.Environment
	want := map[string]string{topology.KindPostgres: env.Postgres.Image,
		topology.KindStorage: env.Storage.Image, topology.KindApp: env.App.Image}
	var out []images.Request
	for _, n := range topo.Nodes {
		q := images.Request{Role: imageRoles[n.Kind], Want: want[n.Kind]}
		if !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	return out
}

// planImages says, for each request, which image a run would use and where
// it would come from, without pulling or building anything. A variable so
// that tests give a fixed answer instead of asking Docker.
var planImages = dockerImagePlan

// dockerImagePlan asks Docker what is present, read-only: image inspect and
// Images.List, which computes recipe hashes but never builds or pulls.
func dockerImagePlan(ctx context.Context, g *globals, reqs []images.Request) []planImage {
	unknown := func(why string) []planImage {
		out := make([]planImage, 0, len(reqs))
		for _, q := range reqs {
			out = append(out, decided(images.Decide(q.Role, q.Want), planSourceUnknown, "", why))
		}
		return out
	}
	dc, err := dockerClient(ctx)
	if err != nil {
		g.log.Debug("plan: no Docker", "err", err)
		return unknown("unknown (Docker unreachable)")
	}
	defer dc.Close()
	opts := []images.ImagesOption{images.WithPull(false), images.WithProgress(io.Discard), images.WithLogger(g.log)}
	if exe, err := appBinary(); err == nil {
		opts = append(opts, images.WithAppBinary(exe))
	}
	statuses, err := images.NewImages(dc, opts...).List(ctx)
	if err != nil {
		g.log.Debug("plan: list images", "err", err)
		return unknown("unknown (" + firstLine(err.Error()) + ")")
	}
	byRole := map[images.Role]images.ImageStatus{}
	for _, s := range statuses {
		byRole[s.Role] = s
	}
	present := func(ref string) (bool, error) {
		_, err := dc.ImageInspect(ctx, ref)
		if err == nil || cerrdefs.IsNotFound(err) {
			return err == nil, nil
		}
		return false, err
	}
	out := make([]planImage, 0, len(reqs))
	for _, q := range reqs {
		out = append(out, resolveImagePlan(images.Decide(q.Role, q.Want), byRole[q.Role], present))
	}
	return out
}

func decided(d images.Decision, source, ref, detail string) planImage {
	return planImage{Role: d.Role, Want: d.Want, Name: d.Name, Official: d.Official, Recipe: d.Recipe,
		Ref: ref, Source: source, Detail: detail}
}

// resolveImagePlan follows the order images.Decision documents (what
// Resolve does: the named image present; without the recipe, a pull; the
// recipe image present; a pull of the named image; a build) with lookups
// only.
func resolveImagePlan(d images.Decision, st images.ImageStatus, present func(string) (bool, error)) planImage {
	if d.Name != "" {
		ok, err := present(d.Name)
		if err != nil {
			return decided(d, planSourceUnknown, "", "unknown ("+firstLine(err.Error())+")")
		}
		if ok {
			return decided(d, planSourcePresent, d.Name, d.Name+", present locally")
		}
	}
	if !d.Recipe {
		return decided(d, planSourcePull, d.Name,
			d.Name+" is not present: run would pull it and fail if it cannot (no recipe stands in for it)")
	}
	if st.RecipeTag == "" {
		why, _, _ := strings.Cut(firstLine(st.RecipeError), "; ")
		return decided(d, planSourceUnknown, "", "unknown (firedrill's "+string(d.Role)+" recipe: "+why+")")
	}
	switch {
	case st.RecipePresent:
		return decided(d, planSourceRecipe, st.RecipeTag, st.RecipeTag+", firedrill's recipe image, present")
	case d.Name != "":
		return decided(d, planSourcePullOrBuild, st.RecipeTag,
			"would pull "+d.Name+", else build "+st.RecipeTag+" from firedrill's recipe (minutes the first time)")
	}
	return decided(d, planSourceBuild, st.RecipeTag, "would build "+st.RecipeTag+" from firedrill's recipe")
}

func dur(d time.Duration) string { return d.String() }

// network names a logical network of the plan's run.
func network(net string) string { return topology.NetworkName(topology.RunPlaceholder, net) }

// resolveAtStart resolves a fault's target as the engine does at
// injection, in the drill's initial state. A mode one selector gives every
// candidate: the run's seeded source picks one at injection.
func resolveAtStart(topo *topology.Topology, f scenarios.Fault) ([]*topology.Node, error) {
	if f.Selector != nil && f.Selector.Mode == scenarios.ModeOne {
		sel := *f.Selector
		sel.Mode = scenarios.ModeAll
		f.Selector = &sel
	}
	return topo.Resolve(context.Background(), topo.Initial(), f, nil)
}

// buildPlan resolves scn (defaults already applied by the loader) into a
// plan, with the images as given.
func buildPlan(scn *scenarios.Scenario, imgs []planImage) plan {
	topo := topology.New(scn)
	p := plan{
		Scenario: scn.Name, File: scn.File, Description: strings.TrimSpace(scn.Description),
		RunID: topology.RunPlaceholder, Images: imgs, Abort: []planAbort{},
		Warnings: []string{}, ScenarioWarnings: []string{}, Unimplemented: []string{},
		Topology: planTopo(scn, topo), DR: planDRSettings(scn, topo),
	}
	// The engine run asks (validate.go): plan refuses what run refuses.
	for _, u := range scn.Unsupported(engineCapabilities) {
		p.Unimplemented = append(p.Unimplemented, u.Error())
	}
	for _, w := range scn.Warnings() {
		p.ScenarioWarnings = append(p.ScenarioWarnings, w.String())
	}
	wl := scn.Workload
	p.Workload = planWorkload{WritesPerSecond: wl.WritesPerSecond, ReadsPerSecond: wl.ReadsPerSecond,
		Timeout: dur(wl.Timeout.Duration), StabilityWindow: dur(wl.StabilityWindow.Duration)}

	p.Objectives = planObjectives{RTO: objectiveDur(scn.Objectives.RTO, "report"),
		RPO: objectiveDur(scn.Objectives.RPO, "report"), LostWrites: "report"}
	if o := scn.Objectives.LostWrites; o != nil {
		p.Objectives.LostWrites = strconv.Itoa(*o)
	}

	reversible := map[string]bool{}
	for _, a := range scenarios.Actions() {
		reversible[a.Name] = a.Reversible
	}
	p.Timeline = planTimeline{Duration: dur(scn.Timeline.Duration.Duration), Faults: []planFault{}}
	hits := make([]bool, len(scn.Timeline.Faults))
	for i, f := range scn.Timeline.Faults {
		pf := planFault{Index: i, At: dur(f.At.Duration), Action: f.Action, Target: f.Target,
			Reversible: reversible[f.Action], Params: paramMap(f.Params),
			RTO: p.Objectives.RTO, RPO: p.Objectives.RPO}
		if f.For != nil {
			pf.For = dur(f.For.Duration)
		}
		if o := f.Objectives; o != nil {
			pf.RTO, pf.RPO = objectiveDur(o.RTO, pf.RTO), objectiveDur(o.RPO, pf.RPO)
		}
		nodes, err := resolveAtStart(topo, f)
		pf.Nodes = nonNil(topology.Names(nodes))
		if err != nil {
			pf.ResolveError = err.Error()
		}
		hits[i] = slices.Contains(pf.Nodes, topology.NodePrimary)
		if f.Selector != nil {
			pf.Selector = planSel(*f.Selector, nodes)
		}
		pf.Resolution = resolution(f, nodes, err)
		p.Timeline.Faults = append(p.Timeline.Faults, pf)
	}

	if m := scn.Monkey; m != nil {
		pm := &planMonkey{Enabled: m.IsEnabled(), MeanInterval: dur(m.MeanInterval.Duration),
			Actions: nonNil(m.Actions), Targets: nonNil(m.Targets), Selectors: []planSelector{},
			MaxAtOnce: m.MaxAtOnce, Start: dur(m.Between.Start.Duration), End: dur(m.Between.End.Duration)}
		if m.Seed != nil {
			pm.Seed = strconv.FormatInt(*m.Seed, 10)
		}
		if m.FaultDuration.Duration > 0 {
			pm.FaultDuration = dur(m.FaultDuration.Duration)
		}
		for _, sel := range m.Selectors {
			nodes, _ := resolveAtStart(topo, scenarios.Fault{Selector: &sel})
			pm.Selectors = append(pm.Selectors, *planSel(sel, nodes))
		}
		p.Monkey = pm
	}
	for _, a := range scn.Abort {
		pa := planAbort{Metric: a.Metric, For: dur(a.For.Duration)}
		switch {
		case a.Below != nil:
			pa.Condition = "below " + strconv.FormatFloat(*a.Below, 'g', -1, 64)
		case a.Above != nil:
			pa.Condition = "above " + strconv.FormatFloat(*a.Above, 'g', -1, 64)
		}
		p.Abort = append(p.Abort, pa)
	}

	p.Budget, p.Warnings = planFailoverBudget(scn, hits, p.Warnings)
	return p
}

func objectiveDur(o *scenarios.Duration, none string) string {
	if o == nil {
		return none
	}
	return dur(o.Duration)
}

// portPurpose names what each port of topology serves.
var portPurpose = map[string]string{topology.PortPostgres: "postgres", topology.PortS3: "S3",
	topology.PortConsole: "console", topology.PortApp: "HTTP"}

// planTopo prints the topology as the runtime creates it: a container per
// node named topology.ContainerName, on the network topology.NetworkName of
// each of its networks, publishing its ports on loopback, with the volume
// topology.VolumeName mounted at its data directory.
func planTopo(scn *scenarios.Scenario, topo *topology.Topology) planTopology {
	env := &scn.Environment
	run := topology.RunPlaceholder
	sync := map[string]bool{}
	for _, r := range env.Postgres.Replicas {
		sync[topology.ReplicaNode(r.Name)] = r.Synchronous
	}
	t := planTopology{WAN: network(topology.WAN), Regions: []planRegion{}, Nodes: []planNode{}}
	for _, n := range topo.Nodes {
		pn := planNode{Name: n.Name, Service: n.Service, Kind: n.Kind, ImageRole: string(imageRoles[n.Kind]),
			Region: n.Region, Container: topology.ContainerName(run, n.Name), Labels: n.Labels}
		for _, net := range n.Networks {
			pn.Networks = append(pn.Networks, topology.NetworkName(run, net))
		}
		for _, port := range n.Ports {
			pn.Ports = append(pn.Ports, planPort{Container: port, Host: "127.0.0.1:<any>", Purpose: cmpOr(portPurpose[port], port)})
		}
		if n.Volume != "" {
			pn.Volume = topology.VolumeName(run, n.Name) + ":" + n.Volume
		}
		switch {
		case n.Kind == topology.KindPostgres && n.Role == topology.RolePrimary:
			pn.Role = "postgres primary"
		case n.Kind == topology.KindPostgres && sync[n.Name]:
			pn.Role = "postgres replica (synchronous, streaming)"
		case n.Kind == topology.KindPostgres:
			pn.Role = "postgres replica (asynchronous, streaming)"
		case n.Kind == topology.KindStorage:
			pn.Role = "storage (S3, bucket " + topo.Bucket + ")"
		default:
			instances := "1 instance"
			if env.App.Instances != 1 {
				instances = strconv.Itoa(env.App.Instances) + " instances"
			}
			pn.Role = "app (" + cmpOr(env.App.Image, "built-in sample app") + ", " + instances + ")"
			pn.Instances, pn.EnvNames = env.App.Instances, slices.Sorted(maps.Keys(env.App.Env))
		}
		t.Nodes = append(t.Nodes, pn)
	}
	for _, region := range topo.Regions {
		t.Regions = append(t.Regions, planRegion{Name: region, Network: network(region),
			Nodes: nonNil(topology.Names(topo.InRegion(region)))})
	}
	return t
}

func cmpOr(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

func planDRSettings(scn *scenarios.Scenario, topo *topology.Topology) planDR {
	d := planDR{Backups: []planBackup{}, Recovery: []planRecovery{}}
	for _, b := range scn.DR.Backups {
		d.Backups = append(d.Backups, planBackup{Kind: b.Kind, Every: dur(b.Every.Duration), Keep: b.Keep,
			To: "s3://" + topo.Bucket + " on " + topology.NodeStorage})
	}
	fo := scn.DR.Failover
	d.Failover = planFailover{
		Enabled: fo.IsEnabled(), CheckInterval: dur(fo.CheckInterval.Duration), CheckTimeout: dur(fo.CheckTimeout.Duration),
		FailuresBeforeAction: fo.FailuresBeforeAction, Fencing: fo.Fencing, Candidates: nonNil(topo.Standbys()),
	}
	rec := scn.DR.Recovery
	for _, r := range []planRecovery{
		{"database", rec.Database}, {"disk", rec.Disk}, {"network", rec.Network}, {"complete", rec.Complete},
	} {
		if len(r.Steps) > 0 {
			d.Recovery = append(d.Recovery, r)
		}
	}
	return d
}

// planFailoverBudget compares the worst-case detection with the RTO
// objectives, adding a warning for each that detection alone exhausts.
// hits says, per fault, whether it resolves to the primary at the start.
func planFailoverBudget(scn *scenarios.Scenario, hits []bool, warnings []string) (planBudget, []string) {
	fo := scn.DR.Failover
	b := planBudget{FailoverEnabled: fo.IsEnabled(), Checks: []planBudgetCheck{}}
	anyPrimary := scn.Monkey.IsEnabled() || slices.Contains(hits, true)
	if !fo.IsEnabled() {
		if o := scn.Objectives.RTO; o != nil && anyPrimary {
			warnings = append(warnings, fmt.Sprintf(
				"failover is disabled: nothing promotes a replica after a fault on the primary, so the RTO objective (%s) will be missed unless the node comes back",
				o.Duration))
		}
		return b, warnings
	}
	detect, _ := fo.WorstCaseDetection() // the loader refuses settings that overflow
	b.Detection = dur(detect)
	b.Formula = fmt.Sprintf("check_interval %s x failures_before_action %d + check_timeout %s",
		fo.CheckInterval.Duration, fo.FailuresBeforeAction, fo.CheckTimeout.Duration)
	check := func(fault int, rto time.Duration, hits bool) {
		c := planBudgetCheck{Fault: fault, RTO: dur(rto), Remaining: dur(rto - detect), Exceeds: detect >= rto, HitsPrimary: hits}
		b.Checks = append(b.Checks, c)
		if !c.Exceeds || !hits {
			return
		}
		what, field := "the RTO objective", "objectives.rto"
		if fault >= 0 {
			what, field = fmt.Sprintf("fault #%d's RTO objective", fault), fmt.Sprintf("timeline.faults[%d].objectives.rto", fault)
		}
		warnings = append(warnings, fmt.Sprintf(
			"worst-case failure detection alone (%s) does not fit in %s (%s): lower dr.failover.check_interval, check_timeout or failures_before_action, or raise %s",
			detect, what, rto, field))
	}
	if o := scn.Objectives.RTO; o != nil {
		check(-1, o.Duration, anyPrimary)
	}
	for i, f := range scn.Timeline.Faults {
		if o := f.Objectives; o != nil && o.RTO != nil {
			check(i, o.RTO.Duration, hits[i])
		}
	}
	return b, warnings
}

func planSel(sel scenarios.Selector, nodes []*topology.Node) *planSelector {
	ps := &planSelector{Role: sel.Role, Region: sel.Region, Labels: sel.Labels, Mode: sel.Mode, Matches: []string{}}
	for _, n := range nodes {
		ps.Matches = append(ps.Matches, n.Service)
	}
	return ps
}

// resolution says in words how the engine chooses a fault's nodes at
// injection, and which they are at the start.
func resolution(f scenarios.Fault, nodes []*topology.Node, err error) string {
	if err != nil {
		return "resolves to nothing at the start: " + err.Error()
	}
	names := listOr(topology.Names(nodes), "none")
	if sel := f.Selector; sel != nil {
		how := "every match"
		if sel.Mode == scenarios.ModeOne {
			how = "one match picked from the run's seed"
		}
		roles := ""
		if sel.Role == scenarios.RolePrimary || sel.Role == scenarios.RoleReplica {
			roles = "; roles as they are then"
		}
		return fmt.Sprintf("%s, matched at injection (at the start: %s)%s", how, names, roles)
	}
	switch target := f.Target; {
	case target == scenarios.TargetPrimary:
		return fmt.Sprintf("whichever node is primary at injection (at the start %s, region %s)", names, nodes[0].Region)
	case target == scenarios.TargetAnyReplica:
		return "the first running Postgres node that is not the primary at injection (at the start " + names + ")"
	case strings.HasPrefix(target, "region."):
		region := nodes[0].Region
		return fmt.Sprintf("every node in region %s (network %s; at the start %s)", region, network(region), names)
	case nodes[0].Kind == topology.KindPostgres:
		return fmt.Sprintf("%s, region %s, whether primary or replica by then", names, nodes[0].Region)
	}
	return fmt.Sprintf("%s, region %s", names, nodes[0].Region)
}

// paramMap writes the parameters that are set as they are written in
// YAML, from the language's own encoding: a parameter added to the language
// shows without a change here.
func paramMap(p scenarios.Params) map[string]string {
	m := map[string]string{}
	var fields map[string]any
	if b, err := yaml.Marshal(p); err != nil || yaml.Unmarshal(b, &fields) != nil {
		return m // cannot happen: Params is plain data
	}
	for k, v := range fields {
		if list, ok := v.([]any); ok {
			parts := make([]string, len(list))
			for i, x := range list {
				parts[i] = fmt.Sprint(x)
			}
			m[k] = strings.Join(parts, ", ")
		} else {
			m[k] = fmt.Sprint(v)
		}
	}
	return m
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// writePlanText prints the plan for a person; the plan is built from a
// scenario escaped for the terminal (see the command).
func writePlanText(w io.Writer, p plan) error {
	b := &strings.Builder{}
	var tw *tabwriter.Writer
	table := func() { tw = tabwriter.NewWriter(b, 0, 4, 2, ' ', 0) }
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }

	line("plan of drill %s (%s)", p.Scenario, p.File)
	for _, l := range wrap(p.Description, 76) {
		line("  %s", l)
	}
	line("  nothing has been started; %s stands for the run id each run chooses", p.RunID)

	line("\ntopology")
	table()
	byName := map[string]planNode{}
	for _, n := range p.Topology.Nodes {
		byName[n.Name] = n
	}
	for _, r := range p.Topology.Regions {
		fmt.Fprintf(tw, "  region %s\tnetwork %s\t\t\n", r.Name, r.Network)
		for _, name := range r.Nodes {
			n := byName[name]
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s%s\n", n.Name, n.Role, n.Container, portList(n.Ports), labelText(n.Labels))
		}
	}
	fmt.Fprintf(tw, "  wan\tnetwork %s\t\t\n", p.Topology.WAN)
	tw.Flush()
	line("  every node joins its region's network and the wan; ports are published on")
	line("  127.0.0.1 only, each on a host port Docker picks at start (<any>)")
	for _, n := range p.Topology.Nodes {
		if n.Volume != "" {
			line("  %s keeps its data on volume %s", n.Name, n.Volume)
		}
	}
	for _, n := range p.Topology.Nodes {
		if len(n.EnvNames) > 0 {
			line("  %s environment: %s", n.Name, strings.Join(n.EnvNames, ", "))
		}
	}

	line("\nimages (looked up only: plan never pulls or builds)")
	table()
	for _, im := range p.Images {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", im.Role, cmpOr(im.Want, "(built-in)"), im.Detail)
	}
	tw.Flush()

	line("\ndr engine")
	if len(p.DR.Backups) == 0 {
		line("  backups   none")
	}
	for i, bk := range p.DR.Backups {
		line("  %s%s every %s, keeping the newest %d, to %s", first(i, "backups   "), bk.Kind, bk.Every, bk.Keep, bk.To)
	}
	fo := p.DR.Failover
	if fo.Enabled {
		line("  failover  enabled: health check of the primary every %s, each at most %s;", fo.CheckInterval, fo.CheckTimeout)
		line("            acts after %d failed checks in a row; fencing %s; promotes the most", fo.FailuresBeforeAction, fo.Fencing)
		line("            advanced reachable standby of: %s", listOr(fo.Candidates, "none"))
	} else {
		line("  failover  disabled (check every %s, timeout %s, after %d failures, fencing %s: unused)",
			fo.CheckInterval, fo.CheckTimeout, fo.FailuresBeforeAction, fo.Fencing)
	}
	if len(p.DR.Recovery) == 0 && fo.Enabled {
		line("  recovery  no plans (failures are left to the failover manager)")
	} else if len(p.DR.Recovery) == 0 {
		line("  recovery  no plans")
	}
	for i, r := range p.DR.Recovery {
		line("  %s%s: %s", first(i, "recovery  "), r.FailureType, strings.Join(r.Steps, " -> "))
	}

	wl := p.Workload
	line("\nworkload")
	line("  %g writes/s and %g reads/s, open loop (a constant arrival rate, never retried)", wl.WritesPerSecond, wl.ReadsPerSecond)
	line("  timeout %s (a write unanswered by then is indeterminate, never counted lost)", wl.Timeout)
	line("  stability window %s (writes must keep succeeding this long for a recovery to count)", wl.StabilityWindow)

	line("\ntimeline %s, then revert what is still active, settle and read back every acknowledged write", p.Timeline.Duration)
	if len(p.Timeline.Faults) == 0 {
		line("  no scheduled faults")
	} else {
		table()
		fmt.Fprintf(tw, "  #\tat\taction\ttarget\tfor\tparams\tresolved at injection\n")
		for _, f := range p.Timeline.Faults {
			target := f.Target
			if f.Selector != nil {
				target = selectorText(*f.Selector)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Index, f.At, f.Action, target, faultFor(f), paramText(f.Params), f.Resolution)
		}
		tw.Flush()
	}

	if m := p.Monkey; m != nil {
		line("\nmonkey %s", map[bool]string{true: "enabled", false: "disabled (settings below unused)"}[m.Enabled])
		if m.Seed != "" {
			line("  seed %s (firedrill run --seed overrides it)", m.Seed)
		} else {
			line("  seed chosen when the run starts and recorded in run.json (firedrill run --seed fixes it)")
		}
		line("  a random fault every %s on average, between %s and %s, at most %d at once", m.MeanInterval, m.Start, m.End, m.MaxAtOnce)
		line("  actions %s", listOr(m.Actions, "none"))
		if len(m.Targets) > 0 {
			line("  targets %s", strings.Join(m.Targets, ", "))
		}
		for _, s := range m.Selectors {
			line("  %s (at the start matches %s)", selectorText(s), listOr(s.Matches, "none"))
		}
		if m.FaultDuration != "" {
			line("  each reversible fault lasts %s", m.FaultDuration)
		}
	}

	if len(p.Abort) > 0 {
		line("\nabort the drill when any of these holds")
		for _, a := range p.Abort {
			hold := ""
			if a.For != "0s" {
				hold = " for " + a.For
			}
			line("  %s %s%s", a.Metric, a.Condition, hold)
		}
	}

	o := p.Objectives
	line("\nobjectives")
	table()
	fmt.Fprintf(tw, "  rto\t%s\n  rpo\t%s\n  lost writes\t%s\n", objective(o.RTO, " per fault"), objective(o.RPO, ""), objective(o.LostWrites, ""))
	tw.Flush()
	for _, f := range p.Timeline.Faults {
		if f.RTO != o.RTO || f.RPO != o.RPO {
			line("  fault #%d: rto %s, rpo %s", f.Index, objective(f.RTO, ""), objective(f.RPO, ""))
		}
	}

	bu := p.Budget
	line("\nfailover budget")
	if !bu.FailoverEnabled {
		line("  failover disabled: no automatic recovery")
	} else {
		line("  worst-case detection %s = %s", bu.Detection, bu.Formula)
		if len(bu.Checks) == 0 {
			line("  no RTO objective to compare with")
		}
		for _, c := range bu.Checks {
			who := "rto"
			if c.Fault >= 0 {
				who = fmt.Sprintf("fault #%d rto", c.Fault)
			}
			switch {
			case !c.HitsPrimary:
				line("  %s %s: no fault on the primary, failover not expected", who, c.RTO)
			case c.Exceeds:
				line("  %s %s: detection alone uses it all", who, c.RTO)
			default:
				line("  %s %s leaves %s for fencing, promotion, rerouting and the first write", who, c.RTO, c.Remaining)
			}
		}
	}

	if len(p.Unimplemented) > 0 {
		line("\nnot runnable by this build ('firedrill run' refuses it)")
		for _, u := range p.Unimplemented {
			line("  %s", u)
		}
	}
	if len(p.Warnings)+len(p.ScenarioWarnings) > 0 {
		line("")
	}
	for _, wr := range p.Warnings {
		line("warning: %s", wr)
	}
	for _, wr := range p.ScenarioWarnings {
		line("%s", wr)
	}
	// Tab-aligned rows pad their empty last cells: trim every line.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// first is label on the first line of a list and as many spaces after.
func first(i int, label string) string {
	if i == 0 {
		return label
	}
	return strings.Repeat(" ", len(label))
}

// wrap splits s into lines of at most width characters, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines, line = append(lines, line), ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// selectorText writes a selector as the language's Selector.String does.
func selectorText(s planSelector) string {
	return scenarios.Selector{Role: s.Role, Region: s.Region, Labels: s.Labels, Mode: s.Mode}.String()
}

func portList(ports []planPort) string {
	var parts []string
	for _, p := range ports {
		parts = append(parts, fmt.Sprintf("%s %s -> %s", p.Purpose, p.Container, p.Host))
	}
	return strings.Join(parts, ", ")
}

func labelText(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	return "  labels " + pairs(labels, ",")
}

// pairs writes k=v for each key, sorted, joined by sep.
func pairs(m map[string]string, sep string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, sep)
}

func paramText(params map[string]string) string {
	return cmpOr(pairs(params, " "), "-")
}

func faultFor(f planFault) string {
	switch {
	case f.For != "":
		return f.For
	case !f.Reversible:
		return "- (permanent)"
	}
	return "-"
}

func objective(v, suffix string) string {
	if v == "report" {
		return "report only"
	}
	return "<= " + v + suffix
}

func listOr(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	return strings.Join(xs, ", ")
}
