#!/usr/bin/env bash
# Starts and stops a throwaway three-master Redis Cluster for the redis
# backend's cluster tests.
#
#   eval "$(bash .ci/redis-cluster.sh start)"
#       # prints: export SESSIONSTORE_REDIS_CLUSTER_ADDRS=127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
#   bash .ci/redis-cluster.sh stop
#
# The masters listen on 127.0.0.1 only, on ports from REDIS_CLUSTER_PORT
# (default 7000) upwards, skipping ports already taken, and keep their data,
# nodes.conf and logs in a temporary directory. No replicas: the tests check
# how keys and load spread over masters, not failover. Everything but the
# final export line goes to stderr, so that eval only sees the export.
set -euo pipefail

BASE="${REDIS_CLUSTER_PORT:-7000}"
HOST=127.0.0.1
MASTERS=3
STATE="${TMPDIR:-/tmp}/sessionstore-redis-cluster-${BASE}"
PORTS="$STATE/ports"

log() { echo "redis-cluster.sh: $*" >&2; }

install_redis() {
	if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
		return
	fi
	log "installing redis-server and redis-tools"
	bash "$(dirname "$0")/apt-install.sh" redis-server redis-tools
}

ping() { redis-cli -h "$HOST" -p "$1" ping 2>/dev/null || true; }

# taken reports whether something listens on port $1 (a cluster node also
# needs port $1+10000 for its bus).
taken() {
	[ "$(ping "$1")" = PONG ] && return 0
	(exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null && return 0
	(exec 3<>"/dev/tcp/$HOST/$(($1 + 10000))") 2>/dev/null && return 0
	return 1
}

addrs() {
	local out="" p
	for p in $(cat "$PORTS"); do
		out="${out:+$out,}$HOST:$p"
	done
	echo "$out"
}

cluster_ok() {
	local p info
	for p in $(cat "$PORTS"); do
		# Read the whole answer before matching: grep -q in a pipeline may
		# exit before redis-cli has written everything, and pipefail would
		# then count redis-cli's SIGPIPE as a failed check.
		info="$(redis-cli -h "$HOST" -p "$p" cluster info 2>/dev/null || true)"
		case "$info" in
		*cluster_state:ok*) ;;
		*) return 1 ;;
		esac
	done
}

# launch starts $MASTERS nodes on free ports from $1 upwards, creates the
# cluster and waits for every node to report cluster_state:ok. It returns 1
# (after printing what each node logged) when any step fails, leaving the
# nodes it started for stop_nodes.
launch() {
	local port=$1 limit=$(($1 + 100)) n=0
	: >"$PORTS"
	while [ "$n" -lt "$MASTERS" ]; do
		if [ "$port" -gt "$limit" ]; then
			log "no free ports from $1 to $limit"
			return 1
		fi
		if taken "$port"; then
			port=$((port + 1))
			continue
		fi
		local dir="$STATE/node-$port"
		rm -rf "$dir"
		mkdir -p "$dir"
		echo "$port" >>"$PORTS"
		if ! redis-server --bind "$HOST" --port "$port" --daemonize yes \
			--cluster-enabled yes --cluster-config-file "$dir/nodes.conf" \
			--cluster-node-timeout 5000 --pidfile "$dir/redis.pid" --dir "$dir" \
			--appendonly no --save '' --logfile "$dir/redis.log" >&2; then
			log "redis-server on $HOST:$port did not start"
			return 1
		fi
		n=$((n + 1))
		port=$((port + 1))
	done
	local p ok
	for p in $(cat "$PORTS"); do
		ok=""
		for _ in $(seq 1 100); do
			if [ "$(ping "$p")" = PONG ]; then ok=1; break; fi
			sleep 0.1
		done
		if [ -z "$ok" ]; then
			log "redis-server on $HOST:$p did not answer PING"
			return 1
		fi
	done
	local nodes=()
	for p in $(cat "$PORTS"); do nodes+=("$HOST:$p"); done
	if ! redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes </dev/null >&2; then
		log "redis-cli --cluster create failed"
		return 1
	fi
	# Wait for every node to say cluster_state:ok, at most about 60 s.
	for _ in $(seq 1 600); do
		if cluster_ok; then
			return 0
		fi
		sleep 0.1
	done
	log "the cluster did not reach cluster_state:ok"
	return 1
}

# report prints, for every node of the last attempt, its cluster state and
# the end of its log, so that a failed start explains itself in CI's output.
report() {
	local p
	for p in $(cat "$PORTS" 2>/dev/null); do
		log "node $HOST:$p: $(redis-cli -h "$HOST" -p "$p" cluster info 2>&1 | grep -E '^cluster_(state|slots_assigned|known_nodes)' | tr -d '\r' | tr '\n' ' ')"
		tail -n 20 "$STATE/node-$p/redis.log" 2>/dev/null | sed "s/^/redis-cluster.sh: node $p: /" >&2 || true
	done
}

start() {
	install_redis
	if [ -f "$PORTS" ] && cluster_ok; then
		log "already running on $(addrs)"
		echo "export SESSIONSTORE_REDIS_CLUSTER_ADDRS=$(addrs)"
		return
	fi
	mkdir -p "$STATE"
	# Three attempts, each from a port range of its own: a range whose ports
	# are half taken by something that does not answer like Redis, or a node
	# that fails to join, does not fail the run.
	local attempt base
	for attempt in 1 2 3; do
		base=$((BASE + (attempt - 1) * 1000))
		if launch "$base"; then
			log "cluster up on $(addrs) (state $STATE)"
			echo "export SESSIONSTORE_REDIS_CLUSTER_ADDRS=$(addrs)"
			return
		fi
		log "attempt $attempt (ports from $base) failed; what the nodes say:"
		report
		stop_nodes
	done
	log "could not start a cluster"
	exit 1
}

# stop_nodes shuts down every node listed in $PORTS and waits for it.
stop_nodes() {
	local p pid pidfile
	for p in $(cat "$PORTS" 2>/dev/null); do
		pidfile="$STATE/node-$p/redis.pid"
		[ -f "$pidfile" ] || continue
		pid="$(cat "$pidfile")"
		if kill -0 "$pid" 2>/dev/null; then
			redis-cli -h "$HOST" -p "$p" shutdown nosave >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
			for _ in $(seq 1 100); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			if kill -0 "$pid" 2>/dev/null; then
				log "redis-server (pid $pid) did not stop; killing it"
				kill -9 "$pid" 2>/dev/null || true
			fi
		fi
	done
}

stop() {
	if [ ! -f "$PORTS" ]; then
		log "not running (no $PORTS)"
		return
	fi
	stop_nodes
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
