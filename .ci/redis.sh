#!/usr/bin/env bash
# Starts and stops a throwaway Redis server for the redis backend's tests.
#
#   eval "$(bash .ci/redis.sh start)"   # prints: export SESSIONSTORE_REDIS_ADDR=127.0.0.1:PORT
#   bash .ci/redis.sh stop
#
# The server listens on 127.0.0.1 only, on its own port (REDIS_PORT, default
# 6390) so that it never meets a system Redis on 6379, keeps its data in a
# temporary directory with appendonly yes, and is daemonized with a pidfile.
# Everything but the final export line goes to stderr, so that eval only
# sees the export.
set -euo pipefail

PORT="${REDIS_PORT:-6390}"
HOST=127.0.0.1
STATE="${TMPDIR:-/tmp}/sessionstore-redis-${PORT}"
PIDFILE="$STATE/redis.pid"

log() { echo "redis.sh: $*" >&2; }

install_redis() {
	if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
		return
	fi
	log "installing redis-server and redis-tools"
	bash "$(dirname "$0")/apt-install.sh" redis-server redis-tools
}

ping() { redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null || true; }

start() {
	install_redis
	if [ "$(ping)" = PONG ]; then
		if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
			log "already running on $HOST:$PORT (pid $(cat "$PIDFILE"))"
			echo "export SESSIONSTORE_REDIS_ADDR=$HOST:$PORT"
			return
		fi
		log "port $PORT answers but is not ours; set REDIS_PORT to another port"
		exit 1
	fi
	mkdir -p "$STATE"
	DATA="$(mktemp -d "$STATE/data.XXXXXX")"
	redis-server --bind "$HOST" --port "$PORT" --daemonize yes \
		--pidfile "$PIDFILE" --dir "$DATA" --appendonly yes \
		--save '' --logfile "$STATE/redis.log" >&2
	# Wait for PONG, at most about 10 s.
	for _ in $(seq 1 100); do
		if [ "$(ping)" = PONG ]; then
			log "redis-server up on $HOST:$PORT (data $DATA)"
			echo "export SESSIONSTORE_REDIS_ADDR=$HOST:$PORT"
			return
		fi
		sleep 0.1
	done
	log "redis-server did not answer PING on $HOST:$PORT; log follows"
	cat "$STATE/redis.log" >&2 || true
	exit 1
}

stop() {
	if [ ! -f "$PIDFILE" ]; then
		log "not running (no pidfile $PIDFILE)"
		return
	fi
	pid="$(cat "$PIDFILE")"
	if kill -0 "$pid" 2>/dev/null; then
		redis-cli -h "$HOST" -p "$PORT" shutdown nosave >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "redis-server (pid $pid) did not stop; killing it"
			kill -9 "$pid" 2>/dev/null || true
		fi
	fi
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
