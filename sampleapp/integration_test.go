//go:build integration

package sampleapp

// Integration test against a real, throwaway Postgres server started from the
// host's binaries (FIREDRILL_PG_BIN, else /usr/lib/postgresql/*/bin). It fails,
// never skips, when they are missing: .ci/run installs postgresql-15. Run with: go test -tags integration ./sampleapp/

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/probe"
)

type pgServer struct {
	t       testing.TB
	bin     string
	dir     string
	port    int
	cred    *syscall.Credential
	cmd     *exec.Cmd
	exited  chan struct{}
	cluster string
	// settings are extra -c name=value server settings, after the defaults
	// (the last one of a name wins).
	settings []string
}

func pgBinDir(t testing.TB) string {
	if d := os.Getenv("FIREDRILL_PG_BIN"); d != "" {
		return d
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.Sort(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	t.Fatal("no Postgres server binaries: install postgresql-15 (.ci/run does) or set FIREDRILL_PG_BIN")
	return ""
}

// startPostgres initialises a cluster in a temporary directory and starts it
// on 127.0.0.1, with fsync off unless settings say otherwise. As root, it
// runs as the "postgres" user.
func startPostgres(t testing.TB, cluster string, settings ...string) *pgServer {
	s := &pgServer{t: t, bin: pgBinDir(t), cluster: cluster, settings: settings}
	dir, err := os.MkdirTemp("", "firedrill-pg-")
	if err != nil {
		t.Fatal(err)
	}
	s.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal("running as root without a postgres user: install postgresql-15 (.ci/run does)")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	s.run("initdb", "-D", filepath.Join(dir, "data"), "-U", "firedrill", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s.start()
	t.Cleanup(func() { s.stop(syscall.SIGQUIT) })
	return s
}

func (s *pgServer) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

func (s *pgServer) run(name string, args ...string) {
	if out, err := s.command(name, args...).CombinedOutput(); err != nil {
		s.t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func (s *pgServer) start() {
	args := []string{"-D", filepath.Join(s.dir, "data"), "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + s.dir,
		"-c", "cluster_name=" + s.cluster, "-c", "fsync=off"}
	for _, kv := range s.settings {
		args = append(args, "-c", kv)
	}
	s.cmd = s.command("postgres", args...)
	logf, err := os.Create(filepath.Join(s.dir, "postgres.log"))
	if err != nil {
		s.t.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); logf.Close(); close(s.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := pgx.Connect(context.Background(), s.dsn())
		if err == nil {
			c.Close(context.Background())
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
			s.t.Fatalf("postgres did not start: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop signals the postmaster (SIGQUIT: immediate shutdown, like a crash)
// and waits for it to exit.
func (s *pgServer) stop(sig syscall.Signal) {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(sig)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

func (s *pgServer) dsn() string {
	return fmt.Sprintf("postgres://firedrill@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", s.port)
}

func (s *pgServer) conn(t testing.TB) *pgx.Conn {
	c, err := pgx.Connect(t.Context(), s.dsn())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

type reply struct {
	status int
	body   map[string]any
}

func call(t *testing.T, method, url string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	json.Unmarshal(b, &body)
	return reply{resp.StatusCode, body}
}

func eventually(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serveApp serves the app with cfg on a free loopback port until the test
// ends (serve must then return no error) and returns its base URL.
func serveApp(t *testing.T, cfg Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// A server signs with its firedrill.node setting, not its cluster_name,
// which Patroni sets to the same scope on every member.
func TestIntegrationNodeSetting(t *testing.T) {
	pg := startPostgres(t, "firedrill", "firedrill.node=pg-replica1")
	dsn := fmt.Sprintf("postgres://firedrill@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", pg.port)
	base := serveApp(t, Config{WriteDSN: dsn + "&target_session_attrs=read-write", ReadDSN: dsn + "&target_session_attrs=prefer-standby",
		WriteTimeout: time.Second, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	eventually(t, "healthz", 10*time.Second, func() bool { return call(t, "GET", base+"/healthz").status == 200 })
	if r := call(t, "GET", base+"/healthz"); r.body["node"] != "pg-replica1" {
		t.Errorf("healthz: %v", r.body)
	}
	if r := call(t, "PUT", base+"/records/run-1_00000001"); r.status != 200 || r.body["node"] != "pg-replica1" {
		t.Errorf("PUT: %+v", r)
	}
	if r := call(t, "GET", base+"/records/run-1_00000001"); r.body["node"] != "pg-replica1" || r.body["served_by"] != "pg-replica1" {
		t.Errorf("GET: %+v", r)
	}
}

func TestIntegrationPostgres(t *testing.T) {
	pg := startPostgres(t, "pg-test")
	// The second host is a closed port: pgx walks the list itself.
	hosts := fmt.Sprintf("127.0.0.1:%d,127.0.0.1:1", pg.port)
	cfg := Config{
		WriteDSN:     "postgres://firedrill@" + hosts + "/postgres?sslmode=disable&connect_timeout=2&target_session_attrs=read-write",
		ReadDSN:      "postgres://firedrill@" + hosts + "/postgres?sslmode=disable&connect_timeout=2&target_session_attrs=prefer-standby",
		WriteTimeout: time.Second,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	base := serveApp(t, cfg)

	eventually(t, "healthz", 10*time.Second, func() bool { return call(t, "GET", base+"/healthz").status == 200 })
	if r := call(t, "GET", base+"/healthz"); r.body["node"] != "pg-test" {
		t.Errorf("healthz: %v", r.body)
	}

	t.Run("write, duplicate, read", func(t *testing.T) {
		if r := call(t, "PUT", base+"/records/run-1_00000001"); r.status != 200 || r.body["node"] != "pg-test" {
			t.Fatalf("PUT: %+v", r)
		}
		if r := call(t, "PUT", base+"/records/run-1_00000001"); r.status != 409 || r.body["outcome"] != "failed" {
			t.Errorf("PUT duplicate: %+v", r)
		}
		r := call(t, "GET", base+"/records/run-1_00000001")
		if r.status != 200 || r.body["node"] != "pg-test" || r.body["served_by"] != "pg-test" || r.body["written_at"] == nil {
			t.Errorf("GET: %+v", r)
		}
		if r := call(t, "GET", base+"/records/never-written"); r.status != 404 {
			t.Errorf("GET missing: %+v", r)
		}
	})

	t.Run("deadline mid-statement is indeterminate", func(t *testing.T) {
		// Another transaction holds the id: the app's INSERT waits on it past
		// its 1s write timeout. pgx then closes the connection and sends a
		// cancel request, which races with that transaction's rollback: the
		// abandoned INSERT may or may not commit. Hence "indeterminate".
		c := pg.conn(t)
		tx, err := c.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(t.Context(), insertSQL, "slow-1"); err != nil {
			t.Fatal(err)
		}
		r := call(t, "PUT", base+"/records/slow-1")
		if r.status != 503 || r.body["outcome"] != "indeterminate" {
			t.Errorf("PUT past the write timeout: %+v", r)
		}
		tx.Rollback(t.Context())
		time.Sleep(200 * time.Millisecond)
		t.Logf("abandoned insert committed anyway: %v", call(t, "GET", base+"/records/slow-1").status == 200)
	})

	t.Run("terminated backend is indeterminate", func(t *testing.T) {
		c := pg.conn(t)
		tx, err := c.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(context.Background())
		if _, err := tx.Exec(t.Context(), insertSQL, "term-1"); err != nil {
			t.Fatal(err)
		}
		res := make(chan reply, 1)
		go func() { res <- call(t, "PUT", base+"/records/term-1") }()
		admin := pg.conn(t) // outside tx: pg_stat_activity is a snapshot per transaction
		eventually(t, "app backend waits on the lock", 5*time.Second, func() bool {
			var n int
			admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO firedrill_writes%'`).Scan(&n)
			return n > 0
		})
		if r := <-res; r.status != 503 || r.body["outcome"] != "indeterminate" {
			t.Errorf("PUT on a terminated backend: %+v", r)
		}
	})

	t.Run("connection whose backend died is not used", func(t *testing.T) {
		// The pool's connections are busy a moment ago, so pgxpool's own
		// ShouldPing (idle > 1s) does not ping them: only the socket check
		// before checkout (prepareConn) keeps the next INSERT off them.
		for i := range 4 {
			if r := call(t, "PUT", base+"/records/before-kill-"+strconv.Itoa(i)); r.status != 200 {
				t.Fatalf("PUT: %+v", r)
			}
		}
		admin := pg.conn(t)
		var killed int
		if err := admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`).Scan(&killed); err != nil || killed == 0 {
			t.Fatalf("terminate the app's backends: %d, %v", killed, err)
		}
		eventually(t, "backends gone", 5*time.Second, func() bool {
			var n int
			admin.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
				WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`).Scan(&n)
			return n == 0
		})
		for i := range 4 {
			if r := call(t, "PUT", base+"/records/after-kill-"+strconv.Itoa(i)); r.status != 200 {
				t.Errorf("PUT after the backends died: %+v, want 200 on a new connection", r)
			}
		}
	})

	t.Run("read-only server rejects: failed", func(t *testing.T) {
		c := pg.conn(t)
		setRO := func(on bool) {
			if _, err := c.Exec(t.Context(), fmt.Sprintf("ALTER SYSTEM SET default_transaction_read_only = %v", on)); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Exec(t.Context(), "SELECT pg_reload_conf()"); err != nil {
				t.Fatal(err)
			}
		}
		// An idle connection made while the server was read-write.
		if r := call(t, "PUT", base+"/records/ro-before"); r.status != 200 {
			t.Fatalf("PUT: %+v", r)
		}
		setRO(true)
		defer setRO(false)
		// Each pooled connection answers 25006 once and is then closed;
		// after that, new connections are refused by target_session_attrs.
		var saw25006, sawRefused bool
		eventually(t, "connections re-checked", 10*time.Second, func() bool {
			r := call(t, "PUT", base+"/records/ro-"+strconv.FormatInt(time.Now().UnixNano(), 36))
			if r.status == 200 {
				return false // the reload has not reached the session yet
			}
			if r.status != 503 || r.body["outcome"] != "failed" {
				t.Fatalf("PUT on a read-only server: %+v", r)
			}
			msg, _ := r.body["error"].(string)
			switch {
			case strings.Contains(msg, "SQLSTATE 25006"):
				if sawRefused {
					t.Errorf("a read-only connection was reused: %s", msg)
				}
				saw25006 = true
			case strings.Contains(msg, "acquire connection") && strings.Contains(msg, "read only"):
				sawRefused = true
			default:
				t.Errorf("unexpected error: %s", msg)
			}
			return saw25006 && sawRefused
		})
		setRO(false)
		eventually(t, "writes again", 10*time.Second, func() bool {
			return call(t, "PUT", base+"/records/ro-back-"+strconv.FormatInt(time.Now().UnixNano(), 36)).status == 200
		})
	})

	t.Run("server down: failed, then recovery", func(t *testing.T) {
		pg.stop(syscall.SIGQUIT)
		for i := range 5 {
			r := call(t, "PUT", base+"/records/down-"+strconv.Itoa(i))
			if r.status != 503 || r.body["outcome"] != "failed" {
				t.Errorf("PUT with the server down: %+v", r)
			}
		}
		if r := call(t, "GET", base+"/healthz"); r.status != 503 {
			t.Errorf("healthz with the server down: %+v", r)
		}
		if r := call(t, "GET", base+"/livez"); r.status != 200 {
			t.Errorf("livez with the server down: %+v", r)
		}
		pg.start()
		eventually(t, "writes after restart", 10*time.Second, func() bool {
			return call(t, "PUT", base+"/records/up-"+strconv.FormatInt(time.Now().UnixNano(), 36)).status == 200
		})
		if r := call(t, "GET", base+"/records/run-1_00000001"); r.status != 200 {
			t.Errorf("committed row after crash recovery: %+v", r)
		}
		for i := range 5 {
			if r := call(t, "GET", base+"/records/down-"+strconv.Itoa(i)); r.status != 404 {
				t.Errorf("failed write down-%d exists: %+v", i, r)
			}
		}
	})
}

// TestIntegrationProbeThroughCrash drives the real probe through the app
// while the server crashes and restarts, then checks the ledger against the
// table: every acknowledged write exists, no failed write does.
func TestIntegrationProbeThroughCrash(t *testing.T) {
	pg := startPostgres(t, "pg-crash")
	cfg := Config{
		WriteDSN:     fmt.Sprintf("postgres://firedrill@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=1&target_session_attrs=read-write", pg.port),
		WriteTimeout: time.Second,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, ln) }()
	defer func() { cancel(); <-served }()
	base := "http://" + ln.Addr().String()
	eventually(t, "healthz", 10*time.Second, func() bool { return call(t, "GET", base+"/healthz").status == 200 })

	tl := firedrill.NewTimeline()
	ledger := &firedrill.Ledger{}
	p := probe.New(probe.Config{Rate: 200, Timeout: 2 * time.Second, RunID: "crash"}, probe.NewHTTPWriter(base, 2*time.Second), tl, ledger)
	pctx, pcancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer pcancel()
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		time.Sleep(time.Second)
		pg.stop(syscall.SIGQUIT)
		time.Sleep(500 * time.Millisecond)
		pg.start()
	}()
	if err := p.Run(pctx); err != nil {
		t.Fatal(err)
	}
	<-restarted

	rows, err := pg.conn(t).Query(t.Context(), "SELECT id FROM "+Table+" WHERE id LIKE 'crash-%'")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, id := range stored {
		have[id] = true
	}
	count := map[firedrill.Outcome]int{}
	for _, op := range ledger.Ops() {
		count[op.Outcome]++
		switch {
		case op.Outcome == firedrill.OutcomeOK && !have[op.ID]:
			t.Errorf("acknowledged write %s (node %s) is missing", op.ID, op.Node)
		case op.Outcome == firedrill.OutcomeFailed && have[op.ID]:
			t.Errorf("failed write %s exists (%s)", op.ID, op.Error)
		}
	}
	t.Logf("ops %d: %v; rows %d", ledger.Len(), count, len(stored))
	if n := ledger.Len(); n != 600 {
		t.Errorf("%d ops in 3s at 200/s, want 600", n)
	}
	if count[firedrill.OutcomeOK] == 0 || count[firedrill.OutcomeFailed]+count[firedrill.OutcomeIndeterminate] == 0 {
		t.Errorf("outcomes %v: want writes acknowledged and writes lost to the crash", count)
	}
}
