package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/scenarios/internal/spec"
	"github.com/firedrill/firedrill/scenarios/internal/yamlpos"
)

// Hostile and absurd input: every case is refused with positions, and the
// work done on it is bounded by counts (never by timing assertions).

// mergeBomb nests merge keys: each level merges the one below fanout
// times, so expanding it naively costs fanout^levels.
func mergeBomb(levels, fanout int) string {
	var b strings.Builder
	b.WriteString("x-defs:\n  a0: &a0 {k0: v}\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d {<<: [", i, i)
		for j := range fanout {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		fmt.Fprintf(&b, "], k%d: v}\n", i)
	}
	b.WriteString(strings.Replace(base, "  postgres:\n", fmt.Sprintf("  app:\n    env: {<<: *a%d}\n  postgres:\n", levels), 1))
	return b.String()
}

func loadErrors(t *testing.T, name, yaml string) Errors {
	t.Helper()
	_, err := LoadBytes(name, []byte(yaml))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want Errors, got %v", err)
	}
	return errs
}

func TestMergeKeyBombIsRefused(t *testing.T) {
	yaml := mergeBomb(30, 10)
	d := yamlpos.NewDecoder("bomb.yaml", reflect.TypeFor[Scenario]())
	root, perrs := parse("bomb.yaml", []byte(yaml))
	if perrs != nil {
		t.Fatal(perrs)
	}
	var s Scenario
	d.Decode(root, reflectValue(&s))
	if d.Visits() > yamlpos.MaxVisits+len(yaml) {
		t.Errorf("decoding did %d units of work, the budget is %d", d.Visits(), yamlpos.MaxVisits)
	}
	errs := loadErrors(t, "bomb.yaml", yaml)
	found := false
	for _, e := range errs {
		if strings.Contains(e.Msg, "too large once its aliases and merge keys are expanded") {
			found = true
			if e.Line == 0 || e.Path != "environment.app.env" {
				t.Errorf("budget error at %d:%d %s, want a position in environment.app.env", e.Line, e.Col, e.Path)
			}
		}
	}
	if !found {
		t.Errorf("no budget error:\n%v", errs)
	}
}

// A small merge within the budget still works, merged keys and all.
func TestMergeKeysWithinBudget(t *testing.T) {
	errs := loadErrors(t, "m.yaml", mergeBomb(3, 3))
	if len(errs) != 1 || errs[0].Path != "x-defs" {
		t.Errorf("want only the unknown x-defs, got\n%v", errs)
	}
}

func unknownFields(n int) string {
	var b strings.Builder
	b.WriteString(base)
	for i := range n {
		fmt.Fprintf(&b, "uf%d: 1\n", i)
	}
	return b.String()
}

func TestManyUnknownFieldsAreCapped(t *testing.T) {
	yaml := unknownFields(50_000)
	if len(yaml) > MaxFileSize {
		t.Fatalf("the input (%d bytes) is over the size limit", len(yaml))
	}
	errs := loadErrors(t, "many.yaml", yaml)
	if len(errs) != MaxErrors+1 {
		t.Fatalf("%d errors, want %d and a summary", len(errs), MaxErrors)
	}
	first, last := errs[0], errs[len(errs)-1]
	if first.Path != "uf0" || !strings.Contains(first.Hint, "known fields here") {
		t.Errorf("first error %v", first)
	}
	if want := fmt.Sprintf("… and %d more problems", 50_000-MaxErrors); last.Msg != want || last.Line == 0 {
		t.Errorf("summary %v, want %q at a line", last, want)
	}
}

// The cost per unknown field does not grow with their number: side by side
// in one run, 50,000 fields may not cost more than 5x per field what 500
// do. (Without the cap and the cheap hints it was 20x and more.)
func TestManyUnknownFieldsCostPerField(t *testing.T) {
	perField := func(n int) time.Duration {
		yaml := []byte(unknownFields(n))
		best := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			_, _ = LoadBytes("t.yaml", yaml)
			best = min(best, time.Since(start))
		}
		return best / time.Duration(n)
	}
	small, large := perField(500), perField(50_000)
	if large > 5*small {
		t.Errorf("per field: %s for 500 fields, %s for 50,000", small, large)
	}
}

// Field names that are not plain words are quoted in paths, so a control
// character in a key never reaches a terminal raw.
func TestControlCharactersInKeysAreQuoted(t *testing.T) {
	errs := loadErrors(t, "k.yaml", base+"\"\\e[2J\\e[31mowned\": 1\n")
	for _, e := range errs {
		if strings.ContainsAny(e.Error(), "\x1b\x07\r") {
			t.Errorf("raw control character in %q", e.Error())
		}
	}
	if errs[0].Path != `["\x1b[2J\x1b[31mowned"]` {
		t.Errorf("path %q", errs[0].Path)
	}
}

func BenchmarkUnknownFields50k(b *testing.B) {
	yaml := []byte(unknownFields(50_000))
	for b.Loop() {
		_, _ = LoadBytes("t.yaml", yaml)
	}
}

func BenchmarkMergeBomb(b *testing.B) {
	yaml := []byte(mergeBomb(30, 10))
	for b.Loop() {
		_, _ = LoadBytes("t.yaml", yaml)
	}
}

func reflectValue(s *Scenario) reflect.Value { return reflect.ValueOf(s).Elem() }

func wantFileError(t *testing.T, err error, file, msg string) {
	t.Helper()
	errs, ok := err.(Errors)
	if !ok || len(errs) != 1 {
		t.Fatalf("want one error, got %v", err)
	}
	if errs[0].File != file || !strings.Contains(errs[0].Msg, msg) {
		t.Errorf("got %v, want %s: %s", errs[0], file, msg)
	}
}

func TestLoadRefusesDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	wantFileError(t, err, dir, "the scenario is a directory, not a regular file")
}

// The size is checked before the file is read: a 1 GiB (sparse) file is
// refused from its Stat alone.
func TestLoadRefusesLargeFileBeforeReading(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Load(big)
	wantFileError(t, err, big, "the scenario is larger than 1024 KiB (1073741824 bytes)")
	// And the same limit in memory.
	errs := loadErrors(t, "mem.yaml", strings.Repeat("#", MaxFileSize+1))
	if !strings.Contains(errs[0].Msg, "larger than 1024 KiB") {
		t.Errorf("in memory: %v", errs)
	}
}

// Values each field accepts but a run could not survive, or would measure
// nothing with.
var absurdCases = []struct {
	name string
	yaml string
	want []wantErr
}{
	{"write rate below the minimum", edit(map[int]string{11: "  writes_per_second: 1e-300"}), []wantErr{
		{"11:22", "workload.writes_per_second", "writes_per_second must be >= 0.001 and <= 2000, got 1e-300", "default of 50"},
	}},
	{"write rate too low for the timeline", edit(map[int]string{11: "  writes_per_second: 0.1"}), []wantErr{
		{"11:22", "workload.writes_per_second", "at 0.1 writes/s the timeline (1m0s) holds 6 writes, too few to measure a recovery (at least 10)", "at least 0.167 writes/s"},
	}},
	{"timeline too short", edit(map[int]string{19: "  duration: 10ms", 21: "    - at: 0s"}), []wantErr{
		{"19:13", "timeline.duration", "duration must be at least 1s, got 10ms", "for example 60s"},
	}},
	{"timeline too long", edit(map[int]string{19: "  duration: 2000000h"}), []wantErr{
		{"19:13", "timeline.duration", "duration must be at most 168h0m0s, got 2000000h0m0s", "several drills"},
	}},
	{"stability window longer than the timeline", edit(map[int]string{12: "  timeout: 1s\n  stability_window: 2m"}), []wantErr{
		{"13:21", "workload.stability_window", "stability_window 2m0s is not shorter than the timeline (1m0s)", "shorter than timeline.duration"},
	}},
	{"default stability window in a short timeline", edit(map[int]string{19: "  duration: 3s", 21: "    - at: 1s"}), []wantErr{
		{"11:3", "workload.stability_window", "stability_window 5s is not shorter than the timeline (3s)", ""},
	}},
	{"failover detection overflows", edit(map[int]string{17: "    fencing: stop\n    failures_before_action: 9223372036854775807"}), []wantErr{
		{"18:29", "dr.failover.failures_before_action", "the failover manager could not act within the timeline (1m0s): its worst-case detection, check_interval 1s × failures_before_action 9223372036854775807 + check_timeout 1s, overflows", "dr.failover.enabled: false"},
	}},
	{"failover detection longer than the timeline", edit(map[int]string{15: "    check_interval: 30s"}), []wantErr{
		{"15:21", "dr.failover.check_interval", "failures_before_action 2 + check_timeout 1s, is 1m1s", "lower check_interval"},
	}},
	{"health checks in a tight loop", edit(map[int]string{15: "    check_interval: 1ns", 16: "    check_timeout: 1ns"}), []wantErr{
		{"15:21", "dr.failover.check_interval", "check_interval must be at least 10ms, got 1ns", ""},
	}},
	{"fault for that overflows at + for", edit(map[int]string{22: "      action: stop", 23: "      target: postgres.r1\n      for: 2562047h"}), []wantErr{
		{"24:12", "timeline.faults[0].for", "the fault lasts until 2562047h0m15s, past the end of the timeline (1m0s)", "make for at most 45s"},
	}},
	{"fault for at the very limit of a duration", edit(map[int]string{21: "    - at: 59s", 22: "      action: stop", 23: "      target: postgres.r1\n      for: 2562047h47m16s"}), []wantErr{
		{"24:12", "timeline.faults[0].for", "the fault lasts until the end of time, past the end of the timeline (1m0s)", "make for at most 1s"},
	}},
	{"too many replicas", edit(map[int]string{9: "        region: west" + replicaLines(2, MaxReplicas+1)}), []wantErr{
		{"8:7", "environment.postgres.replicas", "10 replicas, but the Postgres servers are configured for at most 9 (max_wal_senders 10, max_replication_slots 10)", "one sender stays free"},
	}},
	{"too many regions", edit(map[int]string{4: "  regions: [east, west" + strings.Repeat(", r", spec.MaxRegions-1) + "]"}), []wantErr{
		{"4:12", "environment.regions", "13 regions, but a drill runs at most 12 services", ""},
	}},
	{"replica name too long once prefixed", edit(map[int]string{8: "      - name: " + strings.Repeat("r", MaxReplicaNameLength+1), 23: "      target: postgres.primary"}), []wantErr{
		{"8:15", "environment.postgres.replicas[0].name", "replica name \"rrrrrrrrrrrrrrrrrr\" is longer than 17 characters: it becomes the container firedrill-<run id>-pg-rrrrrrrrrrrrrrrrrr, a DNS name of at most 63", "for example rrrrrrrrrrrrrrrrr"},
	}},
	{"image that is not a reference", edit(map[int]string{5: "  postgres:\n    image: 'postgres:15 latest'"}), []wantErr{
		{"6:12", "environment.postgres.image", `invalid image reference "postgres:15 latest": invalid reference format`, "name:tag"},
	}},
	{"image in uppercase", edit(map[int]string{9: "        region: west\n  storage: {image: Minio}\n  app: {image: 'app::1'}"}), []wantErr{
		{"10:20", "environment.storage.image", "repository name (library/Minio) must be lowercase", ""},
		{"11:16", "environment.app.image", `invalid image reference "app::1"`, ""},
	}},
	{"backups in a tight loop", edit(map[int]string{13: "dr:\n  backups: [{kind: logical, every: 1ms}]"}), []wantErr{
		{"14:36", "dr.backups[0].every", "every must be at least 1s, got 1ms", ""},
	}},
	{"monkey in a tight loop", base + "monkey: {mean_interval: 1ns}\n", []wantErr{
		{"27:25", "monkey.mean_interval", "mean_interval must be at least 1s, got 1ns", ""},
	}},
}

// replicaLines are YAML list entries for replicas r<from>..r<to>.
func replicaLines(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "\n      - {name: r%d, region: west}", i)
	}
	return b.String()
}

func TestAbsurdValues(t *testing.T) {
	checkCases(t, absurdCases)
}

// Every S3 naming rule, each with its own reason.
func TestBucketNames(t *testing.T) {
	for _, tc := range []struct{ bucket, why string }{
		{"ab", "it has 2 characters"},
		{strings.Repeat("b", 64), "it has 64 characters"},
		{"My-Bucket", "S3 bucket names are 3 to 63 lowercase letters"},
		{"-bucket", "S3 bucket names are"},
		{"bucket-", "S3 bucket names are"},
		{"bu_cket", "S3 bucket names are"},
		{"a..b", "two dots in a row"},
		{"192.168.5.4", "formatted as an IP address"},
		{"xn--bucket", "the prefix xn-- is reserved"},
		{"sthree-bucket", "the prefix sthree- is reserved"},
		{"amzn-s3-demo-bucket", "the prefix amzn-s3-demo- is reserved"},
		{"bucket-s3alias", "the suffix -s3alias is reserved"},
		{"bucket--ol-s3", "the suffix --ol-s3 is reserved"},
		{"bucket.mrap", "the suffix .mrap is reserved"},
		{"bucket--x-s3", "the suffix --x-s3 is reserved"},
		{"bucket--table-s3", "the suffix --table-s3 is reserved"},
	} {
		t.Run(tc.bucket, func(t *testing.T) {
			yaml := edit(map[int]string{9: "        region: west\n  storage: {bucket: '" + tc.bucket + "'}"})
			errs := loadErrors(t, "b.yaml", yaml)
			if len(errs) != 1 || errs[0].Path != "environment.storage.bucket" || !strings.Contains(errs[0].Msg, tc.why) || errs[0].Line != 10 {
				t.Errorf("want %q at line 10, got\n%v", tc.why, errs)
			}
		})
	}
	for _, ok := range []string{"firedrill", "my.drills-2", "a1b", "192.168.5.4a"} {
		if why, _ := bucketProblem(ok); why != "" {
			t.Errorf("%s refused: %s", ok, why)
		}
	}
}

func TestMapStrings(t *testing.T) {
	s, err := LoadBytes("m.yaml", []byte(edit(map[int]string{2: "name: t\ndescription: \"a\\e[2Jb\"", 9: "        region: west\n        labels: {tier: hot}"})))
	if err != nil {
		t.Fatal(err)
	}
	up := s.MapStrings(strings.ToUpper)
	if up.Description != "A\x1b[2JB" || up.Environment.Postgres.Replicas[0].Labels["TIER"] != "HOT" || up.File != "M.YAML" {
		t.Errorf("mapped: %q %v %q", up.Description, up.Environment.Postgres.Replicas[0].Labels, up.File)
	}
	if s.Description != "a\x1b[2Jb" || s.Environment.Postgres.Replicas[0].Labels["tier"] != "hot" {
		t.Errorf("the original changed: %q %v", s.Description, s.Environment.Postgres.Replicas[0].Labels)
	}
}

// Only aliases and merges draw on the budget: a large document written out
// in full is not a bomb, and its problems are reported, not "too large".
func TestLargePlainDocumentIsNotABomb(t *testing.T) {
	regions := strings.Repeat("r, ", yamlpos.MaxVisits)
	errs := loadErrors(t, "big.yaml", strings.Replace(base, "[east, west]", "["+regions+"east, west]", 1))
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, fmt.Sprintf("%d regions, but", yamlpos.MaxVisits+2)) {
		t.Errorf("want the count of regions only, got\n%.500v", errs)
	}
}
