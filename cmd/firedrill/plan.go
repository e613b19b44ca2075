package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/testenv"
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
  - the DR engine's settings, the workload, the timeline with every fault's
    time, action, target and how the target is resolved at injection;
  - the objectives, and the failover budget: the worst-case detection time
    (check_interval x failures_before_action + check_timeout) against the RTO
    objective, with a warning when detection alone does not fit in it.

<run> stands for the run id, which each run chooses when it starts. Nothing
is created and no container is started. An invalid scenario exits 2 with
its problems, as 'firedrill validate' prints them.`,
		Example: `  firedrill plan primary-kill
  firedrill plan my-drill.yaml
  firedrill plan --json my-drill.yaml | jq .failover_budget`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			scn, err := scenarios.Resolve(args[0])
			if err != nil {
				return withCode(firedrill.ExitUsage, err)
			}
			p := buildPlan(scn, planImages(cmd.Context(), g, imageWants(scn)))
			if asJSON {
				if err := writeJSON(g.stdout, p); err != nil {
					return withCode(firedrill.ExitInconclusive, err)
				}
				return nil
			}
			return writePlanText(g.stdout, p)
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
	Objectives planObjectives `json:"objectives"`
	Budget     planBudget     `json:"failover_budget"`
	// Warnings are problems the scenario is allowed to have but probably
	// does not mean to (detection slower than the RTO objective...).
	Warnings []string `json:"warnings"`
	// Unimplemented lists what this build cannot run; run refuses the
	// scenario while it is not empty.
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
	Service   string     `json:"service"`
	Role      string     `json:"role"`
	ImageRole string     `json:"image_role"`
	Region    string     `json:"region"`
	Container string     `json:"container"`
	Networks  []string   `json:"networks"`
	Ports     []planPort `json:"ports"`
	Volume    string     `json:"volume,omitempty"`
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
	Role testenv.Role `json:"role"`
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
	Failover planFailover `json:"failover"`
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
	Target string `json:"target"`
	// For is how long the fault lasts before it is reverted; "" for a fault
	// that cannot be reverted (a kill): it lasts until the DR engine acts.
	For        string `json:"for,omitempty"`
	Reversible bool   `json:"reversible"`
	// Resolution says how the target is chosen when the fault is injected.
	Resolution string `json:"resolution"`
}

type planObjectives struct {
	RTO        string `json:"rto"`
	RPO        string `json:"rpo"`
	LostWrites string `json:"lost_writes"`
}

// planBudget is the failover's worst case against the RTO objective.
type planBudget struct {
	FailoverEnabled bool `json:"failover_enabled"`
	// Detection = check_interval x failures_before_action + check_timeout:
	// the longest a dead primary can go unnoticed.
	Detection string `json:"worst_case_detection,omitempty"`
	Formula   string `json:"formula,omitempty"`
	RTO       string `json:"rto,omitempty"`
	// Remaining is what the RTO leaves for fencing, promotion, rerouting
	// and the first successful write; negative when detection alone exceeds it.
	Remaining string `json:"remaining,omitempty"`
	// Exceeds is true when detection alone is not shorter than the RTO.
	Exceeds bool `json:"exceeds_rto"`
}

// imageWant is a role and the image the scenario names for it.
type imageWant struct {
	Role testenv.Role
	Want string
}

// imageWants lists the roles a drill of scn needs, in a stable order.
func imageWants(scn *scenarios.Scenario) []imageWant {
	env := scn.Environment
	return []imageWant{
		{testenv.RolePostgres, env.Postgres.Image},
		{testenv.RoleMinIO, env.Storage.Image},
		{testenv.RoleApp, env.App.Image},
	}
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
	docker, err := dockerClient(ctx)
	if err != nil {
		g.log.Debug("plan: no Docker", "err", err)
		return unknown("unknown (Docker unreachable)")
	}
	defer docker.Close()
	opts := []testenv.ImagesOption{testenv.WithPull(false), testenv.WithProgress(io.Discard), testenv.WithLogger(g.log)}
	if exe, err := appBinary(); err == nil {
		opts = append(opts, testenv.WithAppBinary(exe))
	}
	statuses, err := testenv.NewImages(docker, opts...).List(ctx)
	if err != nil {
		g.log.Debug("plan: list images", "err", err)
		return unknown("unknown (" + firstLine(err.Error()) + ")")
	}
	byRole := map[testenv.Role]testenv.ImageStatus{}
	for _, s := range statuses {
		byRole[s.Role] = s
	}
	present := func(ref string) (bool, error) {
		_, err := docker.ImageInspect(ctx, ref)
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

// resolveImagePlan follows testenv.Images.Resolve's order (the named image
// present; the recipe image present; a pull of the named image; a build)
// with lookups only.
func resolveImagePlan(w imageWant, st testenv.ImageStatus, present func(string) (bool, error)) planImage {
	p := planImage{Role: w.Role, Want: w.Want}
	name := w.Want
	if name == "" {
		name = testenv.OfficialImage(w.Role)
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
func officialImage(role testenv.Role, ref string) bool {
	name, tag, _ := strings.Cut(strings.TrimPrefix(ref, "docker.io/library/"), ":")
	if strings.Contains(tag, "@") || strings.Contains(name, "@") {
		return false
	}
	switch role {
	case testenv.RolePostgres:
		return name == "postgres" && (tag == "15" || strings.HasPrefix(tag, "15.") || strings.HasPrefix(tag, "15-"))
	case testenv.RoleMinIO:
		name = strings.TrimPrefix(name, "docker.io/")
		return name == "minio/minio" || name == "quay.io/minio/minio"
	}
	return false
}

func dur(d time.Duration) string { return d.String() }

// buildPlan resolves scn (defaults already applied by the loader) into a
// plan, with the images as given.
func buildPlan(scn *scenarios.Scenario, images []planImage) plan {
	env := scn.Environment
	p := plan{
		Scenario: scn.Name, File: scn.File, Description: strings.TrimSpace(scn.Description),
		RunID: runPlaceholder, Images: images,
		Warnings: []string{}, Unimplemented: []string{},
	}
	if u := unimplemented(scn); len(u) > 0 {
		p.Unimplemented = u
	}
	network := func(region string) string { return "firedrill-" + runPlaceholder + "-" + region }

	// Nodes, in the order the environment starts them.
	pgPorts := []planPort{{Container: "5432/tcp", Purpose: "postgres"}}
	nodes := []planNode{{
		Name: testenv.NodePrimary, Service: scenarios.TargetPrimary, Role: "postgres primary",
		ImageRole: string(testenv.RolePostgres), Region: env.Postgres.Primary.Region, Ports: pgPorts,
		Volume: "/var/lib/postgresql/data",
	}}
	for _, r := range env.Postgres.Replicas {
		role := "postgres replica (asynchronous, streaming)"
		if r.Synchronous {
			role = "postgres replica (synchronous, streaming)"
		}
		nodes = append(nodes, planNode{
			Name: testenv.ReplicaNode(r.Name), Service: "postgres." + r.Name, Role: role,
			ImageRole: string(testenv.RolePostgres), Region: r.Region, Ports: pgPorts,
			Volume: "/var/lib/postgresql/data",
		})
	}
	nodes = append(nodes, planNode{
		Name: testenv.NodeStorage, Service: scenarios.TargetStorage, Role: "storage (S3, bucket " + env.Storage.Bucket + ")",
		ImageRole: string(testenv.RoleMinIO), Region: scn.RegionOf(scenarios.TargetStorage),
		Ports:  []planPort{{Container: "9000/tcp", Purpose: "S3"}, {Container: "9001/tcp", Purpose: "console"}},
		Volume: "/data",
	})
	appRole := "app (built-in sample app)"
	if env.App.Image != "" {
		appRole = "app (" + env.App.Image + ")"
	}
	nodes = append(nodes, planNode{
		Name: testenv.NodeApp, Service: scenarios.TargetApp, Role: appRole,
		ImageRole: string(testenv.RoleApp), Region: scn.RegionOf(scenarios.TargetApp),
		Ports: []planPort{{Container: "8080/tcp", Purpose: "HTTP"}},
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
	}
	p.Topology.Nodes = nodes
	p.Topology.WAN = network(wanNetwork)
	for _, region := range env.Regions {
		r := planRegion{Name: region, Network: network(region), Nodes: []string{}}
		for _, n := range nodes {
			if n.Region == region {
				r.Nodes = append(r.Nodes, n.Name)
			}
		}
		p.Topology.Regions = append(p.Topology.Regions, r)
	}

	fo := scn.DR.Failover
	p.DR.Failover = planFailover{
		Enabled: fo.IsEnabled(), CheckInterval: dur(fo.CheckInterval.Duration), CheckTimeout: dur(fo.CheckTimeout.Duration),
		FailuresBeforeAction: fo.FailuresBeforeAction, Fencing: fo.Fencing, Candidates: []string{},
	}
	for _, r := range env.Postgres.Replicas {
		p.DR.Failover.Candidates = append(p.DR.Failover.Candidates, testenv.ReplicaNode(r.Name))
	}

	wl := scn.Workload
	p.Workload = planWorkload{WritesPerSecond: wl.WritesPerSecond, Timeout: dur(wl.Timeout.Duration), StabilityWindow: dur(wl.StabilityWindow.Duration)}

	p.Timeline.Duration = dur(scn.Timeline.Duration.Duration)
	p.Timeline.Faults = []planFault{}
	for i, f := range scn.Timeline.Faults {
		pf := planFault{Index: i, At: dur(f.At.Duration), Action: f.Action, Target: f.Target,
			Resolution: resolution(scn, f.Target)}
		if fault, err := chaos.Lookup(f.Action); err == nil {
			_, pf.Reversible = fault.(chaos.Reverter)
		}
		p.Timeline.Faults = append(p.Timeline.Faults, pf)
	}

	p.Objectives = planObjectives{RTO: "report", RPO: "report", LostWrites: "report"}
	if o := scn.Objectives.RTO; o != nil {
		p.Objectives.RTO = dur(o.Duration)
	}
	if o := scn.Objectives.RPO; o != nil {
		p.Objectives.RPO = dur(o.Duration)
	}
	if o := scn.Objectives.LostWrites; o != nil {
		p.Objectives.LostWrites = fmt.Sprint(*o)
	}

	p.Budget.FailoverEnabled = fo.IsEnabled()
	if fo.IsEnabled() {
		detect := fo.CheckInterval.Duration*time.Duration(fo.FailuresBeforeAction) + fo.CheckTimeout.Duration
		p.Budget.Detection = dur(detect)
		p.Budget.Formula = fmt.Sprintf("check_interval %s x failures_before_action %d + check_timeout %s",
			fo.CheckInterval.Duration, fo.FailuresBeforeAction, fo.CheckTimeout.Duration)
		if o := scn.Objectives.RTO; o != nil {
			p.Budget.RTO = dur(o.Duration)
			p.Budget.Remaining = dur(o.Duration - detect)
			if detect >= o.Duration {
				p.Budget.Exceeds = true
				p.Warnings = append(p.Warnings, fmt.Sprintf(
					"worst-case failure detection alone (%s) does not fit in the RTO objective (%s): lower dr.failover.check_interval, check_timeout or failures_before_action, or raise objectives.rto",
					detect, o.Duration))
			}
		}
	} else if o := scn.Objectives.RTO; o != nil && hitsPrimary(scn) {
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"failover is disabled: nothing promotes a replica after a fault on the primary, so the RTO objective (%s) will be missed unless the node comes back",
			o.Duration))
	}
	return p
}

// hitsPrimary reports whether a fault targets the primary.
func hitsPrimary(scn *scenarios.Scenario) bool {
	for _, f := range scn.Timeline.Faults {
		if f.Target == scenarios.TargetPrimary {
			return true
		}
	}
	return false
}

// resolution says how a fault's target is chosen at injection (chaos.Resolve).
func resolution(scn *scenarios.Scenario, target string) string {
	switch target {
	case scenarios.TargetPrimary:
		return fmt.Sprintf("whichever node is primary at injection (at the start %s, region %s)",
			testenv.NodePrimary, scn.RegionOf(scenarios.TargetPrimary))
	case scenarios.TargetAnyReplica:
		first := "none"
		if names := scn.ReplicaNames(); len(names) > 0 {
			first = testenv.ReplicaNode(names[0])
		}
		return "the first running Postgres node that is not the primary at injection (at the start " + first + ")"
	case scenarios.TargetStorage:
		return fmt.Sprintf("%s, region %s", testenv.NodeStorage, scn.RegionOf(target))
	case scenarios.TargetApp:
		return fmt.Sprintf("%s, region %s", testenv.NodeApp, scn.RegionOf(target))
	}
	if name, ok := strings.CutPrefix(target, "postgres."); ok {
		return fmt.Sprintf("%s, region %s, whether primary or replica by then", testenv.ReplicaNode(name), scn.RegionOf(target))
	}
	return target
}

// writePlanText prints the plan for a person.
func writePlanText(w io.Writer, p plan) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "plan of drill %s (%s)\n", p.Scenario, p.File)
	for _, l := range wrap(p.Description, 76) {
		fmt.Fprintf(b, "  %s\n", l)
	}
	fmt.Fprintf(b, "  nothing has been started; %s stands for the run id each run chooses\n", p.RunID)

	fmt.Fprintf(b, "\ntopology\n")
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	byName := map[string]planNode{}
	for _, n := range p.Topology.Nodes {
		byName[n.Name] = n
	}
	for _, r := range p.Topology.Regions {
		fmt.Fprintf(tw, "  region %s\tnetwork %s\t\t\n", r.Name, r.Network)
		for _, name := range r.Nodes {
			n := byName[name]
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", n.Name, n.Role, n.Container, portList(n.Ports))
		}
	}
	fmt.Fprintf(tw, "  wan\tnetwork %s\t\t\n", p.Topology.WAN)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(b, "  every node joins its region's network and the wan; ports are published on\n")
	fmt.Fprintf(b, "  127.0.0.1 only, each on a host port Docker picks at start (<any>)\n")

	fmt.Fprintf(b, "\nimages (looked up only: plan never pulls or builds)\n")
	tw = tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	for _, im := range p.Images {
		want := im.Want
		if want == "" {
			want = "(built-in)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", im.Role, want, im.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fo := p.DR.Failover
	fmt.Fprintf(b, "\ndr engine\n")
	if fo.Enabled {
		fmt.Fprintf(b, "  failover  enabled: health check of the primary every %s, each at most %s;\n", fo.CheckInterval, fo.CheckTimeout)
		fmt.Fprintf(b, "            acts after %d failed checks in a row; fencing %s; promotes the most\n", fo.FailuresBeforeAction, fo.Fencing)
		fmt.Fprintf(b, "            advanced reachable standby of: %s\n", listOr(fo.Candidates, "none"))
	} else {
		fmt.Fprintf(b, "  failover  disabled (check every %s, timeout %s, after %d failures, fencing %s: unused)\n",
			fo.CheckInterval, fo.CheckTimeout, fo.FailuresBeforeAction, fo.Fencing)
	}

	wl := p.Workload
	fmt.Fprintf(b, "\nworkload\n")
	fmt.Fprintf(b, "  %g writes/s, open loop (a constant arrival rate, never retried)\n", wl.WritesPerSecond)
	fmt.Fprintf(b, "  timeout %s (a write unanswered by then is indeterminate, never counted lost)\n", wl.Timeout)
	fmt.Fprintf(b, "  stability window %s (writes must keep succeeding this long for a recovery to count)\n", wl.StabilityWindow)

	fmt.Fprintf(b, "\ntimeline %s, then settle and read back every acknowledged write\n", p.Timeline.Duration)
	if len(p.Timeline.Faults) == 0 {
		fmt.Fprintf(b, "  no faults (a baseline drill)\n")
	} else {
		tw = tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  #\tat\taction\ttarget\tfor\tresolved at injection\n")
		for _, f := range p.Timeline.Faults {
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\n", f.Index, f.At, f.Action, f.Target, faultFor(f), f.Resolution)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	o := p.Objectives
	fmt.Fprintf(b, "\nobjectives\n")
	tw = tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  rto\t%s\n", objective(o.RTO, "<= ", " per fault"))
	fmt.Fprintf(tw, "  rpo\t%s\n", objective(o.RPO, "<= ", ""))
	fmt.Fprintf(tw, "  lost writes\t%s\n", objective(o.LostWrites, "<= ", ""))
	if err := tw.Flush(); err != nil {
		return err
	}

	bu := p.Budget
	fmt.Fprintf(b, "\nfailover budget\n")
	if !bu.FailoverEnabled {
		fmt.Fprintf(b, "  failover disabled: no automatic recovery\n")
	} else {
		fmt.Fprintf(b, "  worst-case detection %s = %s\n", bu.Detection, bu.Formula)
		if bu.RTO == "" {
			fmt.Fprintf(b, "  no RTO objective to compare with\n")
		} else if !bu.Exceeds {
			fmt.Fprintf(b, "  rto %s leaves %s for fencing, promotion, rerouting and the first write\n", bu.RTO, bu.Remaining)
		} else {
			fmt.Fprintf(b, "  rto %s: detection alone uses it all\n", bu.RTO)
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

func faultFor(f planFault) string {
	if f.For != "" {
		return f.For
	}
	if !f.Reversible {
		return "- (permanent)"
	}
	return "-"
}

func objective(v, prefix, suffix string) string {
	if v == "report" {
		return "report only"
	}
	return prefix + v + suffix
}

func listOr(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	return strings.Join(xs, ", ")
}
