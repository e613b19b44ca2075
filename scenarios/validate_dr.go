package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/scenarios/internal/spec"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// The checks of the DR engine's backups and recovery plans, and of the
// abort conditions.

func (v *validator) backups() {
	storage := v.s.Environment.Storage.IsEnabled()
	type schedule struct {
		kind  string
		every Duration
	}
	seen := map[schedule]int{}
	for i, b := range v.s.DR.Backups {
		path := fmt.Sprintf("dr.backups[%d]", i)
		switch {
		case b.Kind == "" && !v.present(path+".kind"):
			v.add(path+".kind", "a backup needs a kind", "one of "+strings.Join(spec.BackupKinds, ", "))
		case !slices.Contains(spec.BackupKinds, b.Kind):
			v.add(path+".kind", fmt.Sprintf("unknown backup kind %s", yamlpos.QuoteValue(b.Kind)), yamlpos.DidYouMean(b.Kind, spec.BackupKinds, "kinds are"))
		case !storage:
			v.add(path+".kind", fmt.Sprintf("%s backups go to the storage, which is disabled (environment.storage.enabled: false)", b.Kind),
				"enable the storage, or remove the backup")
		}
		switch {
		case v.src != nil && !v.present(path+".every"):
			v.add(path+".every", "a backup needs every, the time between two backups", "for example every: 15m")
		case b.Every.Duration < spec.MinRepeat:
			v.add(path+".every", fmt.Sprintf("every must be at least %s, got %s", spec.MinRepeat, b.Every), "for example 15m")
		}
		if b.Keep < 1 {
			v.add(path+".keep", fmt.Sprintf("keep must be >= 1, got %d", b.Keep), "the number of backups kept; leave it out for 7")
		}
		key := schedule{b.Kind, b.Every}
		if j, dup := seen[key]; dup {
			v.add(path, fmt.Sprintf("the same schedule as backups[%d] (%s every %s)", j, b.Kind, b.Every), "remove one of them, or change every")
			continue
		}
		seen[key] = i
	}
}

func (v *validator) recovery() {
	r := &v.s.DR.Recovery
	for _, plan := range spec.RecoveryPlans(r) {
		path := "dr.recovery." + plan.Name
		if plan.Steps == nil && v.present(path) {
			v.add(path, "the plan has no step", "list its steps, or leave the plan out")
		}
		for i, name := range plan.Steps {
			v.step(fmt.Sprintf("%s[%d]", path, i), name)
		}
	}
}

func (v *validator) step(path, name string) {
	st, ok := spec.LookupStep(name)
	if !ok {
		v.add(path, fmt.Sprintf("unknown recovery step %s", yamlpos.QuoteValue(name)), yamlpos.DidYouMean(name, StepNames(), "steps are"))
		return
	}
	switch st.Needs {
	case spec.NeedsReplica:
		if len(v.s.Environment.Postgres.Replicas) == 0 {
			v.add(path, name+" needs a replica", "add one under environment.postgres.replicas")
		}
	case spec.NeedsDatabaseBackup:
		if !spec.HasBackup(v.s, BackupLogical, BackupPhysical) {
			v.add(path, name+" needs a logical or physical backup to restore", "add one under dr.backups, such as {kind: logical, every: 15m}")
		}
	case spec.NeedsPhysicalBackup:
		if !spec.HasBackup(v.s, BackupPhysical) {
			v.add(path, name+" needs a physical backup (base backup and WAL archive)", "add {kind: physical, every: 1h} under dr.backups")
		}
	case spec.NeedsFilesBackup:
		if !spec.HasBackup(v.s, BackupFiles) {
			v.add(path, name+" needs a files backup to restore", "add {kind: files, every: 1h} under dr.backups")
		}
	}
}

func (v *validator) abort() {
	type cond struct {
		metric       string
		below, above float64
		hasBelow     bool
		for_         Duration
	}
	seen := map[cond]int{}
	for i, c := range v.s.Abort {
		path := fmt.Sprintf("abort[%d]", i)
		m, known := spec.LookupMetric(c.Metric)
		switch {
		case c.Metric == "" && !v.present(path+".metric"):
			v.add(path+".metric", "an abort condition needs a metric", "one of "+strings.Join(MetricNames(), ", "))
			continue
		case !known:
			v.add(path+".metric", fmt.Sprintf("unknown metric %s", yamlpos.QuoteValue(c.Metric)), yamlpos.DidYouMean(c.Metric, MetricNames(), "metrics are"))
			continue
		}
		if m.Reads && v.s.Workload.ReadsPerSecond <= 0 {
			v.add(path+".metric", fmt.Sprintf("%s needs reads, and the workload sends none", c.Metric), "set workload.reads_per_second")
		}
		switch {
		case c.Below != nil && c.Above != nil:
			v.add(path+".above", "an abort condition takes below or above, not both", "write two conditions: any one of them aborts")
		case c.Below == nil && c.Above == nil:
			v.add(path, fmt.Sprintf("an abort condition needs below or above, the threshold of %s", c.Metric), "for example below: 0.5")
		case c.Below != nil && !m.Rate:
			v.add(path+".below", fmt.Sprintf("%s only grows, so below would abort at once", c.Metric), "use above")
		case c.Below != nil && !(*c.Below > 0 && *c.Below <= 1):
			v.add(path+".below", fmt.Sprintf("%s is a share between 0 and 1: below must be > 0 and <= 1, got %s", c.Metric, formatFloat(*c.Below)), "0.5 means half the operations fail")
		case c.Above != nil && m.Rate && !(*c.Above >= 0 && *c.Above < 1):
			v.add(path+".above", fmt.Sprintf("%s is a share between 0 and 1: above must be >= 0 and < 1, got %s", c.Metric, formatFloat(*c.Above)), "")
		case c.Above != nil && !m.Rate && !(*c.Above >= 0 && *c.Above == math.Trunc(*c.Above) && *c.Above < 1e15):
			v.add(path+".above", fmt.Sprintf("%s is a count: above must be a whole number >= 0, got %s", c.Metric, formatFloat(*c.Above)), "")
		}
		switch {
		case !m.Rate && v.present(path+".for"):
			v.add(path+".for", fmt.Sprintf("%s never goes down, so for changes nothing", c.Metric), "remove for")
		case c.For.Duration < 0:
			v.add(path+".for", "for must be >= 0, got "+c.For.String(), "")
		}
		key := cond{metric: c.Metric, for_: c.For}
		if c.Below != nil {
			key.below, key.hasBelow = *c.Below, true
		}
		if c.Above != nil {
			key.above = *c.Above
		}
		if j, dup := seen[key]; dup {
			v.add(path, fmt.Sprintf("the same condition as abort[%d]", j), "remove one of them")
			continue
		}
		seen[key] = i
	}
}
