package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/firedrill/firedrill/cmd/firedrill/internal/runplan"
	"github.com/firedrill/firedrill/internal/outfile"
)

// maxSettle bounds --settle: the DR engine keeps running during it and the
// read-back waits for it; hours are a typo.
const maxSettle = time.Hour

// checkRunFlags checks run's flags before anything is loaded or started.
func checkRunFlags(f *runFlags) error {
	var errs []error
	switch f.color {
	case "auto", "always", "never":
	default:
		errs = append(errs, fmt.Errorf("--color %q: want auto, always or never", f.color))
	}
	if f.settle < 0 {
		errs = append(errs, fmt.Errorf("--settle %s: must not be negative", f.settle))
	} else if f.settle > maxSettle {
		errs = append(errs, fmt.Errorf("--settle %s: at most %s", f.settle, maxSettle))
	}
	if f.out != "" {
		if err := outfile.CheckDir(f.out); err != nil {
			errs = append(errs, fmt.Errorf("--out %s: %w", f.out, err))
		}
	}
	if f.manager != "" {
		managers, err := runplan.ParseManagers(f.manager)
		f.managers = managers
		if err != nil {
			errs = append(errs, err)
		}
		if f.noFailover {
			errs = append(errs, errors.New("--no-failover is --manager none: give one of them, not both"))
		}
	}
	if err := checkReportFlags(f); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
