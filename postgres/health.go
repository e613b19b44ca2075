package postgres

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill/topology"
)

// LookupTimeout bounds a host-name lookup of a health check. On the run's
// networks Docker's embedded DNS answers a node's name from memory within
// a millisecond, and never answers for a name that is gone (a dead node's:
// it forwards it to a resolver that does not reply). The sample app
// bounds its lookups to 250 ms for new connections; the manager's check
// needs only to tell the two apart, and every millisecond it waits is
// added to the detection of a killed primary.
const LookupTimeout = 100 * time.Millisecond

// CheckDSN is the one health check of a Postgres server, wherever it runs
// (the harness's Cluster.Check, the failover manager's watcher in the
// app's network namespace: docs/architecture.md, "The failover manager"):
// a fresh connection to dsn and SELECT 1, within ctx's deadline. A fresh
// connection, as a real checker makes: a pooled one can outlive the
// server it points at. The error never quotes the DSN's password.
func CheckDSN(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("parse the connection string: %w", redactPassword(err, passwordOf(dsn)))
	}
	// A name that no longer resolves (a dead node's container has left
	// the network's DNS) is a failed check, not one that waits out its
	// whole timeout on a resolver that never answers.
	cfg.LookupFunc = func(ctx context.Context, host string) ([]string, error) {
		lctx, cancel := context.WithTimeout(ctx, LookupTimeout)
		defer cancel()
		return net.DefaultResolver.LookupHost(lctx, host)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", redactPassword(err, cfg.Password))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("SELECT 1: %w", redactPassword(err, cfg.Password))
	}
	return nil
}

// ClientDSNs are the connection strings of every Postgres node as the
// app dials them: by host name on the run's networks, not through the
// harness's endpoints. For a watcher in the app's network namespace;
// they hold the password.
func (c *Cluster) ClientDSNs() map[string]string {
	port, _, _ := strings.Cut(topology.PortPostgres, "/")
	out := map[string]string{}
	for _, node := range c.topo.Postgres() {
		out[node] = c.dsnAt(node + ":" + port)
	}
	return out
}

// dsnAt is the run's connection string to the server at host:port.
func (c *Cluster) dsnAt(hostPort string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(c.cred.User, c.cred.Password), Host: hostPort, Path: "/" + c.cred.Database,
		RawQuery: "sslmode=disable&connect_timeout=2"}
	return u.String()
}

// passwordOf is the password of a URL-form DSN, "" when there is none.
func passwordOf(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

// redactPassword removes password from an error that may quote it.
func redactPassword(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return redacted{msg: strings.ReplaceAll(err.Error(), password, "[redacted]"), err: err}
}
