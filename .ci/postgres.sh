#!/usr/bin/env bash
# Starts and stops a throwaway PostgreSQL cluster for the postgres backend's
# tests.
#
#   eval "$(bash .ci/postgres.sh start)"   # prints: export SESSIONSTORE_POSTGRES_URL=postgres://...
#   bash .ci/postgres.sh stop
#
# The cluster is made by initdb in a temporary directory, listens on
# 127.0.0.1 only, on its own port (POSTGRES_PORT, default 5440) and with its
# Unix socket in that directory, so it never meets a system PostgreSQL on
# 5432. PostgreSQL refuses to run as root, so when this script runs as root
# the cluster belongs to the unprivileged user "postgres" (created by
# Debian's package; by this script when missing). Durability is traded for
# speed (fsync off): the data is thrown away at stop. Everything but the
# final export line goes to stderr, so that eval only sees the export.
set -euo pipefail

PORT="${POSTGRES_PORT:-5440}"
HOST=127.0.0.1
STATE="${TMPDIR:-/tmp}/sessionstore-postgres-${PORT}"
DATA="$STATE/data"
DBUSER=sessionstore

log() { echo "postgres.sh: $*" >&2; }

# bindir prints the directory of initdb, pg_ctl and createdb: Debian keeps
# them in /usr/lib/postgresql/<version>/bin, outside PATH (a link on PATH is
# followed to it).
bindir() {
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		dirname "$(readlink -f "$(command -v pg_ctl)")"
		return
	fi
	local d
	d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then
		echo "$d"
	fi
}

install_postgres() {
	if [ -n "$(bindir)" ]; then
		return
	fi
	log "installing postgresql"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq postgresql >&2
}

# as runs its arguments as the cluster's owner: "postgres" under root,
# else the current user.
as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

url() { echo "postgres://$DBUSER@$HOST:$PORT/sessionstore?sslmode=disable"; }

ready() { as "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

start() {
	install_postgres
	BIN="$(bindir)"
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		log "creating the unprivileged user postgres"
		useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
	fi
	if [ -d "$DATA" ] && ready; then
		log "already running on $HOST:$PORT"
		url | sed 's/^/export SESSIONSTORE_POSTGRES_URL=/'
		return
	fi
	if (echo >"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
		log "port $PORT answers but is not ours; set POSTGRES_PORT to another port"
		exit 1
	fi
	rm -rf "$STATE"
	mkdir -p "$STATE"
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$STATE"
	fi
	as "$BIN/initdb" -D "$DATA" -U "$DBUSER" -A trust -E UTF8 --no-sync >"$STATE/initdb.log" 2>&1 || {
		log "initdb failed; log follows"
		cat "$STATE/initdb.log" >&2
		exit 1
	}
	as "$BIN/pg_ctl" -D "$DATA" -l "$STATE/postgres.log" -w -t 30 start \
		-o "-c listen_addresses=$HOST -p $PORT -k $STATE -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >&2 || {
		log "postgres did not start; log follows"
		cat "$STATE/postgres.log" >&2 || true
		exit 1
	}
	as "$BIN/createdb" -h "$STATE" -p "$PORT" -U "$DBUSER" sessionstore >&2
	log "postgres up on $HOST:$PORT (data $DATA)"
	url | sed 's/^/export SESSIONSTORE_POSTGRES_URL=/'
}

stop() {
	BIN="$(bindir)"
	if [ -z "$BIN" ] || [ ! -d "$DATA" ]; then
		log "not running (no cluster in $STATE)"
		return
	fi
	as "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
		as "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$STATE"
	log "stopped"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
