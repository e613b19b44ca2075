package scenarios

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/firedrill/firedrill/scenarios/internal/failover"
	"github.com/firedrill/firedrill/scenarios/internal/spec"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// Validate checks the scenario as it will run, that is with its defaults
// applied (s itself is not changed), and returns every problem as Errors,
// or nil. A scenario from Load carries the positions of its fields, so the
// errors name file:line:col; one built in code gets field paths only.
func Validate(s *Scenario) error {
	c := spec.Clone(s)
	filled := spec.FillDefaults(c)
	if src := spec.Source(s); src != nil {
		for p := range src.Defaulted {
			filled[p] = true
		}
	}
	return validate(c, filled).Err(0)
}

// The patterns of names; the schema publishes them too (spec.Patterns), so
// an editor and the loader agree.
var (
	nameRE     = regexp.MustCompile(spec.NamePattern)
	bucketRE   = regexp.MustCompile(spec.BucketPattern)
	labelKeyRE = regexp.MustCompile(spec.LabelKeyPattern)
	envNameRE  = regexp.MustCompile(spec.EnvNamePattern)
	rateRE     = regexp.MustCompile(spec.RatePattern)
	sizeRE     = regexp.MustCompile(spec.SizePattern)
)

// reservedRegions are network names the environment uses itself.
var reservedRegions = map[string]string{
	"wan": "it is the network that joins all regions",
}

// reservedReplicas would clash with a target or a container name.
var reservedReplicas = map[string]string{
	"primary": "postgres.primary names the primary",
	"replica": "postgres.replica means any replica",
}

type validator struct {
	s      *Scenario
	src    *yamlpos.Source // where each field was written; nil for a scenario built in code
	filled map[string]bool // paths that hold a default, not a written value
	errs   Errors
	// failoverOK: the failover manager's timings are valid (failover).
	failoverOK bool
}

// validate checks s, whose defaults are already applied; filled are the
// paths the defaults filled.
func validate(s *Scenario, filled map[string]bool) Errors {
	v := &validator{s: s, src: spec.Source(s), filled: filled}
	v.header()
	if !v.sizes() {
		// The other checks compare every reference with every name: on
		// thousands of them that is slow, and says little more.
		return v.errs
	}
	v.placement(v.regions())
	v.postgres()
	v.storage()
	v.app()
	v.workload()
	v.backups()
	v.failover()
	v.recovery()
	v.drEngine()
	v.timeline()
	v.monkey()
	v.abort()
	v.objectives()
	v.runnable()
	return v.errs
}

// add records a problem with the field at path, unless the decoder has
// already reported that field.
func (v *validator) add(path, msg, hint string) {
	if v.src.IsBad(path) {
		return
	}
	p := v.src.At(path)
	v.errs = append(v.errs, &Error{File: v.s.File, Line: p.Line, Col: p.Col, Path: path, Msg: msg, Hint: hint})
}

// addKey records a problem with the key of a map entry, placed at the key.
func (v *validator) addKey(path, msg, hint string) {
	if v.src.IsBad(path) {
		return
	}
	p, ok := yamlpos.Pos{}, false
	if v.src != nil {
		p, ok = v.src.Keys[path]
	}
	if !ok {
		p = v.src.At(path)
	}
	v.errs = append(v.errs, &Error{File: v.s.File, Line: p.Line, Col: p.Col, Path: path, Msg: msg, Hint: hint})
}

func (v *validator) present(path string) bool { return v.src.IsPresent(path) }

func (v *validator) header() {
	s := v.s
	switch s.APIVersion {
	case APIVersion:
	case "":
		v.add("apiVersion", "apiVersion is missing", "start the file with apiVersion: "+APIVersion)
	default:
		v.add("apiVersion", fmt.Sprintf("unsupported apiVersion %s", yamlpos.QuoteValue(s.APIVersion)), "this build reads "+APIVersion)
	}
	if s.Name == "" {
		v.add("name", "name is required", "a short id such as primary-kill")
	} else {
		v.checkName("name", "name", s.Name, spec.MaxNameLength, "")
	}
}

// checkName checks an identifier that ends up in container and network
// names, of at most maxLen characters; why says where the limit comes from.
func (v *validator) checkName(path, what, name string, maxLen int, why string) bool {
	if len(name) <= maxLen && nameRE.MatchString(name) {
		return true
	}
	hint := ""
	if slug := slugify(name, maxLen); slug != "" && slug != name {
		hint = "for example " + slug
	}
	msg := fmt.Sprintf("%s %s must be lowercase letters, digits and dashes, starting with a letter or digit", what, yamlpos.QuoteValue(name))
	if len(name) > maxLen && nameRE.MatchString(name) {
		msg = fmt.Sprintf("%s %s is longer than %d characters%s", what, yamlpos.QuoteValue(name), maxLen, why)
	}
	v.add(path, msg, hint)
	return false
}

// slugify turns s into a valid name of at most maxLen characters, if it
// can.
func slugify(s string, maxLen int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
		if b.Len() >= maxLen {
			break
		}
	}
	return strings.TrimRight(b.String()[:min(b.Len(), maxLen)], "-")
}

// regions checks the region list. It returns the well-formed, distinct
// region names (in order) that references are checked against, or nil when
// there is no list at all.
func (v *validator) regions() []string {
	regions := v.s.Environment.Regions
	if len(regions) == 0 {
		v.add("environment.regions", "at least one region is required", "for example regions: [east, west]")
		return nil
	}
	var good []string
	first := map[string]int{}
	for i, r := range regions {
		path := fmt.Sprintf("environment.regions[%d]", i)
		if r == "" {
			v.add(path, "region name is empty", "")
			continue
		}
		if j, dup := first[r]; dup {
			v.add(path, fmt.Sprintf("region %s is listed twice (also regions[%d])", yamlpos.QuoteValue(r), j), "remove one of them")
			continue
		}
		first[r] = i
		if why, ok := reservedRegions[r]; ok {
			v.add(path, fmt.Sprintf("region name %s is reserved: %s", yamlpos.QuoteValue(r), why), "choose another name")
			continue
		}
		if v.checkName(path, "region", r, spec.MaxNameLength, "") {
			good = append(good, r)
		}
	}
	if good == nil {
		good = []string{} // a list, all of it bad: still check references
	}
	return good
}

// placement checks that every service is in a known region and every
// well-formed region holds a service; regions are those from regions().
func (v *validator) placement(regions []string) {
	env := &v.s.Environment
	used := map[string]bool{}
	ref := func(path, region, what string) {
		used[region] = true
		if regions == nil || v.filled[path] {
			// No list to check against, or a default derived from a
			// value checked elsewhere.
			return
		}
		if region == "" {
			v.add(path, what+" region is required", yamlpos.DidYouMean("", regions, "one of"))
			return
		}
		if !slices.Contains(env.Regions, region) {
			v.add(path, fmt.Sprintf("unknown region %s", yamlpos.QuoteValue(region)), yamlpos.DidYouMean(region, regions, "regions are"))
		}
	}
	ref("environment.postgres.primary.region", env.Postgres.Primary.Region, "the primary's")
	for i, r := range env.Postgres.Replicas {
		ref(fmt.Sprintf("environment.postgres.replicas[%d].region", i), r.Region, "the replica's")
	}
	if env.Storage.IsEnabled() {
		ref("environment.storage.region", env.Storage.Region, "the storage's")
	}
	ref("environment.app.region", env.App.Region, "the app's")
	for _, r := range regions {
		if !used[r] {
			i := slices.Index(env.Regions, r)
			v.add(fmt.Sprintf("environment.regions[%d]", i), fmt.Sprintf("region %s has nothing in it", yamlpos.QuoteValue(r)),
				"place the primary, a replica, the storage or the app there, or remove the region")
		}
	}
}

func (v *validator) postgres() {
	pg := &v.s.Environment.Postgres
	if pg.Image == "" {
		v.add("environment.postgres.image", "image is empty", "leave it out to use "+DefaultPostgresImage)
	} else {
		v.image("environment.postgres.image", pg.Image)
	}
	v.diskSize()
	first := map[string]int{}
	for i, r := range pg.Replicas {
		path := fmt.Sprintf("environment.postgres.replicas[%d]", i)
		switch {
		case r.Name == "":
			v.add(path+".name", "a replica needs a name", fmt.Sprintf("for example name: replica%d", i+1))
		case first[r.Name] > 0:
			v.add(path+".name", fmt.Sprintf("replica name %s is used twice (also replicas[%d])", yamlpos.QuoteValue(r.Name), first[r.Name]-1), "give each replica its own name")
		case reservedReplicas[r.Name] != "":
			first[r.Name] = i + 1
			v.add(path+".name", fmt.Sprintf("replica name %s is reserved: %s", yamlpos.QuoteValue(r.Name), reservedReplicas[r.Name]), "choose another name")
		default:
			first[r.Name] = i + 1
			v.checkName(path+".name", "replica name", r.Name, MaxReplicaNameLength,
				fmt.Sprintf(": it becomes the container firedrill-<run id>-pg-%s, a DNS name of at most %d", r.Name, spec.MaxIdentifier))
		}
		if r.Synchronous {
			v.add(path+".synchronous", "synchronous replicas are not supported yet: this build streams to every replica asynchronously",
				"remove synchronous: true; an asynchronous replica may miss the last acknowledged writes, which lost_writes measures")
		}
		v.labels(path+".labels", r.Labels)
	}
	v.labels("environment.postgres.primary.labels", pg.Primary.Labels)
	if len(pg.Replicas) == 0 && v.s.DR.Failover.IsEnabled() {
		v.add("environment.postgres.replicas", "failover needs a replica",
			"add a replica under environment.postgres.replicas, or set dr.failover.enabled: false")
	}
}

func (v *validator) storage() {
	st := &v.s.Environment.Storage
	if st.Image == "" {
		v.add("environment.storage.image", "image is empty", "leave it out to use "+DefaultStorageImage)
	} else {
		v.image("environment.storage.image", st.Image)
	}
	if why, hint := bucketProblem(st.Bucket); why != "" {
		v.add("environment.storage.bucket", fmt.Sprintf("invalid bucket name %s: %s", yamlpos.QuoteValue(st.Bucket), why), hint)
	}
	v.labels("environment.storage.labels", st.Labels)
}

func (v *validator) app() {
	app := &v.s.Environment.App
	const p = "environment.app."
	if app.Image != "" {
		v.image(p+"image", app.Image)
	}
	if app.Instances < 1 || app.Instances > spec.MaxAppInstances {
		v.add(p+"instances", fmt.Sprintf("instances must be >= 1 and <= %d, got %d", spec.MaxAppInstances, app.Instances), "")
	}
	for _, name := range sortedKeys(app.Env) {
		path := yamlpos.MapPath(p+"env", name)
		switch {
		case !envNameRE.MatchString(name):
			v.addKey(path, fmt.Sprintf("invalid environment variable name %s", yamlpos.QuoteValue(name)),
				"letters, digits and underscores, not starting with a digit")
		case strings.HasPrefix(strings.ToUpper(name), spec.ReservedEnvPrefix):
			v.addKey(path, fmt.Sprintf("environment variable %s is reserved: firedrill sets the FIREDRILL_* variables of the app itself", yamlpos.QuoteValue(name)),
				"choose another name")
		}
	}
	v.labels(p+"labels", app.Labels)
}

// labels checks the keys of a labels map.
func (v *validator) labels(path string, labels map[string]string) {
	for _, k := range sortedKeys(labels) {
		if !labelKeyRE.MatchString(k) {
			v.addKey(yamlpos.MapPath(path, k), fmt.Sprintf("invalid label key %s", yamlpos.QuoteValue(k)),
				"up to 63 lowercase letters, digits, dots, dashes and underscores, starting and ending with a letter or digit")
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (v *validator) workload() {
	w := &v.s.Workload
	if !(w.WritesPerSecond >= spec.MinWritesPerSecond && w.WritesPerSecond <= spec.MaxWritesPerSecond) {
		v.add("workload.writes_per_second", fmt.Sprintf("writes_per_second must be >= %s and <= %d, got %s", formatFloat(spec.MinWritesPerSecond), spec.MaxWritesPerSecond, formatFloat(w.WritesPerSecond)),
			fmt.Sprintf("leave it out for the default of %s", formatFloat(DefaultWritesPerSecond)))
	}
	if !(w.ReadsPerSecond >= 0 && w.ReadsPerSecond <= spec.MaxWritesPerSecond) {
		v.add("workload.reads_per_second", fmt.Sprintf("reads_per_second must be >= 0 and <= %d, got %s", spec.MaxWritesPerSecond, formatFloat(w.ReadsPerSecond)),
			"0 sends no reads")
	}
	if w.Timeout.Duration <= 0 {
		v.add("workload.timeout", "timeout must be > 0, got "+w.Timeout.String(), "for example 1s")
	}
	if w.StabilityWindow.Duration < 0 {
		v.add("workload.stability_window", "stability_window must be >= 0, got "+w.StabilityWindow.String(), "")
	}
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// failover checks dr.failover (package failover holds the managers'
// rules); failoverOK says whether its timings can be compared with the
// timeline.
func (v *validator) failover() {
	v.failoverOK = failover.Check(&v.s.DR.Failover, failoverReporter{v})
}

// failoverReporter is the validator as package failover reports to it.
type failoverReporter struct{ v *validator }

func (r failoverReporter) Add(path, msg, hint string) { r.v.add(path, msg, hint) }
func (r failoverReporter) Present(path string) bool   { return r.v.present(path) }

func (v *validator) objectives() {
	o := &v.s.Objectives
	if o.RTO != nil && o.RTO.Duration <= 0 {
		v.add("objectives.rto", "rto must be > 0, got "+o.RTO.String(), "leave it out to only report the RTO")
	}
	if o.RPO != nil && o.RPO.Duration < 0 {
		v.add("objectives.rpo", "rpo must be >= 0, got "+o.RPO.String(), "0s means no acknowledged write may be lost")
	}
	if o.LostWrites != nil && *o.LostWrites < 0 {
		v.add("objectives.lost_writes", fmt.Sprintf("lost_writes must be >= 0, got %d", *o.LostWrites), "write report to only report the count")
	}
}
