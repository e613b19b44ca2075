package jobs

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill/dr/store"
)

// PhysicalBackup is `agent backup physical`: pg_basebackup's tar of the
// whole cluster on standard output, gzip'd on the way into the store
// (docs/architecture.md, "WAL archiving and point-in-time recovery"). With
// -X none the backup holds no WAL; with archive_mode on the server makes
// pg_basebackup wait until the WAL the backup needs is archived, so a
// backup whose manifest is written is restorable.
type PhysicalBackup struct {
	DSN    string  // the primary, as FIREDRILL_PG_DSN
	ID     string  // the backup's id (store.NewID)
	Keep   int     // retention after the backup; 0 keeps everything
	Store  Catalog // where the backup goes
	Out    io.Writer
	Stderr io.Writer // pg_basebackup's own messages (the container log); nil drops them
	// PgBasebackup is the program; "" is "pg_basebackup" from PATH.
	PgBasebackup string
}

// Run takes the backup and writes its report lines, the last a result or
// an error.
func (b PhysicalBackup) Run(ctx context.Context) (store.Manifest, error) {
	m, detail, err := b.run(ctx)
	res := Report{BackupID: b.ID, Detail: detail}
	if err == nil {
		res.Manifest = &m
	}
	return m, Finish(b.Out, res, err)
}

func (b PhysicalBackup) run(ctx context.Context) (store.Manifest, string, error) {
	start := time.Now()
	rest, password, err := SplitPassword(b.DSN)
	if err != nil {
		return store.Manifest{}, "", err
	}
	prog := b.PgBasebackup
	if prog == "" {
		prog = "pg_basebackup"
	}
	version := toolVersion(ctx, prog)
	lines := newBasebackupProgress()
	bb := &tool{name: prog, password: password, stderr: io.MultiWriter(lines, orDiscard(b.Stderr)),
		args: []string{"-d", rest, "-D", "-", "-Ft", "-X", "none", "-c", "fast", "-v", "-w", "-l", "firedrill-" + b.ID}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := bb.command(ctx)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return store.Manifest{}, "", fmt.Errorf("physical backup: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return store.Manifest{}, "", bb.failed(err)
	}
	var waitErr error
	var waitOnce sync.Once
	wait := func() error {
		waitOnce.Do(func() {
			if err := cmd.Wait(); err != nil {
				waitErr = bb.failed(err)
			}
		})
		return waitErr
	}
	defer func() { cancel(); _ = wait() }()

	// The first byte comes once the backup's checkpoint is done: that is
	// the snapshot time (the backup's start).
	data := bufio.NewReaderSize(stdout, 1<<20)
	if _, err := data.Peek(1); err != nil {
		if werr := wait(); werr != nil {
			return store.Manifest{}, "", fmt.Errorf("physical backup: %w", werr)
		}
		return store.Manifest{}, "", fmt.Errorf("physical backup: pg_basebackup wrote no data: %v", err)
	}
	snapTime := time.Now()
	// The positions come from the stream itself, read on the way: its
	// backup_label (first) names the start, the backup_manifest
	// pg_basebackup adds at the end the WAL range; -v's lines name them
	// only when WAL is streamed too.
	inspect := newTarInspector()
	pr, pw := io.Pipe()
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		_, err := io.Copy(zw, io.TeeReader(data, inspect))
		inspect.Close()
		if err == nil {
			err = zw.Close()
		}
		if err == nil {
			// The end of the stream is only the end of the backup once
			// pg_basebackup has said so: a backup cut short is not stored.
			err = wait()
		}
		pw.CloseWithError(err)
	}()
	m, err := b.Store.Put(ctx, store.Manifest{
		ID: b.ID, Kind: store.KindPhysical, PostgresVersion: version, Start: start, SnapshotTime: snapTime,
	}, pr, store.WithFinal(func(m *store.Manifest) error {
		pos, err := inspect.positions()
		if err != nil {
			return err
		}
		pos = pos.or(lines.positions())
		if pos.start == 0 || pos.stop == 0 || pos.timeline == 0 {
			return fmt.Errorf("the backup's WAL range is unknown (start %s, stop %s, timeline %d)", pos.start, pos.stop, pos.timeline)
		}
		m.SnapshotLSN, m.StopLSN, m.Timeline, m.End = pos.start.String(), pos.stop.String(), pos.timeline, time.Now()
		return nil
	}))
	// An upload that failed first stops the compressor and pg_basebackup.
	pr.CloseWithError(errors.New("upload ended"))
	if err != nil {
		return store.Manifest{}, "", fmt.Errorf("physical backup: %w", err)
	}
	phase(b.Out, PhaseBackup, start, m.Size, m.ID, fmt.Sprintf("consistent from %s on timeline %d", m.StopLSN, m.Timeline))
	return m, retain(ctx, b.Store, store.KindPhysical, b.Keep), nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// toolVersion is the Postgres version of a client program ("15.8" of
// "pg_basebackup (PostgreSQL) 15.8 (Debian 15.8-1)"), "" when it cannot
// tell: the job's image is the server's, so it is the server's version.
func toolVersion(ctx context.Context, prog string) string {
	out, err := exec.CommandContext(ctx, prog, "--version").Output()
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(out)); len(f) >= 3 {
		return f[2]
	}
	return ""
}

// basebackupLine matches pg_basebackup -v's lines naming the backup's WAL
// start and end: "write-ahead log start point: 0/2000028 on timeline 1",
// "write-ahead log end point: 0/2000100" (before Postgres 10: "transaction
// log").
var basebackupLine = regexp.MustCompile(`(?:write-ahead|transaction) log (start|end) point: ([0-9A-Fa-f]+/[0-9A-Fa-f]+)(?: on timeline (\d+))?`)

// BasebackupPoint reads one line of pg_basebackup -v's standard error:
// which point it names ("start" or "end"), the LSN and (on the start line)
// the timeline; ok is false for any other line.
func BasebackupPoint(line string) (which string, lsn LSN, timeline int, ok bool) {
	m := basebackupLine.FindStringSubmatch(line)
	if m == nil {
		return "", 0, 0, false
	}
	lsn, err := ParseLSN(m[2])
	if err != nil {
		return "", 0, 0, false
	}
	if m[3] != "" {
		timeline, _ = strconv.Atoi(m[3])
	}
	return m[1], lsn, timeline, true
}

// walRange is where a base backup's WAL starts and where it is consistent.
type walRange struct {
	start, stop LSN
	timeline    int
}

// or fills what r lacks from o.
func (r walRange) or(o walRange) walRange {
	if r.start == 0 {
		r.start = o.start
	}
	if r.stop == 0 {
		r.stop = o.stop
	}
	if r.timeline == 0 {
		r.timeline = o.timeline
	}
	return r
}

// basebackupProgress follows pg_basebackup's standard error line by line.
type basebackupProgress struct {
	mu      sync.Mutex
	partial []byte
	r       walRange
}

func newBasebackupProgress() *basebackupProgress { return &basebackupProgress{} }

func (p *basebackupProgress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := string(p.partial[:i])
		p.partial = p.partial[i+1:]
		which, lsn, tli, ok := BasebackupPoint(line)
		switch {
		case ok && which == "start":
			p.r.start, p.r.timeline = lsn, tli
		case ok && which == "end":
			p.r.stop = lsn
		}
	}
}

func (p *basebackupProgress) positions() walRange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.r
}

// tarInspector reads a base backup's tar as it streams by (written to
// it), keeping the two small files that say where its WAL starts and
// ends.
type tarInspector struct {
	pw   *io.PipeWriter
	done chan struct{}
	r    walRange
	err  error
}

func newTarInspector() *tarInspector {
	pr, pw := io.Pipe()
	t := &tarInspector{pw: pw, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		t.r, t.err = inspectBaseTar(pr)
		// Whatever is left (the tar's padding) must still be taken, or
		// the stream would stall.
		_, _ = io.Copy(io.Discard, pr)
	}()
	return t
}

func (t *tarInspector) Write(b []byte) (int, error) {
	// A failed inspection must not stop the backup: its error comes out
	// of positions.
	_, _ = t.pw.Write(b)
	return len(b), nil
}

func (t *tarInspector) Close() { t.pw.Close() }

func (t *tarInspector) positions() (walRange, error) {
	<-t.done
	return t.r, t.err
}

// inspectBaseTar reads a base backup tar: backup_label's START WAL
// LOCATION and START TIMELINE, backup_manifest's WAL-Ranges.
func inspectBaseTar(r io.Reader) (walRange, error) {
	var out walRange
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read the backup's tar: %w", err)
		}
		switch hdr.Name {
		case "backup_label":
			b, err := io.ReadAll(io.LimitReader(tr, 64<<10))
			if err != nil {
				return out, fmt.Errorf("read backup_label: %w", err)
			}
			lbl, err := ParseBackupLabel(string(b))
			if err != nil {
				return out, err
			}
			out = lbl.or(out)
		case "backup_manifest":
			var man struct {
				WALRanges []struct {
					Timeline int    `json:"Timeline"`
					Start    string `json:"Start-LSN"`
					End      string `json:"End-LSN"`
				} `json:"WAL-Ranges"`
			}
			if err := json.NewDecoder(tr).Decode(&man); err != nil {
				return out, fmt.Errorf("read backup_manifest: %w", err)
			}
			if n := len(man.WALRanges); n > 0 {
				last := man.WALRanges[n-1]
				stop, err := ParseLSN(last.End)
				if err != nil {
					return out, fmt.Errorf("backup_manifest: %w", err)
				}
				out.stop = stop
			}
		}
	}
}

// ParseBackupLabel reads the start of a base backup from its backup_label:
// "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)" and
// "START TIMELINE: 1".
func ParseBackupLabel(text string) (walRange, error) {
	var out walRange
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch k {
		case "START WAL LOCATION":
			f := strings.Fields(v)
			if len(f) == 0 {
				return out, fmt.Errorf("backup_label: %q", line)
			}
			lsn, err := ParseLSN(f[0])
			if err != nil {
				return out, fmt.Errorf("backup_label: %w", err)
			}
			out.start = lsn
		case "START TIMELINE":
			tli, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return out, fmt.Errorf("backup_label: %q", line)
			}
			out.timeline = tli
		}
	}
	if out.start == 0 || out.timeline == 0 {
		return out, errors.New("backup_label names no start WAL location and timeline")
	}
	return out, nil
}
