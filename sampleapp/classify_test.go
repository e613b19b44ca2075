package sampleapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/firedrill/firedrill"
)

// safeToRetryErr stands for pgconn's internal errors that report nothing was
// sent (SafeToRetry), e.g. a write that failed before its first byte.
type safeToRetryErr struct{ safe bool }

func (e safeToRetryErr) Error() string {
	return fmt.Sprintf("write failed (safe to retry: %v)", e.safe)
}
func (e safeToRetryErr) SafeToRetry() bool { return e.safe }

func pgErr(severity, code, msg string) *pgconn.PgError {
	return &pgconn.PgError{Severity: severity, SeverityUnlocalized: severity, Code: code, Message: msg}
}

func TestClassifyWriteError(t *testing.T) {
	const (
		ok503 = http.StatusServiceUnavailable
		fail  = firedrill.OutcomeFailed
		indet = firedrill.OutcomeIndeterminate
	)
	// A real ConnectError, as pgx returns it for a refused connection.
	_, connectErr := pgconn.Connect(context.Background(), "postgres://u@127.0.0.1:1/db?connect_timeout=1&sslmode=disable")
	var ce *pgconn.ConnectError
	if !errors.As(connectErr, &ce) {
		t.Fatalf("pgconn.Connect to a closed port: %T %v, want *pgconn.ConnectError", connectErr, connectErr)
	}
	// A context error that pgconn raises before sending anything.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	_, alreadyDone := pgconn.Connect(done, "postgres://u@127.0.0.1:1/db?sslmode=disable")

	cases := []struct {
		name   string
		err    error
		status int
		want   firedrill.Outcome
	}{
		{"schema not ready", errNotReady, ok503, fail},
		{"acquire: context deadline while waiting for a connection", &acquireError{err: context.DeadlineExceeded}, ok503, fail},
		{"acquire: connect refused", &acquireError{err: connectErr}, ok503, fail},
		{"acquire: FATAL at startup", &acquireError{err: pgErr("FATAL", "57P03", "the database system is starting up")}, ok503, fail},
		// The INSERT is prepared on a connection before it is sent there: a
		// failure to prepare, however it happens, means it was not sent.
		{"prepare: connection lost", &acquireError{step: "prepare insert", err: io.ErrUnexpectedEOF}, ok503, fail},
		{"prepare: terminated", &acquireError{step: "prepare insert", err: pgErr("FATAL", "57P01", "terminating connection")}, ok503, fail},
		{"prepare: undefined table", &acquireError{step: "prepare insert", err: pgErr("ERROR", "42P01", "relation does not exist")}, ok503, fail},
		{"connect error", connectErr, ok503, fail},
		{"context already done", alreadyDone, ok503, fail},
		{"duplicate id", pgErr("ERROR", "23505", "duplicate key value violates unique constraint"), http.StatusConflict, fail},
		{"duplicate id, wrapped", fmt.Errorf("insert: %w", pgErr("ERROR", "23505", "dup")), http.StatusConflict, fail},
		{"read-only standby", pgErr("ERROR", "25006", "cannot execute INSERT in a read-only transaction"), ok503, fail},
		{"disk full", pgErr("ERROR", "53100", "could not extend file"), ok503, fail},
		{"statement cancelled", pgErr("ERROR", "57014", "canceling statement due to user request"), ok503, fail},
		{"undefined table", pgErr("ERROR", "42P01", "relation does not exist"), ok503, fail},
		{"terminated by administrator", pgErr("FATAL", "57P01", "terminating connection due to administrator command"), ok503, indet},
		{"crash of another backend", pgErr("FATAL", "57P02", "terminating connection because of crash of another server process"), ok503, indet},
		{"panic", pgErr("PANIC", "XX000", "could not write to file"), ok503, indet},
		{"localized severity only", &pgconn.PgError{Severity: "FEHLER", Code: "23505"}, ok503, indet},
		{"localized ERROR, unlocalized set", &pgconn.PgError{Severity: "FEHLER", SeverityUnlocalized: "ERROR", Code: "23505"}, http.StatusConflict, fail},
		{"safe to retry: nothing sent", safeToRetryErr{true}, ok503, fail},
		{"not safe to retry", safeToRetryErr{false}, ok503, indet},
		{"deadline mid-statement", context.DeadlineExceeded, ok503, indet},
		{"canceled mid-statement", context.Canceled, ok503, indet},
		{"connection lost", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, ok503, indet},
		{"unexpected EOF", io.ErrUnexpectedEOF, ok503, indet},
		{"no row returned", pgx.ErrNoRows, ok503, indet},
	}
	for _, tc := range cases {
		status, outcome := classifyWriteError(tc.err)
		if status != tc.status || outcome != tc.want {
			t.Errorf("%s (%v): %d %s, want %d %s", tc.name, tc.err, status, outcome, tc.status, tc.want)
		}
	}
}

func TestValidID(t *testing.T) {
	for _, id := range []string{"a", "run-1_00000001", "fd:2026.01.01-ABC_9", strings.Repeat("x", 128)} {
		if !validID(id) {
			t.Errorf("validID(%q) = false", id)
		}
	}
	for _, id := range []string{"", strings.Repeat("x", 129), "a b", "a/b", "a%2Fb", "é", "a;drop", "a\n", "'"} {
		if validID(id) {
			t.Errorf("validID(%q) = true", id)
		}
	}
}

func TestDescribeDSNHidesSecrets(t *testing.T) {
	cases := map[string]string{
		"postgres://app:s3cret@pg-primary:5432,pg-replica1:5433/app?target_session_attrs=read-write&connect_timeout=2": "hosts=pg-primary:5432,pg-replica1:5433 database=app target_session_attrs=read-write",
		"host=pg-a,pg-b port=5432 user=app password=s3cret dbname=app target_session_attrs=prefer-standby":             "hosts=pg-a:5432,pg-b:5432 database=app target_session_attrs=prefer-standby",
		"postgres://app:s3cret@[::1:bad": "unparsable",
	}
	for dsn, want := range cases {
		got := describeDSN(dsn)
		if got != want {
			t.Errorf("describeDSN(%q) = %q, want %q", dsn, got, want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("describeDSN leaks the password: %q", got)
		}
	}
}

func TestPoolConfig(t *testing.T) {
	cfg, err := poolConfig("postgres://app:pw@pg-primary:5432,pg-replica1:5432/app?target_session_attrs=read-write")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HealthCheckPeriod != healthCheckPeriod || cfg.MaxConns != defaultMaxConns ||
		cfg.ConnConfig.ConnectTimeout != defaultConnectTimeout || cfg.PingTimeout != pingTimeout {
		t.Errorf("pool config not tuned: health %s, max %d, connect timeout %s", cfg.HealthCheckPeriod, cfg.MaxConns, cfg.ConnConfig.ConnectTimeout)
	}
	// No ping on every checkout: pgxpool's default ShouldPing (idle > 1s),
	// and the socket check before every checkout.
	if cfg.ShouldPing != nil || cfg.PrepareConn == nil || cfg.BeforeAcquire != nil {
		t.Errorf("checkout checks: ShouldPing set %v, PrepareConn set %v, BeforeAcquire set %v; want only PrepareConn",
			cfg.ShouldPing != nil, cfg.PrepareConn != nil, cfg.BeforeAcquire != nil)
	}
	if len(cfg.ConnConfig.Fallbacks) == 0 || cfg.ConnConfig.ValidateConnect == nil {
		t.Errorf("multi-host / target_session_attrs not parsed by pgx")
	}
	cfg, err = poolConfig("postgres://app:pw@h/app?pool_max_conns=3&connect_timeout=7")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConns != 3 || cfg.ConnConfig.ConnectTimeout.Seconds() != 7 {
		t.Errorf("DSN settings overridden: max %d, connect timeout %s", cfg.MaxConns, cfg.ConnConfig.ConnectTimeout)
	}
	if _, err := poolConfig("postgres://app:s3cret@h:notaport/app"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad DSN: err %v (must be an error without the password)", err)
	}
}

// TestValidIDIsIDPattern: the hand-written check accepts exactly what the
// documented pattern does, for every byte at every position and at the
// length limits.
func TestValidIDIsIDPattern(t *testing.T) {
	ids := []string{"", strings.Repeat("a", 127), strings.Repeat("a", 128), strings.Repeat("a", 129), "é", "a\x00"}
	for c := range 256 {
		ids = append(ids, string(rune(c)), "x"+string([]byte{byte(c)}), string([]byte{byte(c)})+"y")
	}
	for _, id := range ids {
		if got, want := validID(id), idPattern.MatchString(id); got != want {
			t.Errorf("validID(%q) = %v, idPattern says %v", id, got, want)
		}
	}
}

func FuzzValidID(f *testing.F) {
	f.Add("run-1_00000001")
	f.Add("a b")
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := validID(id), idPattern.MatchString(id); got != want {
			t.Errorf("validID(%q) = %v, idPattern says %v", id, got, want)
		}
	})
}
