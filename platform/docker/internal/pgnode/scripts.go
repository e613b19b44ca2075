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
