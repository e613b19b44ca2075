package reportcmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/internal/outfile"
	"github.com/firedrill/firedrill/reports"
)

// unsafeName matches what may not stand in a history file's name.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// SaveHistory copies res into the history directory dir as
// dir/<scenario>/<started at, UTC>-<run id>.json, the form `firedrill
// history` reads, and returns the path. It never overwrites a file: a name
// already taken gets -2, -3...
func SaveHistory(dir string, res firedrill.Result) (string, error) {
	sub := filepath.Join(dir, unsafeName.ReplaceAllString(res.Scenario, "_"))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	stem := res.StartedAt.UTC().Format("20060102T150405Z") + "-" + unsafeName.ReplaceAllString(res.RunID, "_")
	for n := 1; n < 1000; n++ {
		name := stem + ".json"
		if n > 1 {
			name = fmt.Sprintf("%s-%d.json", stem, n)
		}
		path := filepath.Join(sub, name)
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, outfile.ModeOutput)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("history: %w", err)
		}
		err = reports.WriteJSON(fh, res)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("history: write %s: %w", path, err)
		}
		return path, nil
	}
	return "", fmt.Errorf("history: %s: every name for run %s is taken", sub, res.RunID)
}
