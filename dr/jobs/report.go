package jobs

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/firedrill/firedrill/dr/store"
)

// LinePrefix starts every report line, so that reports can be picked out
// of container logs among free text.
const LinePrefix = "FIREDRILL-JOB "

// Report types.
const (
	TypePhase    = "phase"
	TypeRejected = "rejected"
	TypeResult   = "result"
	TypeError    = "error"
)

// Phases of a job.
const (
	PhaseBackup   = "backup" // dump and upload, one phase: the dump streams into the upload
	PhaseDownload = "download"
	PhaseRestore  = "restore"
	PhaseExtract  = "extract"
	PhaseVerify   = "verify"
	PhaseAmcheck  = "amcheck"
)

// Report is one line of a job's output (docs/architecture.md, "Backups and
// the catalog").
type Report struct {
	Type     string          `json:"type"`
	Phase    string          `json:"phase,omitempty"`
	Start    time.Time       `json:"start,omitzero"` // wall clock, as Manifest
	End      time.Time       `json:"end,omitzero"`
	Bytes    int64           `json:"bytes,omitempty"`
	Detail   string          `json:"detail,omitempty"` // human text; never a secret
	BackupID string          `json:"backup_id,omitempty"`
	Manifest *store.Manifest `json:"manifest,omitempty"` // on "result": the backup taken or restored
	Amcheck  *Amcheck        `json:"amcheck,omitempty"`  // on restore results
}

// Amcheck is what amcheck said of a restored database's btree indexes.
type Amcheck struct {
	Indexes int      `json:"indexes"`
	Corrupt []string `json:"corrupt,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Emit writes r as one report line.
func Emit(w io.Writer, r Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("jobs: encode report: %w", err)
	}
	line := make([]byte, 0, len(LinePrefix)+len(b)+1)
	line = append(append(append(line, LinePrefix...), b...), '\n')
	if _, err := w.Write(line); err != nil {
		return fmt.Errorf("jobs: write report: %w", err)
	}
	return nil
}

// Parse reads a report line; false for a line that is not one. Leading
// text before the prefix (a log driver's timestamp) is ignored, trailing
// white space too.
func Parse(line string) (Report, bool) {
	i := strings.Index(line, LinePrefix)
	if i < 0 {
		return Report{}, false
	}
	var r Report
	if err := json.Unmarshal([]byte(strings.TrimSpace(line[i+len(LinePrefix):])), &r); err != nil || r.Type == "" {
		return Report{}, false
	}
	return r, true
}
