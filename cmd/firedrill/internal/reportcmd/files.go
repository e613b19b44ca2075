package reportcmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/internal/outfile"
	"github.com/firedrill/firedrill/reports"
	_ "github.com/firedrill/firedrill/reports/all" // every format it writes by name
)

// EnvStepSummary names the file GitHub Actions gives each job for its
// summary: the steps of a job share it, so a report written there is
// appended, never truncated.
const EnvStepSummary = "GITHUB_STEP_SUMMARY"

// Target is one report file to write: a format of the registry and a path.
type Target struct {
	Format string
	Path   string
}

// Targets lists the targets set among path flags: format name → path
// ("" for a flag not given), in the registry's name order.
func Targets(paths map[string]string) []Target {
	var out []Target
	for _, name := range []string{"html", "json", "junit", "markdown"} {
		if p := paths[name]; p != "" {
			out = append(out, Target{Format: name, Path: p})
		}
	}
	return out
}

// CheckTargets says, before anything runs, whether every target can be
// written: its format is in this build, its directory exists or can be
// made, it is not a directory. Every problem is returned, joined.
func CheckTargets(targets []Target) error {
	var errs []error
	for _, t := range targets {
		if _, ok := reports.Lookup(t.Format); !ok {
			errs = append(errs, fmt.Errorf("--%s %s: this build has no %s format (formats: %v)", t.Format, t.Path, t.Format, reports.FormatNames()))
			continue
		}
		if st, err := os.Stat(t.Path); err == nil && st.IsDir() {
			errs = append(errs, fmt.Errorf("--%s %s: it is a directory; give a file name", t.Format, t.Path))
			continue
		}
		if err := outfile.CheckDir(filepath.Dir(t.Path)); err != nil {
			errs = append(errs, fmt.Errorf("--%s %s: %w", t.Format, t.Path, err))
		}
	}
	return errors.Join(errs...)
}

// WriteReports renders results into every target: one combined report of
// all of them. A markdown target that is $GITHUB_STEP_SUMMARY's file is
// appended to. Every failure is returned, joined; the other targets are
// still written.
func WriteReports(targets []Target, results []firedrill.Result, opts reports.Options) error {
	var errs []error
	for _, t := range targets {
		if err := writeReport(t, results, opts); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func writeReport(t Target, results []firedrill.Result, opts reports.Options) error {
	f, ok := reports.Lookup(t.Format)
	if !ok {
		return fmt.Errorf("%s: this build has no %s format", t.Path, t.Format)
	}
	// Rendered whole first: a renderer's error leaves no half-written file.
	var b bytes.Buffer
	if err := f.New(opts).Render(&b, results); err != nil {
		return fmt.Errorf("render %s report %s: %w", t.Format, t.Path, err)
	}
	if t.Format == "markdown" && isStepSummary(t.Path) {
		return appendFile(t.Path, b.Bytes())
	}
	return outfile.Write(t.Path, outfile.ModeOutput, func(w io.Writer) error {
		_, err := w.Write(b.Bytes())
		return err
	})
}

// WriteDrillReports writes a drill's reports into its output directory,
// each under its format's file name (reports.Format.File): report.html,
// junit.xml, the Markdown summary. result.json is the run command's own.
func WriteDrillReports(dir string, res firedrill.Result) ([]string, error) {
	var written []string
	var errs []error
	for _, f := range reports.Formats() {
		if f.File == "" || f.Name == "json" {
			continue
		}
		path := filepath.Join(dir, f.File)
		if err := writeReport(Target{Format: f.Name, Path: path}, []firedrill.Result{res}, reports.Options{}); err != nil {
			errs = append(errs, err)
			continue
		}
		written = append(written, f.File)
	}
	return written, errors.Join(errs...)
}

// DrillReportFiles lists the files WriteDrillReports writes, for --help
// and the end-of-drill line.
func DrillReportFiles() []string {
	var files []string
	for _, f := range reports.Formats() {
		if f.File != "" && f.Name != "json" {
			files = append(files, f.File)
		}
	}
	return files
}

// isStepSummary says whether path is the file $GITHUB_STEP_SUMMARY names.
func isStepSummary(path string) bool {
	summary := os.Getenv(EnvStepSummary)
	if summary == "" {
		return false
	}
	a, errA := filepath.Abs(path)
	b, errB := filepath.Abs(summary)
	if errA == nil && errB == nil && a == b {
		return true
	}
	sa, errA := os.Stat(path)
	sb, errB := os.Stat(summary)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// appendFile appends b to path, creating it, never through a symlink or
// into a FIFO (as outfile.Write refuses them).
func appendFile(path string, b []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, outfile.ModeOutput)
	if err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	st, err := fh.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err == nil {
		_, err = fh.Write(b)
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	return nil
}
