package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/firedrill/firedrill/dr/store"
)

// Catalog is what the jobs need of the backup store.
type Catalog interface {
	Put(ctx context.Context, m store.Manifest, r io.Reader, opts ...store.PutOption) (store.Manifest, error)
	List(ctx context.Context, kind string) ([]store.Entry, error)
	Fetch(ctx context.Context, m store.Manifest, w io.WriterAt) (int64, error)
	Retain(ctx context.Context, kind string, keep int) ([]string, error)
}

var _ Catalog = (*store.Store)(nil)

// Finish writes the line that ends a job: "error" when err is set, else
// res as the "result" (its Type is set here). It returns err, so that a
// command can end with `return jobs.Finish(...)`.
func Finish(w io.Writer, res Report, err error) error {
	if err != nil {
		_ = Emit(w, Report{Type: TypeError, Detail: err.Error(), BackupID: res.BackupID, End: time.Now()})
		return err
	}
	res.Type = TypeResult
	if res.End.IsZero() {
		res.End = time.Now()
	}
	return Emit(w, res)
}

// SplitPassword takes the password out of a connection string (URL or
// keyword/value form) and returns the string without it and the password.
// The tools get the password in PGPASSWORD, never on their command line
// (where ps and error messages would show it).
func SplitPassword(dsn string) (rest, password string, err error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			// url's error quotes the input, password and all.
			return "", "", errors.New("jobs: the connection string is not a valid URL")
		}
		if u.User != nil {
			password, _ = u.User.Password()
			u.User = url.User(u.User.Username())
		}
		return u.String(), password, nil
	}
	var kept []string
	for _, f := range strings.Fields(dsn) {
		if v, ok := strings.CutPrefix(f, "password="); ok {
			password = strings.Trim(v, "'")
			continue
		}
		kept = append(kept, f)
	}
	return strings.Join(kept, " "), password, nil
}

// redact replaces every occurrence of the secrets in s.
func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// stderrTail is how much of a tool's standard error an error line carries.
const stderrTail = 4 << 10

// tailBuffer keeps the last stderrTail bytes written to it, and passes
// everything on to the job's own stderr (the container log).
type tailBuffer struct {
	buf  bytes.Buffer
	pass io.Writer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	if t.pass != nil {
		_, _ = t.pass.Write(p)
	}
	t.buf.Write(p)
	if extra := t.buf.Len() - stderrTail; extra > 0 {
		t.buf.Next(extra)
	}
	return len(p), nil
}

// tool is a Postgres client program run by a job.
type tool struct {
	name     string
	args     []string
	password string    // given in PGPASSWORD
	stderr   io.Writer // where the tool's stderr also goes (nil: only kept for errors)
	tail     tailBuffer
	cmd      *exec.Cmd
}

func (t *tool) command(ctx context.Context) *exec.Cmd {
	t.tail.pass = t.stderr
	cmd := exec.CommandContext(ctx, t.name, t.args...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+t.password)
	cmd.Stderr = &t.tail
	// SIGTERM first, so pg_dump and pg_restore end their sessions.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	t.cmd = cmd
	return cmd
}

// failed wraps err with the tool's name and the (redacted) end of its
// standard error.
func (t *tool) failed(err error) error {
	msg := strings.TrimSpace(redact(t.tail.buf.String(), t.password))
	if msg == "" {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	return fmt.Errorf("%s: %w: %s", t.name, err, msg)
}

// exitReader is the stdout of a running tool that reports the tool's
// failure in place of the end of the stream, so that a consumer (the
// uploader) never takes a dump cut short for a whole one.
type exitReader struct {
	r    io.Reader
	wait func() error
	done bool
	err  error
}

func (e *exitReader) Read(p []byte) (int, error) {
	if e.done {
		return 0, e.err
	}
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.done = true
		e.err = io.EOF
		if werr := e.wait(); werr != nil {
			e.err = werr
		}
		return n, e.err
	}
	return n, err
}

// phase emits a phase line that ends now.
func phase(w io.Writer, name string, start time.Time, bytes int64, id, detail string) {
	_ = Emit(w, Report{Type: TypePhase, Phase: name, Start: start, End: time.Now(), Bytes: bytes, BackupID: id, Detail: detail})
}

// tempFile creates the download file of a restore in dir (os.TempDir when
// empty); remove removes it.
func tempFile(dir, pattern string) (f *os.File, remove func(), err error) {
	f, err = os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, nil, fmt.Errorf("jobs: temporary file: %w", err)
	}
	return f, func() { f.Close(); os.Remove(f.Name()) }, nil
}

// FetchNewestValid downloads the newest complete backup of kind (only id,
// when id is set) that passes verification into a temporary file in
// tmpDir, printing a "download" phase for each try and a "rejected" line
// for each backup that failed verification. It returns the manifest, the
// file (at offset 0) and its remover. An error other than ErrCorrupt (the
// storage unreachable) stops the search: falling back to an older backup
// then would hide the outage and lose data.
func FetchNewestValid(ctx context.Context, cat Catalog, kind, id, tmpDir string, out io.Writer) (store.Manifest, *os.File, func(), error) {
	entries, err := cat.List(ctx, kind)
	if err != nil {
		return store.Manifest{}, nil, nil, err
	}
	tried := 0
	for _, e := range entries {
		if e.Incomplete || (id != "" && e.ID != id) {
			continue
		}
		tried++
		m := *e.Manifest
		f, remove, err := tempFile(tmpDir, "firedrill-"+kind+"-*")
		if err != nil {
			return store.Manifest{}, nil, nil, err
		}
		start := time.Now()
		n, err := cat.Fetch(ctx, m, f)
		if errors.Is(err, store.ErrCorrupt) {
			remove()
			_ = Emit(out, Report{Type: TypeRejected, Start: start, End: time.Now(), BackupID: m.ID, Detail: err.Error()})
			continue
		}
		if err != nil {
			remove()
			return store.Manifest{}, nil, nil, err
		}
		phase(out, PhaseDownload, start, n, m.ID, "")
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			remove()
			return store.Manifest{}, nil, nil, fmt.Errorf("jobs: rewind %s: %w", f.Name(), err)
		}
		return m, f, remove, nil
	}
	switch {
	case id != "" && tried == 0:
		return store.Manifest{}, nil, nil, fmt.Errorf("jobs: no complete %s backup %s", kind, id)
	case tried == 0:
		return store.Manifest{}, nil, nil, fmt.Errorf("jobs: no complete %s backup", kind)
	}
	return store.Manifest{}, nil, nil, fmt.Errorf("jobs: all %d complete %s backups failed verification", tried, kind)
}

// retain applies the retention after a backup; its outcome goes into the
// result's detail: the backup itself is taken either way.
func retain(ctx context.Context, cat Catalog, kind string, keep int) string {
	detail, _ := retainBackups(ctx, cat, kind, keep)
	return detail
}

// retainBackups is retain, and whether it succeeded (or had nothing to do).
func retainBackups(ctx context.Context, cat Catalog, kind string, keep int) (string, bool) {
	if keep <= 0 {
		return "", true
	}
	deleted, err := cat.Retain(ctx, kind, keep)
	if err != nil {
		return fmt.Sprintf("retention (keep %d) failed after deleting %v: %v", keep, deleted, err), false
	}
	if len(deleted) == 0 {
		return fmt.Sprintf("retention: keep %d, nothing deleted", keep), true
	}
	return fmt.Sprintf("retention: keep %d, deleted %s", keep, strings.Join(deleted, " ")), true
}
