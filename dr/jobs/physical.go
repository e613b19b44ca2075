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

	"github.com/firedrill/firedrill/dr/jobs/pgwal"
	"github.com/firedrill/firedrill/dr/store"
)

// PhysicalBackup is `agent backup physical`: pg_basebackup's tar of the
// whole cluster on standard output, gzip'd on the way into the store
// (docs/architecture.md, "WAL archiving and point-in-time recovery"). With
// -X none the backup holds no WAL; with archive_mode on the server makes
// pg_basebackup wait until the WAL the backup needs is archived, so a
// backup whose manifest is written is restorable.
type PhysicalBackup struct {
	DSN    string              // the primary, as FIREDRILL_PG_DSN
	ID     string              // the backup's id (store.NewID)
	Keep   int                 // retention after the backup (base backups, then WAL); 0 keeps everything
	Store  PhysicalBackupStore // where the backup goes
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
	var segSize uint64 // from the backup_label, for WAL retention
	// The positions come from the stream itself, read on the way: its
	// backup_label (first) names the start, the backup_manifest
	// pg_basebackup adds at the end the WAL range; -v's lines name them
	// only when WAL is streamed too. The cluster's system identifier comes
	// from the stream's global/pg_control rather than from a query over
	// the DSN: it is then the identifier of the very files backed up (the
	// DSN's name may reach another cluster by the time a query runs, a
	// node replaced from a logical backup), with no second connection, and
	// read as wal-push reads it.
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
		if pos.systemID == "" {
			return fmt.Errorf("the backup holds no readable %s: its cluster's system identifier, which names its WAL archive, is unknown", pgwal.ControlFile)
		}
		segSize = pgwal.SegmentSizeOf(uint32(pos.timeline), pos.start, pos.startFile)
		m.SnapshotLSN, m.StopLSN, m.Timeline, m.SystemID, m.End = pos.start.String(), pos.stop.String(), pos.timeline, pos.systemID, time.Now()
		return nil
	}))
	// An upload that failed first stops the compressor and pg_basebackup.
	pr.CloseWithError(errors.New("upload ended"))
	if err != nil {
		return store.Manifest{}, "", fmt.Errorf("physical backup: %w", err)
	}
	phase(b.Out, PhaseBackup, start, m.Size, m.ID, fmt.Sprintf("consistent from %s on timeline %d", m.StopLSN, m.Timeline))
	return m, retainPhysical(ctx, b.Store, m, segSize, b.Keep), nil
}

// PhysicalBackupStore is what a physical backup needs of the backup
// store: the catalog, and the WAL archive for WAL retention.
type PhysicalBackupStore interface {
	Catalog
	ListWAL(ctx context.Context, systemID string) ([]string, error)
	DeleteWAL(ctx context.Context, systemID string, names []string) (int, error)
}

var _ PhysicalBackupStore = (*store.Store)(nil)

// retainPhysical applies keep after the physical backup m: to the base
// backups (retain), then to the archived WAL of m's cluster
// (pgwal.ChooseDeletions, docs/architecture.md, "WAL archiving and
// point-in-time recovery"). Both outcomes go into the result's detail; the
// backup stands either way. WAL retention runs only after base-backup
// retention succeeded, on the catalog as it is then.
func retainPhysical(ctx context.Context, st PhysicalBackupStore, m store.Manifest, segSize uint64, keep int) string {
	detail, ok := retainBackups(ctx, st, store.KindPhysical, keep)
	switch {
	case keep <= 0:
		return detail
	case !ok:
		return detail + "; WAL retention skipped"
	}
	return detail + "; " + retainWAL(ctx, st, m.SystemID, segSize)
}

// retainWAL deletes the archived WAL of the cluster systemID that no kept
// backup of it needs, and says what it did.
func retainWAL(ctx context.Context, st PhysicalBackupStore, systemID string, segSize uint64) string {
	if segSize == 0 {
		return "WAL retention skipped: the backup's segment size is unknown (its backup_label names no start segment)"
	}
	entries, err := st.List(ctx, store.KindPhysical)
	if err != nil {
		return fmt.Sprintf("WAL retention of system %s failed: %v", systemID, err)
	}
	names, err := st.ListWAL(ctx, systemID)
	if err != nil {
		return fmt.Sprintf("WAL retention of system %s failed: %v", systemID, err)
	}
	doomed, below, err := pgwal.ChooseDeletions(systemID, names, entries, segSize)
	if err != nil {
		return fmt.Sprintf("WAL retention of system %s failed: %v", systemID, err)
	}
	switch {
	case below == "":
		return fmt.Sprintf("WAL of system %s: no complete backup of it listed, its WAL stays", systemID)
	case len(doomed) == 0:
		return fmt.Sprintf("WAL of system %s: nothing before segment position %s to delete", systemID, below)
	}
	span := doomed[0]
	if len(doomed) > 1 {
		span += " … " + doomed[len(doomed)-1]
	}
	n, err := st.DeleteWAL(ctx, systemID, doomed)
	if err != nil {
		return fmt.Sprintf("WAL retention of system %s failed after deleting %d of %d files (%s): %v", systemID, n, len(doomed), span, err)
	}
	return fmt.Sprintf("WAL of system %s: deleted %d files before segment position %s (%s)", systemID, n, below, span)
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
func BasebackupPoint(line string) (which string, lsn pgwal.LSN, timeline int, ok bool) {
	m := basebackupLine.FindStringSubmatch(line)
	if m == nil {
		return "", 0, 0, false
	}
	lsn, err := pgwal.ParseLSN(m[2])
	if err != nil {
		return "", 0, 0, false
	}
	if m[3] != "" {
		timeline, _ = strconv.Atoi(m[3])
	}
	return m[1], lsn, timeline, true
}

// baseInfo is what a base backup's own files say of it: where its WAL
// starts (the LSN and the segment file), where it is consistent, and the
// cluster's system identifier.
type baseInfo struct {
	start, stop pgwal.LSN
	timeline    int
	startFile   string
	systemID    string
}

// or fills what r lacks from o.
func (r baseInfo) or(o baseInfo) baseInfo {
	if r.start == 0 {
		r.start = o.start
	}
	if r.stop == 0 {
		r.stop = o.stop
	}
	if r.timeline == 0 {
		r.timeline = o.timeline
	}
	if r.startFile == "" {
		r.startFile = o.startFile
	}
	if r.systemID == "" {
		r.systemID = o.systemID
	}
	return r
}

// basebackupProgress follows pg_basebackup's standard error line by line.
type basebackupProgress struct {
	mu      sync.Mutex
	partial []byte
	r       baseInfo
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

func (p *basebackupProgress) positions() baseInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.r
}

// tarInspector reads a base backup's tar as it streams by (written to
// it), keeping what its few small files say: where its WAL starts and ends
// (backup_label, backup_manifest) and which cluster it is
// (global/pg_control).
type tarInspector struct {
	pw   *io.PipeWriter
	done chan struct{}
	r    baseInfo
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

func (t *tarInspector) positions() (baseInfo, error) {
	<-t.done
	return t.r, t.err
}

// inspectBaseTar reads a base backup tar: backup_label's START WAL
// LOCATION and START TIMELINE, backup_manifest's WAL-Ranges and
// global/pg_control's system identifier.
func inspectBaseTar(r io.Reader) (baseInfo, error) {
	var out baseInfo
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
		case pgwal.ControlFile:
			id, err := pgwal.ReadControl(tr)
			if err != nil {
				return out, fmt.Errorf("%s: %w", pgwal.ControlFile, err)
			}
			out.systemID = id
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
				stop, err := pgwal.ParseLSN(last.End)
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
func ParseBackupLabel(text string) (baseInfo, error) {
	var out baseInfo
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
			lsn, err := pgwal.ParseLSN(f[0])
			if err != nil {
				return out, fmt.Errorf("backup_label: %w", err)
			}
			out.start = lsn
			if len(f) == 3 && f[1] == "(file" {
				out.startFile = strings.TrimSuffix(f[2], ")")
			}
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
