package pgnode

import "strings"

// InitDBScript is the init script of a logical restore: the official
// entrypoint (and the local recipe's) runs an executable *.sh in
// /docker-entrypoint-initdb.d as a command of its own, and stops on its
// failure.
func InitDBScript(agentArgs []string) string {
	return "#!/bin/sh\nset -e\nexec " + ShellQuote(append([]string{AgentPath}, agentArgs...)) + "\n"
}

// BeforeStartScript runs a physical restore into an empty data directory,
// then the server, as a replica's script does: `postgres` itself rather than
// the image's entrypoint, which would initdb an empty directory and hide
// a restore that left nothing. A data directory that holds a cluster
// (the node restarted after the restore) is started as it is.
func BeforeStartScript(agentArgs []string) string {
	return `set -eu
mkdir -p "$PGDATA"
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  ` + ShellQuote(append([]string{AgentPath}, agentArgs...)) + `
fi
exec postgres "$@"
`
}

// ShellQuote quotes each word for sh: inside single quotes nothing is
// special but the quote itself, written '\”.
func ShellQuote(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// PrimaryInit lets replicas connect for streaming replication: "all" in
// pg_hba.conf does not match the replication pseudo-database.
const PrimaryInit = `#!/bin/sh
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
`

// ReplicaScript clones the primary with pg_basebackup and runs the copy as a
// hot standby. It runs as the postgres user in the same image as the
// primary, so it works with the official image and with the local recipe.
const ReplicaScript = `set -eu
mkdir -p "$PGDATA"
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_basebackup -h "$FIREDRILL_PRIMARY" -p 5432 -U "$FIREDRILL_PG_USER" -D "$PGDATA" -R -X stream -c fast -C -S "$FIREDRILL_SLOT"; do
    echo "firedrill: pg_basebackup failed, retrying in 1s" >&2
    find "$PGDATA" -mindepth 1 -delete
    psql -h "$FIREDRILL_PRIMARY" -U "$FIREDRILL_PG_USER" -d postgres -Atc "SELECT pg_drop_replication_slot('$FIREDRILL_SLOT')" >/dev/null 2>&1 || true
    sleep 1
  done
fi
exec postgres "$@"
`
