package jobs

import (
	"bufio"
	"compress/gzip"
	"context"
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

// startPointWait bounds the wait for pg_basebackup's start line once its
// data flows: the line is written before the data, but reaches the job
// through another pipe.
const startPointWait = 5 * time.Second

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
	pos := newBasebackupProgress()
	bb := &tool{name: prog, password: password, stderr: io.MultiWriter(pos, orDiscard(b.Stderr)),
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

	// The first byte of data comes after the checkpoint and the start
	// point's line: the manifest's snapshot is known before the upload
	// starts (the data waits in the pipe meanwhile).
	data := bufio.NewReaderSize(stdout, 1<<20)
	if _, err := data.Peek(1); err != nil {
		if werr := wait(); werr != nil {
			return store.Manifest{}, "", fmt.Errorf("physical backup: %w", werr)
		}
		return store.Manifest{}, "", fmt.Errorf("physical backup: pg_basebackup wrote no data: %v", err)
	}
	startLSN, tli, snapTime, err := pos.waitStart(ctx, startPointWait)
	if err != nil {
		return store.Manifest{}, "", fmt.Errorf("physical backup: %w", err)
	}

	pr, pw := io.Pipe()
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		_, err := io.Copy(zw, data)
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
		ID: b.ID, Kind: store.KindPhysical, PostgresVersion: version,
		Start: start, SnapshotTime: snapTime, SnapshotLSN: startLSN.String(), Timeline: tli,
	}, pr, store.WithFinal(func(m *store.Manifest) error {
		stop, ok := pos.stop()
		if !ok {
			return errors.New("pg_basebackup did not name the backup's end point")
		}
		m.StopLSN, m.End = stop.String(), time.Now()
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

// basebackupProgress follows pg_basebackup's standard error line by line.
type basebackupProgress struct {
	mu       sync.Mutex
	partial  []byte
	started  chan struct{}
	startLSN LSN
	timeline int
	at       time.Time
	stopLSN  LSN
	stopped  bool
}

func newBasebackupProgress() *basebackupProgress {
	return &basebackupProgress{started: make(chan struct{})}
}

func (p *basebackupProgress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	for {
		i := strings.IndexByte(string(p.partial), '\n')
		if i < 0 {
			return len(b), nil
		}
		line := string(p.partial[:i])
		p.partial = p.partial[i+1:]
		which, lsn, tli, ok := BasebackupPoint(line)
		switch {
		case ok && which == "start" && p.at.IsZero():
			p.startLSN, p.timeline, p.at = lsn, tli, time.Now()
			close(p.started)
		case ok && which == "end":
			p.stopLSN, p.stopped = lsn, true
		}
	}
}

// waitStart returns the start point, and the wall clock when the line came
// (the backup's checkpoint is done by then: the snapshot time).
func (p *basebackupProgress) waitStart(ctx context.Context, d time.Duration) (LSN, int, time.Time, error) {
	select {
	case <-p.started:
	case <-ctx.Done():
		return 0, 0, time.Time{}, ctx.Err()
	case <-time.After(d):
		return 0, 0, time.Time{}, errors.New("pg_basebackup sent data but did not name the start point (is -v given?)")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.startLSN, p.timeline, p.at, nil
}

func (p *basebackupProgress) stop() (LSN, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopLSN, p.stopped
}
