package drill

// The plan of a drill: what `firedrill plan` prints, derived by the engine's
// own packages and never by a model of its own. The nodes, names, networks,
// ports and volumes come from package topology, the images from
// docker.ImageRequests and images.Decide (looked up, never pulled or
// built), the targets from topology's resolution in the initial state and
// the detection budget from the scenario's WorstCaseDetection
// (docs/architecture.md, "One model of the topology"). Text for people is
// the CLI's.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/firedrill/firedrill/dr/notify"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// Plan is a scenario resolved into what a run would build and do, as
// NewPlan derives it. It is also what `firedrill plan --json` prints;
// durations are Go duration strings.
type Plan struct {
	Scenario    string `json:"scenario"`
	File        string `json:"file"`
	Description string `json:"description,omitempty"`
	// RunID is the placeholder topology.RunPlaceholder used in every name.
	RunID      string         `json:"run_id"`
	Topology   PlanTopology   `json:"topology"`
	Images     []PlanImage    `json:"images"`
	DR         PlanDR         `json:"dr"`
	Workload   PlanWorkload   `json:"workload"`
	Timeline   PlanTimeline   `json:"timeline"`
	Monkey     *PlanMonkey    `json:"monkey"`
	Abort      []PlanAbort    `json:"abort"`
	Objectives PlanObjectives `json:"objectives"`
	Budget     PlanBudget     `json:"failover_budget"`
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

// PlanTopology is the environment run creates: networks and nodes.
type PlanTopology struct {
	Regions []PlanRegion `json:"regions"`
	// WAN is the network that joins every node across regions.
	WAN   string     `json:"wan_network"`
	Nodes []PlanNode `json:"nodes"`
}

// PlanRegion is a region, its network and its nodes.
type PlanRegion struct {
	Name    string   `json:"name"`
	Network string   `json:"network"`
	Nodes   []string `json:"nodes"`
}

// PlanNode is one node as the runtime creates it.
type PlanNode struct {
	Name string `json:"name"`
	// Service is how faults target it: postgres.primary, postgres.<replica>,
	// storage, app.
	Service string `json:"service"`
	// Kind is what it runs (postgres, storage, app), Role says it in words.
	Kind      string     `json:"kind"`
	Role      string     `json:"role"`
	ImageRole string     `json:"image_role"`
	Region    string     `json:"region"`
	Container string     `json:"container"`
	Networks  []string   `json:"networks"`
	Ports     []PlanPort `json:"ports"`
	Volume    string     `json:"volume,omitempty"`
	// VolumeBytes is the size of a size-limited volume (a Postgres node's
	// disk, environment.postgres.disk_size), 0 for one that is not.
	VolumeBytes int64             `json:"volume_bytes,omitempty"`
	Labels      map[string]string `json:"labels"`
	// Instances and EnvNames are the app's (names only: values may be
	// secrets).
	Instances int      `json:"instances,omitempty"`
	EnvNames  []string `json:"env_names,omitempty"`
}

// PlanPort is a port a node serves.
type PlanPort struct {
	Container string `json:"container"`
	// Host is where the harness reaches it: 127.0.0.1 and a port Docker
	// picks when the container starts.
	Host    string `json:"host"`
	Purpose string `json:"purpose"`
}

// PlanImage says which image a role would use and where it would come from.
type PlanImage struct {
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
	// Lease marks the image of the run's lease, listed on its own when it
	// is not the app's: the lease runs firedrill's own binary, so when the
	// scenario names an app image the run also resolves firedrill's.
	Lease bool `json:"lease,omitempty"`
}

// Image sources in a plan: PlanImage.Source.
const (
	ImagePresent       = "present"        // the named image is present locally
	ImageRecipePresent = "recipe-present" // firedrill's recipe image for the current recipe is present
	ImagePullOrBuild   = "pull-or-build"  // pull the official image, else build the recipe
	ImageBuild         = "build"          // build the recipe
	ImagePull          = "pull"           // pull the named image; no recipe stands in for it
	ImageUnknown       = "unknown"
)

// PlanDR is the DR engine's settings.
type PlanDR struct {
	Backups  []PlanBackup   `json:"backups"`
	Failover PlanFailover   `json:"failover"`
	Recovery []PlanRecovery `json:"recovery"`
	// RecoveryTarget is where restore-point-in-time recovers to, when a
	// plan has it.
	RecoveryTarget string `json:"recovery_target,omitempty"`
	// Notify are the webhooks, by scheme and host only (their paths and
	// queries may hold secrets).
	Notify []PlanWebhook `json:"notify"`
}

// PlanWebhook is one receiver of notifications.
type PlanWebhook struct {
	To     string   `json:"to"`
	Format string   `json:"format"`
	Events []string `json:"events"`
}

// PlanBackup is one backup schedule.
type PlanBackup struct {
	Kind  string `json:"kind"`
	Every string `json:"every"`
	Keep  int    `json:"keep"`
	// ArchiveTimeout is a physical backup's WAL archive_timeout.
	ArchiveTimeout string `json:"archive_timeout,omitempty"`
	// To is where the backups go: the storage's bucket.
	To string `json:"to"`
}

// PlanRecovery is the recovery plan for one kind of failure.
type PlanRecovery struct {
	FailureType string   `json:"failure_type"`
	Steps       []string `json:"steps"`
}

// PlanFailover is the failover manager's settings.
type PlanFailover struct {
	Enabled bool `json:"enabled"`
	// Manager names the HA stack that fails over (patroni,
	// pg_auto_failover), with its settings in Patroni or PgAutoFailover,
	// defaults filled in; empty for the builtin manager and none (Enabled
	// tells them apart), whose settings are the four below.
	Manager              string              `json:"manager,omitempty"`
	CheckInterval        string              `json:"check_interval"`
	CheckTimeout         string              `json:"check_timeout"`
	FailuresBeforeAction int                 `json:"failures_before_action"`
	Fencing              string              `json:"fencing"`
	Patroni              *PlanPatroni        `json:"patroni,omitempty"`
	PgAutoFailover       *PlanPgAutoFailover `json:"pg_auto_failover,omitempty"`
	Candidates           []string            `json:"candidates"`
}

// PlanPatroni is Patroni's settings, under its names.
type PlanPatroni struct {
	TTL                  string `json:"ttl"`
	LoopWait             string `json:"loop_wait"`
	RetryTimeout         string `json:"retry_timeout"`
	MaximumLagOnFailover int64  `json:"maximum_lag_on_failover"`
}

// PlanPgAutoFailover is the pg_auto_failover monitor's health-check
// settings, under their names.
type PlanPgAutoFailover struct {
	HealthCheckPeriod              string `json:"health_check_period"`
	HealthCheckTimeout             string `json:"health_check_timeout"`
	HealthCheckMaxRetries          int    `json:"health_check_max_retries"`
	HealthCheckRetryDelay          string `json:"health_check_retry_delay"`
	NodeConsideredUnhealthyTimeout string `json:"node_considered_unhealthy_timeout"`
}

// PlanWorkload is the probe's workload.
type PlanWorkload struct {
	WritesPerSecond float64 `json:"writes_per_second"`
	ReadsPerSecond  float64 `json:"reads_per_second"`
	Timeout         string  `json:"timeout"`
	StabilityWindow string  `json:"stability_window"`
}

// PlanTimeline is the drill's length and its scheduled faults.
type PlanTimeline struct {
	Duration string      `json:"duration"`
	Faults   []PlanFault `json:"faults"`
}

// PlanFault is one scheduled fault, defaults filled in, with its
// resolution at the start.
type PlanFault struct {
	Index  int    `json:"index"`
	At     string `json:"at"`
	Action string `json:"action"`
	// Target is the fault's target; "" for a selector.
	Target   string        `json:"target,omitempty"`
	Selector *PlanSelector `json:"selector,omitempty"`
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

// PlanSelector is a fault's selector and what it matches at the start.
type PlanSelector struct {
	Role   string            `json:"role,omitempty"`
	Region string            `json:"region,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	Mode   string            `json:"mode,omitempty"`
	// Matches are the services of the nodes it matches at the start.
	Matches []string `json:"matches"`
}

// PlanMonkey is the monkey's settings.
type PlanMonkey struct {
	Enabled bool `json:"enabled"`
	// Seed is the scenario's monkey.seed, "" when the run picks one.
	Seed          string         `json:"seed"`
	MeanInterval  string         `json:"mean_interval"`
	Actions       []string       `json:"actions"`
	Targets       []string       `json:"targets"`
	Selectors     []PlanSelector `json:"selectors"`
	MaxAtOnce     int            `json:"max_at_once"`
	FaultDuration string         `json:"fault_duration,omitempty"`
	Start         string         `json:"between_start"`
	End           string         `json:"between_end"`
	// ScheduleSeed is the seed Schedule was drawn from: the plan's
	// WithPlanSeed, else monkey.seed; "" when neither is known (the run
	// picks one), and Schedule is then empty.
	ScheduleSeed string `json:"schedule_seed"`
	// Schedule is the monkey's faults as `firedrill run` with that seed
	// injects them (chaos.MonkeySchedule), each resolved at injection.
	// One that would exceed max_at_once at its time is skipped by the run.
	Schedule []PlanInjection `json:"schedule"`
}

// PlanInjection is one fault of the monkey's schedule.
type PlanInjection struct {
	ID     string `json:"id"`
	At     string `json:"at"`
	Action string `json:"action"`
	// Target is the fault's target; "" for a selector (mode one).
	Target   string        `json:"target,omitempty"`
	Selector *PlanSelector `json:"selector,omitempty"`
	// For is how long a reversible fault lasts: monkey.fault_duration,
	// cut at the end of the window.
	For    string            `json:"for,omitempty"`
	Params map[string]string `json:"params"`
}

// PlanAbort is one abort condition.
type PlanAbort struct {
	Metric string `json:"metric"`
	// Condition is "below 0.5" or "above 100".
	Condition string `json:"condition"`
	For       string `json:"for"`
}

// PlanObjectives are the scenario's objectives ("report" when none).
type PlanObjectives struct {
	RTO        string `json:"rto"`
	RPO        string `json:"rpo"`
	LostWrites string `json:"lost_writes"`
}

// PlanBudget is the failover's worst case against the RTO objectives.
type PlanBudget struct {
	FailoverEnabled bool `json:"failover_enabled"`
	// Detection = check_interval x failures_before_action + check_timeout
	// (a stack's own formula with patroni or pg_auto_failover,
	// docs/scenario.md "Failover managers"): the longest a dead primary
	// can go unnoticed.
	Detection string `json:"worst_case_detection,omitempty"`
	Formula   string `json:"formula,omitempty"`
	// Checks compare the detection with the scenario's RTO and each
	// fault's own RTO.
	Checks []PlanBudgetCheck `json:"checks"`
}

// PlanBudgetCheck is the detection against one RTO objective.
type PlanBudgetCheck struct {
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

// ImageLookup is what a plan asks about images, read-only: it never pulls
// or builds, so that a plan starts nothing (and tests need no Docker).
type ImageLookup interface {
	// Statuses is each role's recipe image: its tag for the current
	// recipe and whether it is present (images.Images.List).
	Statuses(ctx context.Context) ([]images.ImageStatus, error)
	// Present reports whether ref is present locally.
	Present(ctx context.Context, ref string) (bool, error)
}

// DockerImages looks images up on a Docker daemon: image inspect, and
// im.List, which computes recipe hashes but never builds or pulls.
func DockerImages(dc *client.Client, im *images.Images) ImageLookup {
	return dockerImages{dc: dc, im: im}
}

type dockerImages struct {
	dc *client.Client
	im *images.Images
}

var _ ImageLookup = dockerImages{}

func (d dockerImages) Statuses(ctx context.Context) ([]images.ImageStatus, error) {
	st, err := d.im.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	return st, nil
}

func (d dockerImages) Present(ctx context.Context, ref string) (bool, error) {
	_, err := d.dc.ImageInspect(ctx, ref)
	if err == nil || cerrdefs.IsNotFound(err) {
		return err == nil, nil
	}
	return false, fmt.Errorf("inspect image %s: %w", ref, err)
}

// NoImages is the lookup when there is nothing to ask (Docker is not
// reachable): every image is "unknown (why)".
func NoImages(why string) ImageLookup { return noImages(why) }

type noImages string

var _ ImageLookup = noImages("")

func (n noImages) Statuses(context.Context) ([]images.ImageStatus, error) {
	return nil, errors.New(string(n))
}

func (n noImages) Present(context.Context, string) (bool, error) { return false, errors.New(string(n)) }

// FixedImages answers from fixed data: statuses as given, and present
// only the references listed. Tests plan with it instead of Docker.
func FixedImages(statuses []images.ImageStatus, present ...string) ImageLookup {
	return fixedImages{statuses: statuses, present: present}
}

type fixedImages struct {
	statuses []images.ImageStatus
	present  []string
}

var _ ImageLookup = fixedImages{}

func (f fixedImages) Statuses(context.Context) ([]images.ImageStatus, error) {
	return slices.Clone(f.statuses), nil
}

func (f fixedImages) Present(_ context.Context, ref string) (bool, error) {
	return slices.Contains(f.present, ref), nil
}

// planImages says, for each image a run resolves (docker.ImageRequests,
// then the lease's), which image it would use and where it would come
// from, with lookups only.
func planImages(ctx context.Context, scn *scenarios.Scenario, topo *topology.Topology, look ImageLookup) []PlanImage {
	statuses, err := look.Statuses(ctx)
	byRole := map[images.Role]images.ImageStatus{}
	for _, s := range statuses {
		byRole[s.Role] = s
	}
	present := func(ref string) (bool, error) { return look.Present(ctx, ref) }
	image := func(q images.Request) PlanImage {
		d := images.Decide(q.Role, q.Want)
		if err != nil {
			return decided(d, ImageUnknown, "", "unknown ("+firstLine(err.Error())+")")
		}
		return resolveImage(d, byRole[q.Role], present)
	}
	out := []PlanImage{}
	for _, q := range docker.ImageRequests(scn, topo) {
		out = append(out, image(q))
	}
	if q, ok := docker.LeaseRequest(scn); ok {
		im := image(q)
		im.Lease = true
		out = append(out, im)
	}
	return out
}

// firstLine is the first line of an error message: a plan's detail is one
// line.
func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

func decided(d images.Decision, source, ref, detail string) PlanImage {
	return PlanImage{Role: d.Role, Want: d.Want, Name: d.Name, Official: d.Official, Recipe: d.Recipe,
		Ref: ref, Source: source, Detail: detail}
}

// resolveImage follows the order images.Decision documents (what
// Resolve does: the named image present; without the recipe, a pull; the
// recipe image present; a pull of the named image; a build) with lookups
// only.
func resolveImage(d images.Decision, st images.ImageStatus, present func(string) (bool, error)) PlanImage {
	if d.Name != "" {
		ok, err := present(d.Name)
		if err != nil {
			return decided(d, ImageUnknown, "", "unknown ("+firstLine(err.Error())+")")
		}
		if ok {
			return decided(d, ImagePresent, d.Name, d.Name+", present locally")
		}
	}
	if !d.Recipe {
		return decided(d, ImagePull, d.Name,
			d.Name+" is not present: run would pull it and fail if it cannot (no recipe stands in for it)")
	}
	if st.RecipeTag == "" {
		why, _, _ := strings.Cut(firstLine(st.RecipeError), "; ")
		return decided(d, ImageUnknown, "", "unknown (firedrill's "+string(d.Role)+" recipe: "+why+")")
	}
	switch {
	case st.RecipePresent:
		return decided(d, ImageRecipePresent, st.RecipeTag, st.RecipeTag+", firedrill's recipe image, present")
	case d.Name != "":
		return decided(d, ImagePullOrBuild, st.RecipeTag,
			"would pull "+d.Name+", else build "+st.RecipeTag+" from firedrill's recipe (minutes the first time)")
	}
	return decided(d, ImageBuild, st.RecipeTag, "would build "+st.RecipeTag+" from firedrill's recipe")
}

func dur(d time.Duration) string { return d.String() }

// network names a logical network of a plan's run.
func network(net string) string { return topology.NetworkName(topology.RunPlaceholder, net) }

// resolveAtStart resolves a fault's target as the engine does at
// injection, in the drill's initial state. A mode one selector gives every
// candidate: the run's seeded source picks one at injection.
func resolveAtStart(ctx context.Context, topo *topology.Topology, f scenarios.Fault) ([]*topology.Node, error) {
	if f.Selector != nil && f.Selector.Mode == scenarios.ModeOne {
		sel := *f.Selector
		sel.Mode = scenarios.ModeAll
		f.Selector = &sel
	}
	return topo.Resolve(ctx, topo.Initial(), f, nil)
}

// PlanOption configures NewPlan.
type PlanOption func(*planOptions)

type planOptions struct {
	seed *int64
}

// WithPlanSeed draws the monkey's schedule from seed, as `firedrill run
// --seed` does; without it the plan uses monkey.seed when the scenario
// has one.
func WithPlanSeed(seed int64) PlanOption { return func(o *planOptions) { o.seed = &seed } }

// NewPlan resolves scn (defaults already applied by the loader) into its
// plan, asking look about the images. Names carry topology.RunPlaceholder
// for the run id each run chooses.
func NewPlan(ctx context.Context, scn *scenarios.Scenario, look ImageLookup, opts ...PlanOption) Plan {
	var po planOptions
	for _, o := range opts {
		o(&po)
	}
	topo := topology.New(scn)
	p := Plan{
		Scenario: scn.Name, File: scn.File, Description: strings.TrimSpace(scn.Description),
		RunID: topology.RunPlaceholder, Images: planImages(ctx, scn, topo, look), Abort: []PlanAbort{},
		Warnings: []string{}, ScenarioWarnings: []string{}, Unimplemented: []string{},
		Topology: topologyOf(scn, topo), DR: drSettings(scn, topo),
	}
	// What run refuses, plan says it refuses.
	for _, u := range scn.Unsupported(Engine) {
		p.Unimplemented = append(p.Unimplemented, u.Error())
	}
	for _, w := range scn.Warnings() {
		p.ScenarioWarnings = append(p.ScenarioWarnings, w.String())
	}
	wl := scn.Workload
	p.Workload = PlanWorkload{WritesPerSecond: wl.WritesPerSecond, ReadsPerSecond: wl.ReadsPerSecond,
		Timeout: dur(wl.Timeout.Duration), StabilityWindow: dur(wl.StabilityWindow.Duration)}

	p.Objectives = PlanObjectives{RTO: objectiveDur(scn.Objectives.RTO, "report"),
		RPO: objectiveDur(scn.Objectives.RPO, "report"), LostWrites: "report"}
	if o := scn.Objectives.LostWrites; o != nil {
		p.Objectives.LostWrites = strconv.Itoa(*o)
	}

	reversible := map[string]bool{}
	for _, a := range scenarios.Actions() {
		reversible[a.Name] = a.Reversible
	}
	p.Timeline = PlanTimeline{Duration: dur(scn.Timeline.Duration.Duration), Faults: []PlanFault{}}
	hits := make([]bool, len(scn.Timeline.Faults))
	for i, f := range scn.Timeline.Faults {
		pf := PlanFault{Index: i, At: dur(f.At.Duration), Action: f.Action, Target: f.Target,
			Reversible: reversible[f.Action], Params: paramMap(f.Params),
			RTO: p.Objectives.RTO, RPO: p.Objectives.RPO}
		if f.For != nil {
			pf.For = dur(f.For.Duration)
		}
		if o := f.Objectives; o != nil {
			pf.RTO, pf.RPO = objectiveDur(o.RTO, pf.RTO), objectiveDur(o.RPO, pf.RPO)
		}
		nodes, err := resolveAtStart(ctx, topo, f)
		pf.Nodes = nonNil(topology.Names(nodes))
		if err != nil {
			pf.ResolveError = err.Error()
		}
		hits[i] = slices.Contains(pf.Nodes, topology.NodePrimary)
		if f.Selector != nil {
			pf.Selector = selectorOf(*f.Selector, nodes)
		}
		pf.Resolution = resolution(f, nodes, err)
		p.Timeline.Faults = append(p.Timeline.Faults, pf)
	}

	if m := scn.Monkey; m != nil {
		pm := &PlanMonkey{Enabled: m.IsEnabled(), MeanInterval: dur(m.MeanInterval.Duration),
			Actions: nonNil(m.Actions), Targets: nonNil(m.Targets), Selectors: []PlanSelector{},
			MaxAtOnce: m.MaxAtOnce, Start: dur(m.Between.Start.Duration), End: dur(m.Between.End.Duration)}
		if m.Seed != nil {
			pm.Seed = strconv.FormatInt(*m.Seed, 10)
		}
		if m.FaultDuration.Duration > 0 {
			pm.FaultDuration = dur(m.FaultDuration.Duration)
		}
		for _, sel := range m.Selectors {
			nodes, _ := resolveAtStart(ctx, topo, scenarios.Fault{Selector: &sel})
			pm.Selectors = append(pm.Selectors, *selectorOf(sel, nodes))
		}
		pm.Schedule = []PlanInjection{}
		seed := po.seed
		if seed == nil {
			seed = m.Seed
		}
		if seed != nil {
			pm.ScheduleSeed = strconv.FormatInt(*seed, 10)
			pm.Schedule = monkeySchedule(ctx, scn, topo, *seed)
		}
		p.Monkey = pm
	}
	for _, a := range scn.Abort {
		pa := PlanAbort{Metric: a.Metric, For: dur(a.For.Duration)}
		switch {
		case a.Below != nil:
			pa.Condition = "below " + strconv.FormatFloat(*a.Below, 'g', -1, 64)
		case a.Above != nil:
			pa.Condition = "above " + strconv.FormatFloat(*a.Above, 'g', -1, 64)
		}
		p.Abort = append(p.Abort, pa)
	}

	p.Budget, p.Warnings = failoverBudget(scn, hits, p.Warnings)
	return p
}

// monkeySchedule lists the monkey's faults as the run draws them, from
// the same function (chaos.MonkeySchedule).
func monkeySchedule(ctx context.Context, scn *scenarios.Scenario, topo *topology.Topology, seed int64) []PlanInjection {
	out := []PlanInjection{}
	for _, in := range chaos.MonkeySchedule(scn, seed) {
		pi := PlanInjection{ID: in.ID, At: dur(in.At), Action: in.Action, Target: in.Fault.Target,
			Params: paramMap(in.Fault.Params)}
		if in.For > 0 {
			pi.For = dur(in.For)
		}
		if sel := in.Fault.Selector; sel != nil {
			nodes, _ := resolveAtStart(ctx, topo, in.Fault)
			pi.Selector = selectorOf(*sel, nodes)
		}
		out = append(out, pi)
	}
	return out
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

// topologyOf shows the topology as the runtime creates it: a container per
// node named topology.ContainerName, on the network topology.NetworkName of
// each of its networks, publishing its ports on loopback, with the volume
// topology.VolumeName mounted at its data directory.
func topologyOf(scn *scenarios.Scenario, topo *topology.Topology) PlanTopology {
	env := &scn.Environment
	run := topology.RunPlaceholder
	sync := map[string]bool{}
	for _, r := range env.Postgres.Replicas {
		sync[topology.ReplicaNode(r.Name)] = r.Synchronous
	}
	t := PlanTopology{WAN: network(topology.WAN), Regions: []PlanRegion{}, Nodes: []PlanNode{}}
	for _, n := range topo.All() {
		role, _ := docker.ImageRole(scn, n.Kind)
		pn := PlanNode{Name: n.Name, Service: n.Service, Kind: n.Kind, ImageRole: string(role),
			Region: n.Region, Container: topology.ContainerName(run, n.Name), Labels: n.Labels}
		for _, net := range n.Networks {
			pn.Networks = append(pn.Networks, topology.NetworkName(run, net))
		}
		for _, port := range n.Ports {
			pn.Ports = append(pn.Ports, PlanPort{Container: port, Host: "127.0.0.1:<any>", Purpose: cmp.Or(portPurpose[port], port)})
		}
		if n.Volume != "" {
			pn.Volume = topology.VolumeName(run, n.Name) + ":" + n.Volume
			pn.VolumeBytes = n.VolumeSize
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
		case n.Kind == topology.KindEtcd:
			pn.Role = fmt.Sprintf("etcd member of Patroni's store (%d of %d; not started by this build)",
				slices.Index(topo.Coordination, n)+1, len(topo.Coordination))
		case n.Kind == topology.KindMonitor:
			pn.Role = "pg_auto_failover monitor (not started by this build)"
		default:
			instances := "1 instance"
			if env.App.Instances != 1 {
				instances = strconv.Itoa(env.App.Instances) + " instances"
			}
			pn.Role = "app (" + cmp.Or(env.App.Image, "built-in sample app") + ", " + instances + ")"
			pn.Instances, pn.EnvNames = env.App.Instances, slices.Sorted(maps.Keys(env.App.Env))
		}
		t.Nodes = append(t.Nodes, pn)
	}
	for _, region := range topo.Regions {
		t.Regions = append(t.Regions, PlanRegion{Name: region, Network: network(region),
			Nodes: nonNil(topology.Names(topo.InRegion(region)))})
	}
	return t
}

func drSettings(scn *scenarios.Scenario, topo *topology.Topology) PlanDR {
	d := PlanDR{Backups: []PlanBackup{}, Recovery: []PlanRecovery{}}
	for _, b := range scn.DR.Backups {
		pb := PlanBackup{Kind: b.Kind, Every: dur(b.Every.Duration), Keep: b.Keep,
			To: "s3://" + topo.Bucket + " on " + topology.NodeStorage}
		if b.Kind == scenarios.BackupPhysical {
			pb.ArchiveTimeout = dur(b.ArchiveTimeout.Duration)
		}
		d.Backups = append(d.Backups, pb)
	}
	d.Notify = []PlanWebhook{}
	for _, n := range scn.DR.Notify {
		d.Notify = append(d.Notify, PlanWebhook{To: notify.Redact(n.URL), Format: n.Format, Events: slices.Clone(n.Events)})
	}
	fo := scn.DR.Failover
	d.Failover = PlanFailover{
		Enabled: fo.IsEnabled(), CheckInterval: dur(fo.CheckInterval.Duration), CheckTimeout: dur(fo.CheckTimeout.Duration),
		FailuresBeforeAction: fo.FailuresBeforeAction, Fencing: fo.Fencing, Candidates: nonNil(topo.Standbys()),
	}
	if pt := fo.Patroni; fo.Manager == scenarios.ManagerPatroni && pt != nil {
		d.Failover.Manager = fo.Manager
		d.Failover.Patroni = &PlanPatroni{TTL: dur(pt.TTL.Duration), LoopWait: dur(pt.LoopWait.Duration),
			RetryTimeout: dur(pt.RetryTimeout.Duration), MaximumLagOnFailover: pt.MaximumLagOnFailover}
	}
	if pa := fo.PgAutoFailover; fo.Manager == scenarios.ManagerPgAutoFailover && pa != nil {
		d.Failover.Manager = fo.Manager
		d.Failover.PgAutoFailover = &PlanPgAutoFailover{HealthCheckPeriod: dur(pa.HealthCheckPeriod.Duration),
			HealthCheckTimeout: dur(pa.HealthCheckTimeout.Duration), HealthCheckMaxRetries: pa.HealthCheckMaxRetries,
			HealthCheckRetryDelay: dur(pa.HealthCheckRetryDelay.Duration), NodeConsideredUnhealthyTimeout: dur(pa.NodeConsideredUnhealthyTimeout.Duration)}
	}
	rec := scn.DR.Recovery
	for _, r := range []PlanRecovery{
		{"database", rec.Database}, {"disk", rec.Disk}, {"network", rec.Network}, {"complete", rec.Complete},
	} {
		if len(r.Steps) > 0 {
			d.Recovery = append(d.Recovery, r)
		}
		if slices.Contains(r.Steps, scenarios.StepRestorePointInTime) {
			d.RecoveryTarget = orLatest(rec.Target)
		}
	}
	return d
}

func orLatest(target string) string {
	if target == "" {
		return scenarios.RecoveryTargetLatest
	}
	return target
}

// failoverBudget compares the worst-case detection with the RTO
// objectives, adding a warning for each that detection alone exhausts.
// hits says, per fault, whether it resolves to the primary at the start.
func failoverBudget(scn *scenarios.Scenario, hits []bool, warnings []string) (PlanBudget, []string) {
	fo := scn.DR.Failover
	b := PlanBudget{FailoverEnabled: fo.IsEnabled(), Checks: []PlanBudgetCheck{}}
	anyPrimary := scn.Monkey.IsEnabled() || slices.Contains(hits, true)
	if !fo.IsEnabled() {
		if o := scn.Objectives.RTO; o != nil && anyPrimary {
			warnings = append(warnings, fmt.Sprintf(
				"failover is disabled: nothing promotes a replica after a fault on the primary, so the RTO objective (%s) will be missed unless the node comes back",
				o.Duration))
		}
		return b, warnings
	}
	detection := fo.Detection() // the loader refuses settings that overflow
	detect := detection.Worst
	b.Detection = dur(detect)
	b.Formula = fmt.Sprintf("check_interval %s x failures_before_action %d + check_timeout %s",
		fo.CheckInterval.Duration, fo.FailuresBeforeAction, fo.CheckTimeout.Duration)
	if fo.Manager == scenarios.ManagerPatroni || fo.Manager == scenarios.ManagerPgAutoFailover {
		b.Formula = fo.Manager + ": " + detection.Formula // the stack's own timings, as scenarios explains them
	}
	check := func(fault int, rto time.Duration, hits bool) {
		c := PlanBudgetCheck{Fault: fault, RTO: dur(rto), Remaining: dur(rto - detect), Exceeds: detect >= rto, HitsPrimary: hits}
		b.Checks = append(b.Checks, c)
		if !c.Exceeds || !hits {
			return
		}
		what, field := "the RTO objective", "objectives.rto"
		if fault >= 0 {
			what, field = fmt.Sprintf("fault #%d's RTO objective", fault), fmt.Sprintf("timeline.faults[%d].objectives.rto", fault)
		}
		warnings = append(warnings, fmt.Sprintf(
			"worst-case failure detection alone (%s) does not fit in %s (%s): lower %s, or raise %s",
			detect, what, rto, detection.Lower, field))
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

func selectorOf(sel scenarios.Selector, nodes []*topology.Node) *PlanSelector {
	ps := &PlanSelector{Role: sel.Role, Region: sel.Region, Labels: sel.Labels, Mode: sel.Mode, Matches: []string{}}
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
	names := cmp.Or(strings.Join(topology.Names(nodes), ", "), "none")
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
