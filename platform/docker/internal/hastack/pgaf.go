package hastack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// Where a pg_auto_failover node's files are put: the node's own settings
// (included by postgresql.conf, which a standby's clone copies from the
// primary, so that each node keeps its own identity) and the pg_hba.conf
// its initdb gets.
const (
	PgafNodeConf = "/etc/firedrill/node.conf"
	PgafHBA      = "/etc/firedrill/pg_hba.conf"
)

// PgafData is a pg_auto_failover node's data directory: a directory of
// the node's volume, not the volume itself, since pg_autoctl clones a
// standby beside its data directory (../backup) and then replaces the
// directory with the clone, which a mount point cannot be.
const PgafData = topology.PostgresData + "/pgdata"

// PgafHBA lines. pg_autoctl's own rules name each peer by its address,
// which a fault that reconnects a node changes (--skip-pg-hba, then these):
// pg_auto_failover's users (the monitor's health checks, the standbys'
// replication and pg_rewind) from the run's networks without a password,
// as pg_autoctl's --auth trust sets them, and everyone else, the app's
// login first, by password.
var (
	keeperHBA = []string{
		"local all all trust",
		"host all pgautofailover_monitor samenet trust",
		"host replication pgautofailover_replicator samenet trust",
		"host all pgautofailover_replicator samenet trust",
		"host postgres postgres samenet trust",
		"host all all all scram-sha-256",
	}
	monitorHBA = []string{
		"local all all trust",
		"host " + topology.MonitorDatabase + " " + topology.MonitorUser + " samenet trust",
		"host all all all scram-sha-256",
	}
)

// PgafKeeperHBA and PgafMonitorHBA are the nodes' pg_hba.conf.
func PgafKeeperHBA() string  { return strings.Join(keeperHBA, "\n") + "\n" }
func PgafMonitorHBA() string { return strings.Join(monitorHBA, "\n") + "\n" }

// PgafConf is a configuration file of settings, one `name = 'value'` line
// each, sorted.
func PgafConf(settings map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(&b, "%s = '%s'\n", k, strings.ReplaceAll(settings[k], "'", "''"))
	}
	return b.String()
}

func millis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// PgafMonitorSettings are the monitor's health-check settings, the
// scenario's (its defaults are pg_auto_failover's documented ones): GUCs of
// the pgautofailover extension, in milliseconds.
func PgafMonitorSettings(pa scenarios.PgAutoFailover) map[string]string {
	return map[string]string{
		"pgautofailover.health_check_period":               millis(pa.HealthCheckPeriod.Duration),
		"pgautofailover.health_check_timeout":              millis(pa.HealthCheckTimeout.Duration),
		"pgautofailover.health_check_max_retries":          strconv.Itoa(pa.HealthCheckMaxRetries),
		"pgautofailover.health_check_retry_delay":          millis(pa.HealthCheckRetryDelay.Duration),
		"pgautofailover.node_considered_unhealthy_timeout": millis(pa.NodeConsideredUnhealthyTimeout.Duration),
		"pgautofailover.primary_demote_timeout":            millis(pa.PrimaryDemoteTimeout.Duration),
	}
}

// MonitorURI is how the keepers reach the monitor.
func MonitorURI(monitor string) string {
	return "postgres://" + topology.MonitorUser + "@" + monitor + ":" + postgresPort + "/" + topology.MonitorDatabase + "?sslmode=disable"
}

// PgafStandbyName is the application_name pg_auto_failover gives the
// standby of a node id (its standbys' primary_conninfo, the primary's
// synchronous_standby_names).
func PgafStandbyName(nodeID int) string { return "pgautofailover_standby_" + strconv.Itoa(nodeID) }

// pgafInit initialises a data directory that has none, with the node's
// pg_hba.conf and its own settings included: the node that creates the
// cluster (the monitor, the initial primary). A standby's comes from the
// primary's clone, and so do those files.
const pgafInit = `if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb --pgdata "$PGDATA" --username postgres --encoding UTF8 --data-checksums --auth-local trust --auth-host scram-sha-256 >/dev/null
  cp "$FIREDRILL_HBA" "$PGDATA/pg_hba.conf"
  echo "include_if_exists = '$FIREDRILL_NODE_CONF'" >> "$PGDATA/postgresql.conf"
fi
`

// PgafMonitorScript runs the monitor: its data directory initialised as
// pgafInit says, then pg_autoctl's monitor on it, in the foreground.
func PgafMonitorScript() string {
	return "set -eu\n" + pgafInit +
		`exec pg_autoctl create monitor --pgdata "$PGDATA" --hostname "$FIREDRILL_NODE" --no-ssl --skip-pg-hba --run` + "\n"
}

// PgafKeeperScript runs a keeper. The initial primary (FIREDRILL_FIRST=1)
// initialises its data directory and, once its Postgres is the primary
// and the app's database exists, creates the run's login (a superuser,
// as under the builtin stack) with its password read from the
// environment into psql's input, never onto a command line; the other
// nodes clone it (pg_autoctl's pg_basebackup) from FIREDRILL_CLONE_FROM,
// after an immediate checkpoint there. Each then registers with
// the monitor and runs, in the foreground.
func PgafKeeperScript() string {
	return "set -eu\n" + `if [ "${FIREDRILL_FIRST:-0}" = 1 ]; then
` + pgafInit + `  (
    until [ "$(psql -h /var/run/postgresql -d postgres -tAc 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ] &&
      psql -h /var/run/postgresql -d "$FIREDRILL_DB" -tAc 'SELECT 1' >/dev/null 2>&1; do sleep 0.2; done
    psql -h /var/run/postgresql -d postgres -v ON_ERROR_STOP=1 -q <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$FIREDRILL_PG_USER') THEN
    CREATE ROLE "$FIREDRILL_PG_USER" LOGIN SUPERUSER PASSWORD '$FIREDRILL_PG_PASSWORD';
  END IF;
END \$\$;
SQL
  ) &
elif [ ! -s "$PGDATA/PG_VERSION" ] && [ -n "${FIREDRILL_CLONE_FROM:-}" ]; then
  # pg_autoctl clones without a fast checkpoint: the clone would wait for
  # the primary's spread checkpoint of its setup (over a minute). An
  # immediate one first leaves that one nothing to write.
  psql -h "$FIREDRILL_CLONE_FROM" -U postgres -d postgres -qc CHECKPOINT || true
fi
exec pg_autoctl create postgres --pgdata "$PGDATA" --monitor "$FIREDRILL_MONITOR" --hostname "$FIREDRILL_NODE" --name "$FIREDRILL_NODE" \
  --no-ssl --skip-pg-hba --dbname "$FIREDRILL_DB" --run
`
}

// PgafEnv is a pg_auto_failover node's environment for its script.
func PgafEnv(node, monitor string) map[string]string {
	return map[string]string{
		"PGDATA": PgafData, "FIREDRILL_NODE": node, "FIREDRILL_MONITOR": MonitorURI(monitor),
		"FIREDRILL_HBA": PgafHBA, "FIREDRILL_NODE_CONF": PgafNodeConf,
	}
}

// MonitorDSN is how the harness reaches the monitor at addr (host:port).
func MonitorDSN(addr string) string {
	return "postgres://" + topology.MonitorUser + "@" + addr + "/" + topology.MonitorDatabase + "?sslmode=disable&connect_timeout=2"
}

// MonitorNodeID asks the monitor at dsn for the id of the node it knows
// as name; ok is false while the node has not registered.
func MonitorNodeID(ctx context.Context, dsn, name string) (id int, ok bool, err error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	err = conn.QueryRow(ctx, "SELECT nodeid FROM pgautofailover.node WHERE nodename = $1", name).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}
