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

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
)

// runPlaceholder stands for the run id in a plan: each run chooses its own
// when it starts.
const runPlaceholder = "<run>"

// wanNetwork is the region-less network every node joins (testenv's wan).
const wanNetwork = "wan"

func newPlanCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plan SCENARIO",
		Short: "Show what a drill would do, without starting anything",
		Long: `A dry run: load the scenario (a file or a built-in name), fill in every default
and print what 'firedrill run' would build and do:

  - the topology: each region's Docker network, the wan network joining them,
    every node with its role, region, container name and published ports;
  - the image each role would use and where it would come from (present
    locally, firedrill's recipe image, a pull, or a build); plan only looks:
    it never pulls or builds, and says "unknown (Docker unreachable)" when
    Docker cannot be reached;
  - the DR engine's settings (backups, failover, recovery plans), the
    workload, the timeline with every fault's time, action, target, duration
    and parameters, and how its target is resolved at injection; the monkey
    and the abort conditions;
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
			images := planImages(cmd.Context(), g, imageWants(scn))
			if asJSON {
				if err := writeJSON(g.stdout, buildPlan(scn, images)); err != nil {
					return withCode(firedrill.ExitInconclusive, err)
				}
				return nil
			}
			// Scenario text (a description, a label value) may hold control
			// characters: escaped before they reach the terminal.
			return writePlanText(g.stdout, buildPlan(scn.MapStrings(termSafe), images))
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
	// RunID is the placeholder "<run>" used in every name below.
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
	// Unimplemented lists what this build cannot run, each as
	// file:line:col: path: what; run refuses the scenario while it is not
	// empty.
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
	Service   string            `json:"service"`
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
	// Want is the image the scenario names ("" for the built-in app).
	Want string `json:"want"`
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
	// Target is the fault's target, or "selector ..." for a selector.
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
	// Resolution says how the target is chosen when the fault is injected.
	Resolution string `json:"resolution"`
}

type planSelector struct {
	Role   string            `json:"role,omitempty"`
	Region string            `json:"region,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	Mode   string            `json:"mode,omitempty"`
	// Matches are the services it matches in the topology as written.
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

// imageWant is a role and the image the scenario names for it.
type imageWant struct {
	Role images.Role
	Want string
}

// imageWants lists the roles a drill of scn needs, in a stable order.
func imageWants(scn *scenarios.Scenario) []imageWant {
	env := scn.Environment
	wants := []imageWant{{images.RolePostgres, env.Postgres.Image}}
	if env.Storage.IsEnabled() {
		wants = append(wants, imageWant{images.RoleMinIO, env.Storage.Image})
	}
	return append(wants, imageWant{images.RoleApp, env.App.Image})
}

// planImages says, for each role, which image a run would use and where it
// would come from, without pulling or building anything. A variable so
// that tests give a fixed answer instead of asking Docker.
var planImages = dockerImagePlan

// dockerImagePlan asks Docker what is present, read-only: image inspect and
// Images.List, which computes recipe hashes but never builds or pulls.
func dockerImagePlan(ctx context.Context, g *globals, wants []imageWant) []planImage {
	unknown := func(why string) []planImage {
		out := make([]planImage, 0, len(wants))
		for _, w := range wants {
			out = append(out, planImage{Role: w.Role, Want: w.Want, Source: planSourceUnknown, Detail: why})
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
		if err == nil {
			return true, nil
		}
		if cerrdefs.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	out := make([]planImage, 0, len(wants))
	for _, w := range wants {
		out = append(out, resolveImagePlan(w, byRole[w.Role], present))
	}
	return out
}

// resolveImagePlan follows images.Images.Resolve's order (the named image
// present; the recipe image present; a pull of the named image; a build)
// with lookups only.
func resolveImagePlan(w imageWant, st images.ImageStatus, present func(string) (bool, error)) planImage {
	p := planImage{Role: w.Role, Want: w.Want}
	name := w.Want
	if name == "" {
		name = images.OfficialImage(w.Role)
	}
	official := name != "" && officialImage(w.Role, name)
	if name != "" {
		ok, err := present(name)
		if err != nil {
			p.Source, p.Detail = planSourceUnknown, "unknown ("+firstLine(err.Error())+")"
			return p
		}
		if ok {
			p.Ref, p.Source, p.Detail = name, planSourcePresent, name+", present locally"
			return p
		}
	}
	if w.Want != "" && !official {
		p.Ref, p.Source = name, planSourcePull
		p.Detail = name + " is not present: run would pull it and fail if it cannot (no recipe stands in for it)"
		return p
	}
	if st.RecipeTag == "" {
		p.Source = planSourceUnknown
		why, _, _ := strings.Cut(firstLine(st.RecipeError), "; ")
		p.Detail = "unknown (firedrill's " + string(w.Role) + " recipe: " + why + ")"
		return p
	}
	p.Ref = st.RecipeTag
	switch {
	case st.RecipePresent:
		p.Source, p.Detail = planSourceRecipe, st.RecipeTag+", firedrill's recipe image, present"
	case name != "":
		p.Source = planSourcePullOrBuild
		p.Detail = "would pull " + name + ", else build " + st.RecipeTag + " from firedrill's recipe (minutes the first time)"
	default:
		p.Source, p.Detail = planSourceBuild, "would build "+st.RecipeTag+" from firedrill's recipe"
	}
	return p
}

// officialImage mirrors testenv's rule: any postgres 15 tag is the
// official postgres image, any minio/minio tag the official MinIO.
func officialImage(role images.Role, ref string) bool {
	name, tag, _ := strings.Cut(strings.TrimPrefix(ref, "docker.io/library/"), ":")
	if strings.Contains(tag, "@") || strings.Contains(name, "@") {
		return false
	}
	switch role {
	case images.RolePostgres:
		return name == "postgres" && (tag == "15" || strings.HasPrefix(tag, "15.") || strings.HasPrefix(tag, "15-"))
	case images.RoleMinIO:
		name = strings.TrimPrefix(name, "docker.io/")
		return name == "minio/minio" || name == "quay.io/minio/minio"
	}
	return false
}

func dur(d time.Duration) string { return d.String() }

// network names a region's Docker network in a plan.
func network(region string) string { return "firedrill-" + runPlaceholder + "-" + region }

// buildPlan resolves scn (defaults already applied by the loader) into a
// plan, with the images as given.
func buildPlan(scn *scenarios.Scenario, images []planImage) plan {
	p := plan{
		Scenario: scn.Name, File: scn.File, Description: strings.TrimSpace(scn.Description),
		RunID: runPlaceholder, Images: images, Abort: []planAbort{},
		Warnings: []string{}, Unimplemented: []string{},
	}
	if u := scn.Unimplemented(); len(u) > 0 {
		p.Unimplemented = u
	}
	p.Topology = planTopo(scn)
	p.DR = planDRSettings(scn)

	wl := scn.Workload
	p.Workload = planWorkload{WritesPerSecond: wl.WritesPerSecond, ReadsPerSecond: wl.ReadsPerSecond,
		Timeout: dur(wl.Timeout.Duration), StabilityWindow: dur(wl.StabilityWindow.Duration)}

	p.Objectives = planObjectives{RTO: "report", RPO: "report", LostWrites: "report"}
	if o := scn.Objectives.RTO; o != nil {
		p.Objectives.RTO = dur(o.Duration)
	}
	if o := scn.Objectives.RPO; o != nil {
		p.Objectives.RPO = dur(o.Duration)
	}
	if o := scn.Objectives.LostWrites; o != nil {
		p.Objectives.LostWrites = strconv.Itoa(*o)
	}

	reversible := map[string]bool{}
	for _, a := range scenarios.Actions() {
		reversible[a.Name] = a.Reversible
	}
	p.Timeline.Duration = dur(scn.Timeline.Duration.Duration)
	p.Timeline.Faults = []planFault{}
	for i, f := range scn.Timeline.Faults {
		pf := planFault{Index: i, At: dur(f.At.Duration), Action: f.Action, Target: f.Target,
			Reversible: reversible[f.Action], Params: paramMap(f.Params),
			RTO: p.Objectives.RTO, RPO: p.Objectives.RPO}
		if f.For != nil {
			pf.For = dur(f.For.Duration)
		}
		if o := f.Objectives; o != nil && o.RTO != nil {
			pf.RTO = dur(o.RTO.Duration)
		}
		if o := f.Objectives; o != nil && o.RPO != nil {
			pf.RPO = dur(o.RPO.Duration)
		}
		if f.Selector != nil {
			pf.Selector = planSel(scn, *f.Selector)
			pf.Resolution = selectorResolution(*f.Selector, pf.Selector.Matches)
		} else {
			pf.Resolution = resolution(scn, f.Target)
		}
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
			pm.Selectors = append(pm.Selectors, *planSel(scn, sel))
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

	p.Budget, p.Warnings = planFailoverBudget(scn, p.Warnings)
	return p
}

func planTopo(scn *scenarios.Scenario) planTopology {
	env := scn.Environment
	pgPorts := []planPort{{Container: "5432/tcp", Purpose: "postgres"}}
	const pgData = "/var/lib/postgresql/data"
	// Nodes, in the order the environment starts them.
	nodes := []planNode{{
		Name: docker.NodePrimary, Service: scenarios.TargetPrimary, Role: "postgres primary",
		ImageRole: string(images.RolePostgres), Region: env.Postgres.Primary.Region, Ports: pgPorts,
		Volume: pgData, Labels: env.Postgres.Primary.Labels,
	}}
	for _, r := range env.Postgres.Replicas {
		role := "postgres replica (asynchronous, streaming)"
		if r.Synchronous {
			role = "postgres replica (synchronous, streaming)"
		}
		nodes = append(nodes, planNode{
			Name: docker.ReplicaNode(r.Name), Service: "postgres." + r.Name, Role: role,
			ImageRole: string(images.RolePostgres), Region: r.Region, Ports: pgPorts,
			Volume: pgData, Labels: r.Labels,
		})
	}
	if env.Storage.IsEnabled() {
		nodes = append(nodes, planNode{
			Name: docker.NodeStorage, Service: scenarios.TargetStorage, Role: "storage (S3, bucket " + env.Storage.Bucket + ")",
			ImageRole: string(images.RoleMinIO), Region: scn.RegionOf(scenarios.TargetStorage),
			Ports:  []planPort{{Container: "9000/tcp", Purpose: "S3"}, {Container: "9001/tcp", Purpose: "console"}},
			Volume: "/data", Labels: env.Storage.Labels,
		})
	}
	app := "built-in sample app"
	if env.App.Image != "" {
		app = env.App.Image
	}
	instances := "1 instance"
	if env.App.Instances != 1 {
		instances = strconv.Itoa(env.App.Instances) + " instances"
	}
	nodes = append(nodes, planNode{
		Name: docker.NodeApp, Service: scenarios.TargetApp, Role: "app (" + app + ", " + instances + ")",
		ImageRole: string(images.RoleApp), Region: scn.RegionOf(scenarios.TargetApp),
		Ports:  []planPort{{Container: "8080/tcp", Purpose: "HTTP"}},
		Labels: env.App.Labels, Instances: env.App.Instances,
		EnvNames: slices.Sorted(maps.Keys(env.App.Env)),
	})
	for i := range nodes {
		n := &nodes[i]
		n.Container = "firedrill-" + runPlaceholder + "-" + n.Name
		n.Networks = []string{network(n.Region), network(wanNetwork)}
		ports := make([]planPort, len(n.Ports))
		for j, pt := range n.Ports {
			pt.Host = "127.0.0.1:<any>"
			ports[j] = pt
		}
		n.Ports = ports
		if n.Volume != "" {
			n.Volume = "firedrill-" + runPlaceholder + "-" + n.Name + ":" + n.Volume
		}
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
	}
	t := planTopology{Nodes: nodes, WAN: network(wanNetwork), Regions: []planRegion{}}
	for _, region := range env.Regions {
		r := planRegion{Name: region, Network: network(region), Nodes: []string{}}
		for _, n := range nodes {
			if n.Region == region {
				r.Nodes = append(r.Nodes, n.Name)
			}
		}
		t.Regions = append(t.Regions, r)
	}
	return t
}

func planDRSettings(scn *scenarios.Scenario) planDR {
	d := planDR{Backups: []planBackup{}, Recovery: []planRecovery{}}
	for _, b := range scn.DR.Backups {
		d.Backups = append(d.Backups, planBackup{Kind: b.Kind, Every: dur(b.Every.Duration), Keep: b.Keep,
			To: "s3://" + scn.Environment.Storage.Bucket + " on " + docker.NodeStorage})
	}
	fo := scn.DR.Failover
	d.Failover = planFailover{
		Enabled: fo.IsEnabled(), CheckInterval: dur(fo.CheckInterval.Duration), CheckTimeout: dur(fo.CheckTimeout.Duration),
		FailuresBeforeAction: fo.FailuresBeforeAction, Fencing: fo.Fencing, Candidates: []string{},
	}
	for _, r := range scn.Environment.Postgres.Replicas {
		d.Failover.Candidates = append(d.Failover.Candidates, docker.ReplicaNode(r.Name))
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
func planFailoverBudget(scn *scenarios.Scenario, warnings []string) (planBudget, []string) {
	fo := scn.DR.Failover
	b := planBudget{FailoverEnabled: fo.IsEnabled(), Checks: []planBudgetCheck{}}
	anyPrimary := scn.Monkey.IsEnabled()
	for _, f := range scn.Timeline.Faults {
		anyPrimary = anyPrimary || faultHitsPrimary(scn, f)
	}
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
			check(i, o.RTO.Duration, faultHitsPrimary(scn, f))
		}
	}
	return b, warnings
}

// faultHitsPrimary reports whether a fault may hit the primary, so that
// the failover manager has to act: it targets postgres.primary, the
// primary's region, or a selector that matches the primary.
func faultHitsPrimary(scn *scenarios.Scenario, f scenarios.Fault) bool {
	if f.Selector != nil {
		return slices.Contains(scn.Matches(*f.Selector), scenarios.TargetPrimary)
	}
	return f.Target == scenarios.TargetPrimary || f.Target == "region."+scn.Environment.Postgres.Primary.Region
}

func planSel(scn *scenarios.Scenario, sel scenarios.Selector) *planSelector {
	return &planSelector{Role: sel.Role, Region: sel.Region, Labels: sel.Labels, Mode: sel.Mode,
		Matches: nonNil(scn.Matches(sel))}
}

// selectorText writes a selector as role=... region=... labels k=v mode=...
func selectorText(s planSelector) string {
	var parts []string
	if s.Role != "" {
		parts = append(parts, "role="+s.Role)
	}
	if s.Region != "" {
		parts = append(parts, "region="+s.Region)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		parts = append(parts, "label "+k+"="+s.Labels[k])
	}
	if s.Mode != "" {
		parts = append(parts, "mode="+s.Mode)
	}
	return strings.Join(parts, " ")
}

func selectorResolution(sel scenarios.Selector, matches []string) string {
	how := "every match"
	if sel.Mode == scenarios.ModeOne {
		how = "one match picked from the run's seed"
	}
	role := ""
	if sel.Role == scenarios.RolePrimary || sel.Role == scenarios.RolePostgres {
		role = "; role primary means whichever node is primary then"
	}
	return fmt.Sprintf("%s, matched at injection (now: %s)%s", how, listOr(matches, "none"), role)
}

// paramMap writes the parameters that are set, as YAML values.
func paramMap(p scenarios.Params) map[string]string {
	m := map[string]string{}
	if p.Grace != nil {
		m["grace"] = dur(p.Grace.Duration)
	}
	if len(p.To) > 0 {
		m["to"] = strings.Join(p.To, ", ")
	}
	if p.OneWay != nil {
		m["one_way"] = strconv.FormatBool(*p.OneWay)
	}
	if p.Delay != nil {
		m["delay"] = dur(p.Delay.Duration)
	}
	if p.Jitter != nil {
		m["jitter"] = dur(p.Jitter.Duration)
	}
	if p.Percent != nil {
		m["percent"] = strconv.FormatFloat(*p.Percent, 'g', -1, 64)
	}
	if p.Rate != "" {
		m["rate"] = p.Rate
	}
	if p.Size != "" {
		m["size"] = p.Size
	}
	return m
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// resolution says how a fault's target is chosen at injection (chaos.Resolve).
func resolution(scn *scenarios.Scenario, target string) string {
	switch target {
	case scenarios.TargetPrimary:
		return fmt.Sprintf("whichever node is primary at injection (at the start %s, region %s)",
			docker.NodePrimary, scn.RegionOf(scenarios.TargetPrimary))
	case scenarios.TargetAnyReplica:
		first := "none"
		if names := scn.ReplicaNames(); len(names) > 0 {
			first = docker.ReplicaNode(names[0])
		}
		return "the first running Postgres node that is not the primary at injection (at the start " + first + ")"
	case scenarios.TargetStorage:
		return fmt.Sprintf("%s, region %s", docker.NodeStorage, scn.RegionOf(target))
	case scenarios.TargetApp:
		return fmt.Sprintf("%s, region %s", docker.NodeApp, scn.RegionOf(target))
	}
	if region, ok := strings.CutPrefix(target, "region."); ok {
		var in []string
		for _, svc := range scn.Services() {
			if scn.RegionOf(svc) == region && (svc != scenarios.TargetStorage || scn.Environment.Storage.IsEnabled()) {
				in = append(in, nodeName(svc))
			}
		}
		return fmt.Sprintf("every node in region %s (network %s; at the start %s)", region, network(region), listOr(in, "none"))
	}
	if name, ok := strings.CutPrefix(target, "postgres."); ok {
		return fmt.Sprintf("%s, region %s, whether primary or replica by then", docker.ReplicaNode(name), scn.RegionOf(target))
	}
	return target
}

// nodeName is the node (container suffix) of a service.
func nodeName(service string) string {
	switch service {
	case scenarios.TargetPrimary:
		return docker.NodePrimary
	case scenarios.TargetStorage:
		return docker.NodeStorage
	case scenarios.TargetApp:
		return docker.NodeApp
	}
	if name, ok := strings.CutPrefix(service, "postgres."); ok {
		return docker.ReplicaNode(name)
	}
	return service
}

// writePlanText prints the plan for a person; the plan is built from a
// scenario escaped for the terminal (see the command).
func writePlanText(w io.Writer, p plan) error {
	b := &strings.Builder{}
	var tw *tabwriter.Writer
	table := func() { tw = tabwriter.NewWriter(b, 0, 4, 2, ' ', 0) }

	fmt.Fprintf(b, "plan of drill %s (%s)\n", p.Scenario, p.File)
	for _, l := range wrap(p.Description, 76) {
		fmt.Fprintf(b, "  %s\n", l)
	}
	fmt.Fprintf(b, "  nothing has been started; %s stands for the run id each run chooses\n", p.RunID)

	fmt.Fprintf(b, "\ntopology\n")
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
	fmt.Fprintf(b, "  every node joins its region's network and the wan; ports are published on\n")
	fmt.Fprintf(b, "  127.0.0.1 only, each on a host port Docker picks at start (<any>)\n")
	for _, n := range p.Topology.Nodes {
		if len(n.EnvNames) > 0 {
			fmt.Fprintf(b, "  %s environment: %s\n", n.Name, strings.Join(n.EnvNames, ", "))
		}
	}

	fmt.Fprintf(b, "\nimages (looked up only: plan never pulls or builds)\n")
	table()
	for _, im := range p.Images {
		want := im.Want
		if want == "" {
			want = "(built-in)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", im.Role, want, im.Detail)
	}
	tw.Flush()

	fmt.Fprintf(b, "\ndr engine\n")
	if len(p.DR.Backups) == 0 {
		fmt.Fprintf(b, "  backups   none\n")
	}
	for i, bk := range p.DR.Backups {
		label := "          "
		if i == 0 {
			label = "backups   "
		}
		fmt.Fprintf(b, "  %s%s every %s, keeping the newest %d, to %s\n", label, bk.Kind, bk.Every, bk.Keep, bk.To)
	}
	fo := p.DR.Failover
	if fo.Enabled {
		fmt.Fprintf(b, "  failover  enabled: health check of the primary every %s, each at most %s;\n", fo.CheckInterval, fo.CheckTimeout)
		fmt.Fprintf(b, "            acts after %d failed checks in a row; fencing %s; promotes the most\n", fo.FailuresBeforeAction, fo.Fencing)
		fmt.Fprintf(b, "            advanced reachable standby of: %s\n", listOr(fo.Candidates, "none"))
	} else {
		fmt.Fprintf(b, "  failover  disabled (check every %s, timeout %s, after %d failures, fencing %s: unused)\n",
			fo.CheckInterval, fo.CheckTimeout, fo.FailuresBeforeAction, fo.Fencing)
	}
	if len(p.DR.Recovery) == 0 && fo.Enabled {
		fmt.Fprintf(b, "  recovery  no plans (failures are left to the failover manager)\n")
	} else if len(p.DR.Recovery) == 0 {
		fmt.Fprintf(b, "  recovery  no plans\n")
	}
	for i, r := range p.DR.Recovery {
		label := "          "
		if i == 0 {
			label = "recovery  "
		}
		fmt.Fprintf(b, "  %s%s: %s\n", label, r.FailureType, strings.Join(r.Steps, " -> "))
	}

	wl := p.Workload
	fmt.Fprintf(b, "\nworkload\n")
	fmt.Fprintf(b, "  %g writes/s and %g reads/s, open loop (a constant arrival rate, never retried)\n", wl.WritesPerSecond, wl.ReadsPerSecond)
	fmt.Fprintf(b, "  timeout %s (a write unanswered by then is indeterminate, never counted lost)\n", wl.Timeout)
	fmt.Fprintf(b, "  stability window %s (writes must keep succeeding this long for a recovery to count)\n", wl.StabilityWindow)

	fmt.Fprintf(b, "\ntimeline %s, then revert what is still active, settle and read back every acknowledged write\n", p.Timeline.Duration)
	if len(p.Timeline.Faults) == 0 {
		fmt.Fprintf(b, "  no scheduled faults\n")
	} else {
		table()
		fmt.Fprintf(tw, "  #\tat\taction\ttarget\tfor\tparams\tresolved at injection\n")
		for _, f := range p.Timeline.Faults {
			target := f.Target
			if f.Selector != nil {
				target = "selector " + selectorText(*f.Selector)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Index, f.At, f.Action, target, faultFor(f), paramText(f.Params), f.Resolution)
		}
		tw.Flush()
	}

	if m := p.Monkey; m != nil {
		state := "enabled"
		if !m.Enabled {
			state = "disabled (settings below unused)"
		}
		fmt.Fprintf(b, "\nmonkey %s\n", state)
		if m.Seed != "" {
			fmt.Fprintf(b, "  seed %s (firedrill run --seed overrides it)\n", m.Seed)
		} else {
			fmt.Fprintf(b, "  seed chosen when the run starts and recorded in run.json (firedrill run --seed fixes it)\n")
		}
		fmt.Fprintf(b, "  a random fault every %s on average, between %s and %s, at most %d at once\n", m.MeanInterval, m.Start, m.End, m.MaxAtOnce)
		fmt.Fprintf(b, "  actions %s\n", listOr(m.Actions, "none"))
		if len(m.Targets) > 0 {
			fmt.Fprintf(b, "  targets %s\n", strings.Join(m.Targets, ", "))
		}
		for _, s := range m.Selectors {
			fmt.Fprintf(b, "  selector %s (now matches %s)\n", selectorText(s), listOr(s.Matches, "none"))
		}
		if m.FaultDuration != "" {
			fmt.Fprintf(b, "  each reversible fault lasts %s\n", m.FaultDuration)
		}
	}

	if len(p.Abort) > 0 {
		fmt.Fprintf(b, "\nabort the drill when any of these holds\n")
		for _, a := range p.Abort {
			hold := ""
			if a.For != "0s" {
				hold = " for " + a.For
			}
			fmt.Fprintf(b, "  %s %s%s\n", a.Metric, a.Condition, hold)
		}
	}

	o := p.Objectives
	fmt.Fprintf(b, "\nobjectives\n")
	table()
	fmt.Fprintf(tw, "  rto\t%s\n", objective(o.RTO, " per fault"))
	fmt.Fprintf(tw, "  rpo\t%s\n", objective(o.RPO, ""))
	fmt.Fprintf(tw, "  lost writes\t%s\n", objective(o.LostWrites, ""))
	tw.Flush()
	for _, f := range p.Timeline.Faults {
		if f.RTO != o.RTO || f.RPO != o.RPO {
			fmt.Fprintf(b, "  fault #%d: rto %s, rpo %s\n", f.Index, objective(f.RTO, ""), objective(f.RPO, ""))
		}
	}

	bu := p.Budget
	fmt.Fprintf(b, "\nfailover budget\n")
	if !bu.FailoverEnabled {
		fmt.Fprintf(b, "  failover disabled: no automatic recovery\n")
	} else {
		fmt.Fprintf(b, "  worst-case detection %s = %s\n", bu.Detection, bu.Formula)
		if len(bu.Checks) == 0 {
			fmt.Fprintf(b, "  no RTO objective to compare with\n")
		}
		for _, c := range bu.Checks {
			who := "rto"
			if c.Fault >= 0 {
				who = fmt.Sprintf("fault #%d rto", c.Fault)
			}
			switch {
			case !c.HitsPrimary:
				fmt.Fprintf(b, "  %s %s: no fault on the primary, failover not expected\n", who, c.RTO)
			case c.Exceeds:
				fmt.Fprintf(b, "  %s %s: detection alone uses it all\n", who, c.RTO)
			default:
				fmt.Fprintf(b, "  %s %s leaves %s for fencing, promotion, rerouting and the first write\n", who, c.RTO, c.Remaining)
			}
		}
	}

	if len(p.Unimplemented) > 0 {
		fmt.Fprintf(b, "\nnot runnable by this build ('firedrill run' refuses it)\n")
		for _, u := range p.Unimplemented {
			fmt.Fprintf(b, "  %s\n", u)
		}
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintln(b)
		for _, wr := range p.Warnings {
			fmt.Fprintf(b, "warning: %s\n", wr)
		}
	}
	// Tab-aligned rows pad their empty last cells: trim every line.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// wrap splits s into lines of at most width characters, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
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
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+"="+labels[k])
	}
	return "  labels " + strings.Join(parts, ",")
}

func paramText(params map[string]string) string {
	if len(params) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(params)) {
		parts = append(parts, k+"="+params[k])
	}
	return strings.Join(parts, " ")
}

func faultFor(f planFault) string {
	if f.For != "" {
		return f.For
	}
	if !f.Reversible {
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
