package sampleapp

import (
	"errors"
	"net/http"
	"regexp"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/firedrill/firedrill"
)

// idPattern is the shape of a record id: the probe's "<run id>-<sequence>".
// It is the documentation of validID, and the text of its error.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// validID reports whether id matches idPattern, byte by byte: it runs on
// every write, and the regular expression costs ten times as much.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// SQLSTATE codes the app treats specially.
const (
	sqlStateUniqueViolation  = "23505"
	sqlStateReadOnlySQLTrans = "25006" // the server is (now) a standby
)

// acquireError marks an error that happened while getting a connection
// ready for the INSERT (waiting for one, dialing, authenticating, checking
// target_session_attrs, pinging, preparing the statement): the INSERT was
// never sent.
type acquireError struct {
	step string // what failed; empty means "acquire connection"
	err  error
}

func (e *acquireError) Error() string {
	step := e.step
	if step == "" {
		step = "acquire connection"
	}
	return step + ": " + e.err.Error()
}
func (e *acquireError) Unwrap() error { return e.err }

// errNotReady is returned for writes before the schema exists.
var errNotReady = errors.New("schema not ready")

// classifyWriteError maps the error of one autocommit INSERT to the HTTP
// status and the outcome the client is told. It is the app's half of the
// measurement rules: "failed" only when the write certainly did not happen.
//
//   - no connection could be acquired, or connecting failed → failed: the
//     statement was never sent;
//   - the server answered the statement with an ERROR → failed: in autocommit
//     an ERROR aborts the transaction (after its commit record is written the
//     server can no longer raise ERROR, it would PANIC); a duplicate id is 409;
//   - the server ended the session (FATAL, PANIC: shutdown, crash of another
//     backend, pg_terminate_backend) → indeterminate: a backend told to die
//     can be told so after its commit record reached the WAL;
//   - pgconn.SafeToRetry: nothing was sent → failed;
//   - anything else (connection lost after sending, deadline mid-statement,
//     an error pgx does not classify) → indeterminate.
func classifyWriteError(err error) (status int, outcome firedrill.Outcome) {
	if errors.Is(err, errNotReady) {
		return http.StatusServiceUnavailable, firedrill.OutcomeFailed
	}
	var acqErr *acquireError
	if errors.As(err, &acqErr) {
		return http.StatusServiceUnavailable, firedrill.OutcomeFailed
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return http.StatusServiceUnavailable, firedrill.OutcomeFailed
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if !statementError(pgErr) {
			return http.StatusServiceUnavailable, firedrill.OutcomeIndeterminate
		}
		if pgErr.Code == sqlStateUniqueViolation {
			return http.StatusConflict, firedrill.OutcomeFailed
		}
		return http.StatusServiceUnavailable, firedrill.OutcomeFailed
	}
	if pgconn.SafeToRetry(err) {
		return http.StatusServiceUnavailable, firedrill.OutcomeFailed
	}
	return http.StatusServiceUnavailable, firedrill.OutcomeIndeterminate
}

// statementError reports whether the server rejected the statement with an
// ERROR (the transaction was rolled back) rather than ending the session.
func statementError(e *pgconn.PgError) bool {
	sev := e.SeverityUnlocalized // set by servers >= 9.6
	if sev == "" {
		sev = e.Severity
	}
	return sev == "ERROR"
}
