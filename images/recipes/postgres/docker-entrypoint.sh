#!/usr/bin/env bash
# firedrill's entrypoint for its locally built Postgres 15 image.
#
# It is written from the documented contract of the official `postgres` image, so
# that a scenario behaves the same whether Docker could pull postgres:15 or had to
# use this recipe:
#   POSTGRES_PASSWORD     required unless POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER         superuser to create (default: postgres)
#   POSTGRES_DB           database to create (default: $POSTGRES_USER)
#   POSTGRES_INITDB_ARGS  extra initdb flags (shell words, as in the official image)
#   POSTGRES_INITDB_WALDIR, POSTGRES_HOST_AUTH_METHOD, PGDATA, and VAR_FILE variants
#   /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz  run once, on an empty PGDATA
# Started as root, it prepares the directories and re-executes itself as the
# `postgres` user (uid 999). A command that is neither `postgres` nor a flag is
# executed as given (for example `bash -c 'pg_basebackup ... && exec postgres'`).
#
# No `-u`: init scripts are sourced into this shell and the official image does not
# run them under `set -u` either.
set -Eeo pipefail

fd_log() {
	printf '%s [firedrill-entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2
}

fd_die() {
	fd_log "error: $*"
	exit 1
}

# fd_env VAR [default]: VAR comes from $VAR, or from the file named by $VAR_FILE
# (Docker secrets), or from the default. Setting both is a mistake worth stopping on.
fd_env() {
	local var=$1 def=${2:-}
	local file_var="${var}_FILE"
	local val=$def
	if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then
		fd_die "both $var and $file_var are set; set only one"
	fi
	if [[ -n ${!var:-} ]]; then
		val=${!var}
	elif [[ -n ${!file_var:-} ]]; then
		val=$(<"${!file_var}")
	fi
	export "$var"="$val"
	unset "$file_var"
}

fd_setup_env() {
	fd_env POSTGRES_PASSWORD
	fd_env POSTGRES_USER postgres
	fd_env POSTGRES_DB "$POSTGRES_USER"
	fd_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=}"
	: "${PGDATA:=/var/lib/postgresql/data}"
	export PGDATA
}

# Only a server start gets the initialisation treatment; asking postgres for its
# version or help must not create a cluster.
fd_is_server_start() {
	local arg
	for arg in "$@"; do
		case $arg in
		-'?' | --help | --describe-config | -V | --version | -C)
			return 1
			;;
		esac
	done
	return 0
}

fd_prepare_dirs() {
	mkdir -p "$PGDATA"
	# Postgres refuses a data directory others can read; chmod only works for the
	# owner, so a failure here is left for the server to report.
	chmod 00700 "$PGDATA" 2>/dev/null || :
	mkdir -p /var/run/postgresql
	chmod 2775 /var/run/postgresql 2>/dev/null || :
	if [[ -n ${POSTGRES_INITDB_WALDIR:-} ]]; then
		mkdir -p "$POSTGRES_INITDB_WALDIR"
		chmod 00700 "$POSTGRES_INITDB_WALDIR" 2>/dev/null || :
	fi
	if [[ $(id -u) == 0 ]]; then
		# A fresh volume or bind mount belongs to root: hand it to postgres.
		find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
		find /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
		if [[ -n ${POSTGRES_INITDB_WALDIR:-} ]]; then
			find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres:postgres '{}' +
		fi
	fi
}

fd_check_env() {
	if [[ -z $POSTGRES_PASSWORD && $POSTGRES_HOST_AUTH_METHOD != trust ]]; then
		fd_log "error: the database is uninitialized and POSTGRES_PASSWORD is empty."
		fd_log "  Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to the superuser's password,"
		fd_log "  or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without a password"
		fd_log "  (only for throw-away test environments)."
		exit 1
	fi
	if [[ $POSTGRES_HOST_AUTH_METHOD == trust ]]; then
		fd_log "warning: POSTGRES_HOST_AUTH_METHOD=trust: any client can connect as any user without a password"
	fi
}

fd_initdb() {
	local -a args=(--username="$POSTGRES_USER")
	if [[ -n $POSTGRES_PASSWORD ]]; then
		# The password goes through a private temporary file: never on a command
		# line (visible in ps) nor in the log. Global, so the EXIT trap sees it.
		FD_PWFILE=$(mktemp)
		trap 'rm -f "$FD_PWFILE"' EXIT
		chmod 600 "$FD_PWFILE"
		printf '%s\n' "$POSTGRES_PASSWORD" >"$FD_PWFILE"
		args+=(--pwfile="$FD_PWFILE")
	fi
	if [[ -n ${POSTGRES_INITDB_WALDIR:-} ]]; then
		args+=(--waldir="$POSTGRES_INITDB_WALDIR")
	fi
	# POSTGRES_INITDB_ARGS is a string of shell words (quotes allowed), as in the
	# official image, hence eval.
	eval 'initdb "${args[@]}" '"$POSTGRES_INITDB_ARGS"
	if [[ -n ${FD_PWFILE:-} ]]; then
		rm -f "$FD_PWFILE"
		trap - EXIT
		unset FD_PWFILE
	fi
}

fd_setup_hba() {
	local method=$POSTGRES_HOST_AUTH_METHOD
	if [[ -z $method ]]; then
		# Postgres 14+ hashes passwords with SCRAM by default; accept only that.
		method=scram-sha-256
	fi
	# `all` does not match replication connections: a primary that serves
	# streaming replicas needs its own `host replication ...` line.
	printf '\nhost all all all %s\n' "$method" >>"$PGDATA/pg_hba.conf"
}

# fd_sql runs psql as the superuser over the unix socket of the temporary server.
# Later --dbname arguments override the default.
fd_sql() {
	PGHOST= PGHOSTADDR= psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --dbname "$POSTGRES_DB" "$@"
}

# Init scripts written for the official image may call docker_process_sql.
docker_process_sql() {
	fd_sql "$@"
}

fd_temp_server_start() {
	if [[ ${1:-} == postgres ]]; then
		shift
	fi
	# The temporary server listens on the unix socket only, so no client can reach
	# a half-initialised database. Its log goes to our stderr: like the official
	# image, a first start logs "ready to accept connections" twice.
	set -- "$@" -c listen_addresses='' -p "${PGPORT:-5432}"
	PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

fd_temp_server_stop() {
	PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -m fast -w stop
}

fd_create_db() {
	if [[ $POSTGRES_DB == postgres ]]; then
		return 0
	fi
	local exists
	exists=$(fd_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only --no-align <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
	if [[ -z $exists ]]; then
		fd_sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
		fd_log "created database $POSTGRES_DB"
	fi
}

fd_run_init_files() {
	local f
	for f in /docker-entrypoint-initdb.d/*; do
		[[ -e $f ]] || continue
		case $f in
		*.sh)
			if [[ -x $f ]]; then
				fd_log "running $f"
				"$f"
			else
				fd_log "sourcing $f"
				# shellcheck disable=SC1090
				. "$f"
			fi
			;;
		*.sql)
			fd_log "running $f"
			fd_sql -f "$f"
			;;
		*.sql.gz)
			fd_log "running $f"
			gunzip -c "$f" | fd_sql
			;;
		*)
			fd_log "ignoring $f"
			;;
		esac
	done
}

fd_main() {
	if [[ $# -eq 0 ]]; then
		set -- postgres
	fi
	if [[ ${1:0:1} == - ]]; then
		set -- postgres "$@"
	fi
	if [[ $1 != postgres ]] || ! fd_is_server_start "$@"; then
		exec "$@"
	fi

	fd_setup_env
	if [[ $(id -u) == 0 ]]; then
		fd_prepare_dirs
		# Drop to the postgres user (uid 999) and start over as it.
		export HOME=/var/lib/postgresql
		exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
	fi
	fd_prepare_dirs

	if [[ -s $PGDATA/PG_VERSION ]]; then
		fd_log "PGDATA ($PGDATA) already contains a database; skipping initialization"
	else
		fd_check_env
		fd_log "initializing a new cluster in $PGDATA as user $POSTGRES_USER"
		fd_initdb
		fd_setup_hba
		export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
		fd_temp_server_start "$@"
		fd_create_db
		fd_run_init_files
		fd_temp_server_stop
		unset PGPASSWORD
		fd_log "initialization complete; starting the server"
	fi
	exec "$@"
}

fd_main "$@"
