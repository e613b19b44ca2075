package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// A failed health check says why without quoting the password, whether
// the connection string is unusable or the server does not answer.
func TestCheckDSNFailsWithoutQuotingThePassword(t *testing.T) {
	const secret = "s3cret-pw"
	for name, dsn := range map[string]string{
		"refused":     "postgres://firedrill:" + secret + "@127.0.0.1:1/firedrill?sslmode=disable",
		"bad port":    "postgres://firedrill:" + secret + "@127.0.0.1:notaport/firedrill?sslmode=disable",
		"bad setting": "postgres://firedrill:" + secret + "@127.0.0.1:1/firedrill?sslmode=sometimes",
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err := CheckDSN(ctx, dsn)
			if err == nil {
				t.Fatal("a check of a server that is not there passed")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error quotes the password: %v", err)
			}
		})
	}
}

func TestRedactPassword(t *testing.T) {
	err := redactPassword(errTest("dial postgres://u:pw1234@h/db failed"), "pw1234")
	if strings.Contains(err.Error(), "pw1234") || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("redacted = %q", err)
	}
	if redactPassword(nil, "x") != nil {
		t.Error("nil stays nil")
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

// The watcher dials the nodes as the app does: by host name on the run's
// networks, with the run's login.
func TestClientDSNsNameEveryNodeByHost(t *testing.T) {
	scn, err := scenarios.Builtin("primary-kill")
	if err != nil {
		t.Fatal(err)
	}
	c := New(nil, topology.New(scn), Credentials{User: "u", Password: "p w", Database: "d"})
	got := c.ClientDSNs()
	if len(got) != 2 {
		t.Fatalf("%d DSNs, want one per Postgres node: %v", len(got), got)
	}
	for node, dsn := range got {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatalf("%s: %v", node, err)
		}
		if cfg.Host != node || cfg.Port != 5432 || cfg.User != "u" || cfg.Password != "p w" || cfg.Database != "d" {
			t.Errorf("%s: DSN for %s:%d user %s db %s", node, cfg.Host, cfg.Port, cfg.User, cfg.Database)
		}
	}
}
