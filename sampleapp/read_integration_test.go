//go:build integration

package sampleapp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/probe"
)

// startStandby starts a streaming standby of primary: a server set up by
// startPostgres whose cluster is replaced by a base backup of primary's
// (pg_basebackup -R writes the standby's settings).
func startStandby(t *testing.T, primary *pgServer, cluster string) *pgServer {
	s := startPostgres(t, cluster)
	s.stop(syscall.SIGQUIT)
	data := filepath.Join(s.dir, "data")
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	s.run("pg_basebackup", "-h", "127.0.0.1", "-p", fmt.Sprint(primary.port), "-U", "firedrill", "-D", data, "-R", "--no-sync")
	s.start()
	return s
}

// The read endpoint against a real primary and a real streaming standby:
// reads are served by the standby while it is up (a row it has not
// replayed yet is a not-found that names it), and by the primary once the
// standby is gone, while writes go on; the probe's HTTPReader reads the
// answers as the read workload does.
func TestIntegrationReadEndpoint(t *testing.T) {
	primary := startPostgres(t, "pg-p")
	standby := startStandby(t, primary, "pg-s")
	hosts := fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d", primary.port, standby.port)
	cfg := Config{
		WriteDSN:     "postgres://firedrill@" + hosts + "/postgres?sslmode=disable&connect_timeout=2&target_session_attrs=read-write",
		ReadDSN:      "postgres://firedrill@" + hosts + "/postgres?sslmode=disable&connect_timeout=2&target_session_attrs=prefer-standby",
		WriteTimeout: time.Second,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	base := serveApp(t, cfg)
	eventually(t, "healthz", 10*time.Second, func() bool { return call(t, "GET", base+"/healthz").status == 200 })
	reader := probe.NewHTTPReader(base, 2*time.Second, probe.WithRate(10))
	defer reader.CloseIdleConnections()
	read := func(key string) (probe.ReadAnswer, firedrill.Outcome) {
		t.Helper()
		ans, outcome, err := reader.Read(t.Context(), key)
		t.Logf("read %s: %s %+v %v", key, outcome, ans, err)
		return ans, outcome
	}

	if r := call(t, "PUT", base+"/records/k-1"); r.status != 200 || r.body["node"] != "pg-p" {
		t.Fatalf("PUT: %+v", r)
	}
	eventually(t, "k-1 replayed on the standby", 10*time.Second, func() bool {
		r := call(t, "GET", base+"/reads/k-1")
		return r.status == 200
	})
	if r := call(t, "GET", base+"/reads/k-1"); r.body["served_by"] != "pg-s" || r.body["standby"] != true || r.body["node"] != "pg-p" || r.body["found"] != true {
		t.Errorf("read with the standby up: %+v, want found, committed by pg-p, served by the standby pg-s", r)
	}
	if ans, outcome := read("k-1"); outcome != firedrill.OutcomeOK || ans.Node != "pg-s" || ans.Role != firedrill.ServedByReplica {
		t.Errorf("HTTPReader: %s %+v, want ok from pg-s as a replica", outcome, ans)
	}

	t.Run("a standby that has not replayed the row: stale", func(t *testing.T) {
		sc := standby.conn(t)
		if _, err := sc.Exec(t.Context(), "SELECT pg_wal_replay_pause()"); err != nil {
			t.Fatal(err)
		}
		defer sc.Exec(context.Background(), "SELECT pg_wal_replay_resume()")
		eventually(t, "replay paused", 5*time.Second, func() bool {
			var state string
			sc.QueryRow(t.Context(), "SELECT pg_get_wal_replay_pause_state()").Scan(&state)
			return state == "paused"
		})
		if r := call(t, "PUT", base+"/records/k-2"); r.status != 200 {
			t.Fatalf("PUT: %+v", r)
		}
		r := call(t, "GET", base+"/reads/k-2")
		if r.status != 404 || r.body["found"] != false || r.body["served_by"] != "pg-s" || r.body["standby"] != true {
			t.Errorf("read of a row the standby lacks: %+v, want 404 from pg-s, a standby", r)
		}
		if ans, outcome := read("k-2"); outcome != firedrill.OutcomeStale || ans.Node != "pg-s" || ans.Role != firedrill.ServedByReplica {
			t.Errorf("HTTPReader: %s %+v, want stale from the replica pg-s", outcome, ans)
		}
		if _, err := sc.Exec(t.Context(), "SELECT pg_wal_replay_resume()"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "k-2 replayed", 10*time.Second, func() bool { return call(t, "GET", base+"/reads/k-2").status == 200 })
	})

	t.Run("the standby gone: the primary serves, writes go on", func(t *testing.T) {
		standby.stop(syscall.SIGQUIT)
		if r := call(t, "PUT", base+"/records/k-3"); r.status != 200 || r.body["node"] != "pg-p" {
			t.Errorf("PUT with the standby gone: %+v", r)
		}
		// A read on a connection to the dead standby fails (no retry
		// inside the request); the next ones dial again and land on the
		// primary.
		var failed int
		eventually(t, "reads served by the primary", 10*time.Second, func() bool {
			r := call(t, "GET", base+"/reads/k-3")
			switch {
			case r.status == 200 && r.body["served_by"] == "pg-p" && r.body["standby"] == false:
				return true
			case r.status == 503 && (r.body["outcome"] == "failed" || r.body["outcome"] == "indeterminate"):
				failed++
				return false
			}
			t.Fatalf("read with the standby gone: %+v, want 200 from pg-p or 503", r)
			return false
		})
		t.Logf("%d reads failed before the pool dialed the primary", failed)
		if ans, outcome := read("k-1"); outcome != firedrill.OutcomeOK || ans.Node != "pg-p" || ans.Role != firedrill.ServedByPrimary {
			t.Errorf("HTTPReader: %s %+v, want ok from pg-p as the primary", outcome, ans)
		}
		if ans, outcome := read("never-written"); outcome != firedrill.OutcomeStale || ans.Node != "pg-p" || ans.Role != firedrill.ServedByPrimary {
			t.Errorf("HTTPReader, a row nobody wrote: %s %+v, want stale from pg-p as the primary", outcome, ans)
		}
	})
}
