package scenarios

import (
	"fmt"
	"regexp"

	"github.com/distribution/reference"

	"github.com/firedrill/firedrill/scenarios/internal/spec"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// The checks of values each field accepts but a run could not survive, or
// would measure nothing with: sizes beyond what the environment is
// configured for, references Docker cannot parse, bucket names S3
// refuses, and timings that do not fit the timeline. The limits are in
// internal/spec/limits.go.

// sizes checks the counts the environment is configured for. With too many
// regions or replicas the other checks are skipped: they compare every
// reference with every name, which on thousands of them is slow and says
// little more.
func (v *validator) sizes() bool {
	env := &v.s.Environment
	ok := true
	if n := len(env.Regions); n > spec.MaxRegions {
		v.add("environment.regions", fmt.Sprintf("%d regions, but a drill runs at most %d services (the primary, %d replicas, the storage and the app) and every region needs one",
			n, spec.MaxRegions, MaxReplicas), "")
		ok = false
	}
	if n := len(env.Postgres.Replicas); n > MaxReplicas {
		v.add("environment.postgres.replicas", fmt.Sprintf("%d replicas, but the Postgres servers are configured for at most %d (max_wal_senders %d, max_replication_slots %d)",
			n, MaxReplicas, MaxWALSenders, MaxReplicationSlots),
			"each replica holds a replication slot and a WAL sender, and one sender stays free to clone the next")
		ok = false
	}
	return ok
}

// image checks that an image reference parses as Docker parses it.
func (v *validator) image(path, ref string) {
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		v.add(path, fmt.Sprintf("invalid image reference %s: %v", yamlpos.QuoteValue(ref), err),
			"a reference such as name:tag or registry.example.com/team/name:tag, in lowercase")
	}
}

var bucketRuleREs = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(spec.BucketRules))
	for i, r := range spec.BucketRules {
		out[i] = regexp.MustCompile(r.Pattern)
	}
	return out
}()

// bucketProblem says why S3 would refuse a bucket name, or "".
func bucketProblem(name string) (why, hint string) {
	const shape = "3 to 63 lowercase letters, digits, dots and dashes, starting and ending with a letter or digit"
	switch {
	case len(name) < 3 || len(name) > 63:
		return fmt.Sprintf("it has %d characters", len(name)), shape
	case !bucketRE.MatchString(name):
		return "S3 bucket names are " + shape, ""
	}
	for i, re := range bucketRuleREs {
		if re.MatchString(name) {
			return spec.BucketRules[i].Why, "choose another name, such as " + DefaultBucket
		}
	}
	return "", ""
}

// runnable checks that the timings fit the timeline: enough writes to
// measure a recovery, a stability window that can close, a failover manager
// that can act before the drill ends.
func (v *validator) runnable() {
	end := v.s.Timeline.Duration.Duration
	if end < MinTimelineDuration || end > MaxTimelineDuration {
		return // reported by timeline
	}
	w := &v.s.Workload
	if rate := w.WritesPerSecond; rate >= spec.MinWritesPerSecond && rate <= spec.MaxWritesPerSecond {
		if writes := end.Seconds() * rate; writes < spec.MinTimelineWrites {
			v.add("workload.writes_per_second", fmt.Sprintf("at %s writes/s the timeline (%s) holds %.3g writes, too few to measure a recovery (at least %d)",
				formatFloat(rate), end, writes, spec.MinTimelineWrites),
				fmt.Sprintf("send at least %.3g writes/s, or make timeline.duration longer", spec.MinTimelineWrites/end.Seconds()))
		}
	}
	if sw := w.StabilityWindow.Duration; sw >= end {
		v.add("workload.stability_window", fmt.Sprintf("stability_window %s is not shorter than the timeline (%s): no recovery could ever be confirmed", sw, end),
			"make workload.stability_window shorter than timeline.duration, for example 5s")
	}
	f := &v.s.DR.Failover
	if !f.IsEnabled() || !v.failoverOK {
		return // disabled, or reported by failover
	}
	if d := f.Detection(); !d.OK || d.Worst > end {
		detect := "overflows"
		if d.OK {
			detect = "is " + d.Worst.String()
		}
		path := d.Field
		if f.Manager == ManagerBuiltin && v.present("dr.failover.failures_before_action") {
			path = "dr.failover.failures_before_action"
		}
		v.add(path, fmt.Sprintf("the failover manager could not act within the timeline (%s): its worst-case detection, %s, %s", end, d.Formula, detect), d.Hint)
	}
}
