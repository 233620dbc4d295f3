#!/usr/bin/env bash
# Regenerates ../BENCHMARKS.md: runs the library's benchmarks (bench_test.go
# at the repository root) and this module's (peers_test.go) once, keeps the
# raw results in results/, and writes the machine, the Go version, the exact
# commands, the benchstat tables and the targets table (cmd/targets, from
# the medians of this run).
#
#   bash benchmarks/run.sh
#
# Settings (environment):
#   COUNT=6                      repetitions of every timed benchmark (benchstat
#                                needs >= 6 for its confidence intervals)
#   COUNT_ONCE=3                 repetitions of the footprint and purge-latency
#                                benchmarks, each of which fills its stores anew
#   BENCHTIME=300ms              -benchtime of the timed benchmarks
#   BENCHTIME_CREATE=2s          -benchtime of this module's Create benchmarks,
#                                long enough to average over Badger's memtable
#                                flushes and compactions
#   SESSIONSTORE_BENCH_LARGE=1   add the 1M-session sizes to this module's
#                                benchmarks and to the footprint and purge-latency
#                                benchmarks (the library's per-operation suite
#                                always runs at 1k and 100k here, to keep the run
#                                short); 0 to skip
#   SESSIONSTORE_REDIS_ADDR      a Redis server for the Redis backend's benchmarks;
#                                unset skips them
#   SESSIONSTORE_POSTGRES_URL    a PostgreSQL database for the Postgres backend's
#                                benchmarks (eval "$(bash .ci/postgres.sh start)");
#                                unset skips them
#   ONLY=json                    run only the JSON benchmarks (a minute) and rewrite
#                                only BENCHMARKS.md's JSON section, which then names
#                                its own run
#
# A full run takes about 45 minutes on 2 cores, most of it filling stores. Run it on a quiet machine:
# it prints the load average before and after, and BENCHMARKS.md records it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
COUNT="${COUNT:-6}"
COUNT_ONCE="${COUNT_ONCE:-3}"
BENCHTIME="${BENCHTIME:-300ms}"
BENCHTIME_CREATE="${BENCHTIME_CREATE:-2s}"
LARGE="${SESSIONSTORE_BENCH_LARGE:-1}"
results="$here/results"
mkdir -p "$results"

log() { echo "run.sh: $*" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime; }

load_before="$(loadavg)"
log "load average before: $load_before"

# Both test binaries are built first, so that every benchmark of the run
# measures the same source even while it is being edited.
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
log "building the test binaries in $bin"
(cd "$root" && go test -c -o "$bin/sessionstore.test" .)
[ "${ONLY:-}" = json ] || (cd "$root" && go test -c -o "$bin/badger.test" ./badger)
[ "${ONLY:-}" = json ] || (cd "$here" && go test -c -o "$bin/benchmarks.test" .)
source_rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
source_dirty="$(git -C "$root" status --porcelain 2>/dev/null | wc -l | tr -d ' ')"

# The commands, exactly as run (in the package's directory); BENCHMARKS.md
# lists them.
build_root="go test -c -o sessionstore.test ."
build_peers="go test -c -o benchmarks.test ."
build_badger="go test -c -o badger.test ."
cmd_suite="SESSIONSTORE_BENCH_LARGE=0 ./sessionstore.test -test.run '^\$' -test.bench '^Benchmark(Memory|BadgerDisk|BadgerInMemory|Redis|Postgres)\$' -test.benchtime $BENCHTIME -test.count $COUNT -test.timeout 0"
cmd_postgres="./sessionstore.test -test.run '^\$' -test.bench '^BenchmarkPostgresLookup\$' -test.benchtime $BENCHTIME -test.count $COUNT -test.timeout 0"
cmd_once="SESSIONSTORE_BENCH_LARGE=$LARGE ./sessionstore.test -test.run '^\$' -test.bench '^Benchmark(Footprint|SweepLatency)\$/(memory|badger|redis)/' -test.benchtime 1x -test.count $COUNT_ONCE -test.timeout 0"
cmd_peers="SESSIONSTORE_BENCH_LARGE=$LARGE ./benchmarks.test -test.run '^\$' -test.bench '^Benchmark(Lookup|Get)\$' -test.benchtime $BENCHTIME -test.count $COUNT -test.timeout 0"
cmd_one_customer="./badger.test -test.run '^\$' -test.bench '^BenchmarkCreateOneCustomer\$' -test.benchtime $BENCHTIME_CREATE -test.count $COUNT -test.timeout 0"
cmd_create="./benchmarks.test -test.run '^\$' -test.bench '^BenchmarkCreate\$' -test.benchtime $BENCHTIME_CREATE -test.count $COUNT -test.timeout 0"
# Every group edit rewrites or deletes 50 records, and a revoked group is
# created again between operations: a fixed number of operations keeps the
# run short.
cmd_groups="./benchmarks.test -test.run '^\$' -test.bench '^BenchmarkGroupEdit\$' -test.benchtime 200x -test.count $COUNT -test.timeout 0"
cmd_heap="SESSIONSTORE_BENCH_LARGE=$LARGE ./benchmarks.test -test.run '^\$' -test.bench '^BenchmarkHeap\$' -test.benchtime 1x -test.count $COUNT_ONCE -test.timeout 0"
# An authenticated request through sessionhttp on every backend, beside the
# bare handler, the bare Lookup and scs; every round runs them all, so that
# a busy spell hits the compared benchmarks alike.
cmd_http="./benchmarks.test -test.run '^\$' -test.bench '^BenchmarkHTTP\$' -test.benchmem -test.benchtime $BENCHTIME -test.count $COUNT -test.timeout 0"
# The JSON benchmarks are compared with each other, so their rounds are
# interleaved: a busy spell on a shared machine then hits both alike.
cmd_json="for i in \$(seq $COUNT); do ./sessionstore.test -test.run '^\$' -test.bench '^Benchmark(JSON|ParseTime)' -test.benchmem -test.count 1 -test.timeout 0; done"

run() { # package dir, output file, command (./X.test is $bin/X.test)
	log "in ${1#"$root"/}: $3"
	(cd "$1" && PATH="$bin:$PATH" SESSIONSTORE_BENCH_LARGE=0 bash -c "${3//.\//}") | tee "$2" >&2
}

# json_section writes BENCHMARKS.md's JSON section from results/json.txt,
# between markers that ONLY=json finds again; $1 is a note on its run.
json_section() {
	cat <<EOF
<!-- json: written by run.sh -->
## JSON decoding

\`json.Unmarshal\` of the example create response
(\`testdata/member-session-2026-04.json\`, compact) into a
\`MemberSession\` (JSONDecode) beside the same bytes into a plain struct
of the same shape without custom methods (JSONDecodePlain): what
encoding/json alone costs. The target is at most 1.5x its time and 2x its
allocations. ParseTime compares the timestamp parser with time.Parse.
\`go tool benchstat results/json.txt\`$1:

\`\`\`
$(benchstat results/json.txt)
\`\`\`
<!-- /json -->
EOF
}

if [ "${ONLY:-}" = json ]; then
	run "$root" "$results/json.txt" "$cmd_json"
	cd "$here"
	benchstat() { go tool benchstat "$@"; }
	note=" (this section only: \`ONLY=json bash benchmarks/run.sh\` on $(date -u +%Y-%m-%d), commit $source_rev with $source_dirty uncommitted paths, load average $load_before before and $(loadavg) after; the scs-memstore-find-decode rows above predate it)"
	json_section "$note" >"$bin/json.md"
	awk -v f="$bin/json.md" '
		/^<!-- json: written by run.sh -->$/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/^<!-- \/json -->$/ { skip = 0; next }
		!skip { print }
	' "$root/BENCHMARKS.md" >"$bin/BENCHMARKS.md"
	if ! grep -q '^<!-- json: written by run.sh -->$' "$root/BENCHMARKS.md"; then
		{ echo; cat "$bin/json.md"; } >>"$bin/BENCHMARKS.md"
	fi
	cp "$bin/BENCHMARKS.md" "$root/BENCHMARKS.md"
	log "rewrote the JSON section of $root/BENCHMARKS.md"
	exit 0
fi

run "$root" "$results/suite.txt" "$cmd_suite"
run "$root" "$results/postgres.txt" "$cmd_postgres"
run "$root" "$results/once.txt" "$cmd_once"
run "$here" "$results/peers.txt" "$cmd_peers"
run "$here" "$results/create.txt" "$cmd_create"
run "$root/badger" "$results/badger.txt" "$cmd_one_customer"
run "$here" "$results/groups.txt" "$cmd_groups"
run "$here" "$results/heap.txt" "$cmd_heap"
run "$here" "$results/http.txt" "$cmd_http"
run "$root" "$results/json.txt" "$cmd_json"

load_after="$(loadavg)"
log "load average after: $load_after"

cd "$here"
benchstat() { go tool benchstat "$@"; }
f_mem=".name:Lookup /impl:(floor OR scs-memstore-find OR scs-memstore-find-decode OR memory)"
f_badger=".name:Lookup /impl:(badger-raw-get OR badger-raw-get-nocopy OR badger OR scs-badgerstore-equiv-find OR scs-badgerstore-equiv-find-decode)"

cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
cores="$(nproc)"
redis_note="not set: the Redis benchmarks were skipped"
if [ -n "${SESSIONSTORE_REDIS_ADDR:-}" ]; then
	redis_note="set: Redis $(redis-cli -u "redis://$SESSIONSTORE_REDIS_ADDR" info server 2>/dev/null | sed -n 's/^redis_version://p' | tr -d '\r') on the same machine"
fi
postgres_note="not set: the Postgres benchmarks were skipped"
if [ -n "${SESSIONSTORE_POSTGRES_URL:-}" ]; then
	postgres_note="set: $(psql "$SESSIONSTORE_POSTGRES_URL" -Atc 'SHOW server_version' 2>/dev/null | sed 's/ .*//' | sed 's/^/PostgreSQL /') on the same machine"
fi

{
	cat <<EOF
# Benchmarks

Generated by \`benchmarks/run.sh\` on $(date -u +%Y-%m-%d) — do not edit by hand; rerun the script.

## Machine

- CPU: ${cpu:-unknown}, $cores cores (GOMAXPROCS $cores)
- OS: $(uname -sr)
- Go: $(go env GOVERSION) ($(go env GOOS)/$(go env GOARCH))
- Load average (1, 5, 15 min) before the run: $load_before; after: $load_after
- SESSIONSTORE_REDIS_ADDR: $redis_note
- SESSIONSTORE_POSTGRES_URL: $postgres_note
- Source: commit $source_rev with $source_dirty uncommitted paths (\`git status --porcelain\`)

## Commands

Both test binaries are built before anything runs, so that the whole run
measures one version of the source.

From the repository root (the library's benchmarks, \`bench_test.go\` and
\`json_bench_test.go\`):

\`\`\`sh
$build_root
$cmd_suite
$cmd_postgres
$cmd_once
$cmd_json
\`\`\`

From \`badger/\` (Creates of one customer from many goroutines,
\`bench_test.go\`):

\`\`\`sh
$build_badger
$cmd_one_customer
\`\`\`

From \`benchmarks/\` (the peers and floors, \`peers_test.go\`):

\`\`\`sh
$build_peers
$cmd_peers
$cmd_create
$cmd_groups
$cmd_heap
$cmd_http
go tool benchstat -col /impl results/peers.txt
go run ./cmd/targets results/*.txt
\`\`\`

The raw results are in \`benchmarks/results/\`; \`go tool benchstat\` in
\`benchmarks/\` (pinned by its go.mod) compares them with a later run.

## Workload

Every store holds *size* sessions shaped as \`storetest.Bench\` stores
them: a realistic team customer (\`storetest.NewCustomer\`: metadata,
billing address, tax ID; about 600 bytes as JSON) with 10 members of 5
sessions each, every session with a return URL, PortalURL set, a fake
clock, no sweeper. Filling is outside the timed loops. Sizes: 1k and 100k
sessions, and 1M for the peers, footprint and purge-latency benchmarks when
SESSIONSTORE_BENCH_LARGE=1 (this run: $LARGE).

Implementations (\`benchmarks/peers_test.go\`), side by side as
\`impl=NAME\`; \`run=serial\` is one goroutine, \`run=parallel\` GOMAXPROCS
goroutines (\`b.RunParallel\`), ns/op being wall time per operation:

- **floor**: SHA-256 of the token into a stack buffer, then a map read
  under a \`sync.RWMutex\`, returning the stored \`*Record\` (no copy).
- **scs-memstore-find(-decode)**: \`github.com/alexedwards/scs/v2\` memstore
  holding each session's JSON (Polar wire format, without token and portal
  URL) under its token; \`Find\`, then \`json.Unmarshal\` into a
  \`sessionstore.MemberSession\` as an application would. The decode goes
  through sessionstore's own \`MemberSession.UnmarshalJSON\`.
- **memory**: sessionstore's memory store, \`Lookup\` / \`Create\`.
- **badger**: sessionstore's Badger store (no SyncWrites), put with
  \`badger.New\` on a DB opened with the options of \`badger.Open\`
  (mirrored in \`rawOptions\`), so that the floors below read and write the
  same DB.
- **badger-raw-get**: on that DB, a read transaction, \`Get\` of the record
  key the store wrote (precomputed: no hashing) and \`ValueCopy\`: the same
  bytes the store decodes. **-nocopy** reads the value in place with
  \`item.Value\`, as the store does.
- **badger-raw-set**: on a DB filled the same way, one read-write
  transaction setting a record encoded with \`(*Record).MarshalBinary\` and
  its four index keys (ID, member, customer, expiry) under a new token hash
  and ID, in the store's key layout, committed without SyncWrites.
  **-counters** also reads and rewrites the member's and the customer's
  record counters in the transaction, as the store's \`Insert\` does.
- **scs-badgerstore-equiv-find(-decode)**: scs's badgerstore
  (\`github.com/alexedwards/scs/badgerstore\`) does not resolve here: the Go
  module proxy answers 403 for \`github.com/alexedwards/scs/badgerstore\` and
  for \`.../badgerstore/v4\`. The v1 module requires
  \`github.com/dgraph-io/badger v1.6.1\`, a different module path from
  \`badger/v4\`, so it would build beside it; upstream also has a
  \`badgerstore/v4\` module on \`badger/v4\`. Its \`Find\` is a read
  transaction, \`Get\` of \`"scs:session:" + token\` and \`ValueCopy\`; this
  reproduces exactly that on a DB opened with Badger's defaults, the
  sessions' JSON stored with a TTL as its \`Commit\` does.
- **postgres** / **raw-select** (\`BenchmarkPostgresLookup\` in
  \`bench_test.go\`): the Postgres store's \`Lookup\`, and on the same
  pool (pgx defaults: cached prepared statements) and table the statement
  it sends, \`SELECT record ... WHERE token_hash = \$1\`, by a
  precomputed hash, scanning the record's bytes without decoding them.
  The server runs on the same machine (\`.ci/postgres.sh\`: fsync off), so
  a round trip over loopback is most of both.
- **badger-/redis-update-customer**, **-revoke-customer**,
  **redis-revoke-member** (\`BenchmarkGroupEdit\`, \`groups_test.go\`):
  the store's group edits of one customer's 50 sessions (one member's 5);
  **-raw-rewrite** reads those 50 records and writes each back with one
  byte changed, decoding nothing (Badger: one transaction through the
  customer's index keys; Redis: one pipeline of HGETs and one MULTI/EXEC on
  the store's client), **-raw-delete** deletes them and their index keys
  (Badger: one transaction; Redis: one MULTI/EXEC). A revoked group is
  created again between operations, untimed. The Redis benchmarks count
  round trips with a go-redis hook on the store's client (round-trips/op).
- Under the race detector (CI's smoke run) the sizes shrink to 1k (10k for
  the footprint and purge benchmarks) and DeleteExpired purges 1,000.

## Targets

Ratios of medians from this run (\`go run ./cmd/targets\` on the nine
result files):

EOF
	go run ./cmd/targets "$results"/suite.txt "$results"/postgres.txt "$results"/once.txt "$results"/peers.txt "$results"/create.txt "$results"/groups.txt "$results"/heap.txt "$results"/badger.txt "$results"/http.txt
	cat <<EOF

$(cat "$root/benchmarks/limits.md")

## Peers and floors, side by side

\`go tool benchstat -col /impl -filter FILTER results/peers.txt\`, each
column compared with the first; empty cells were not run. The time of a
lookup grows with the store mostly through cache misses: the floor's too.

Lookups in memory (\`-filter '$f_mem'\`):

\`\`\`
$(benchstat -col /impl -filter "$f_mem" "$results/peers.txt")
\`\`\`

Lookups on Badger (\`-filter '$f_badger'\`):

\`\`\`
$(benchstat -col /impl -filter "$f_badger" "$results/peers.txt")
\`\`\`

Lookups on Postgres (\`go tool benchstat -col /impl results/postgres.txt\`;
empty when SESSIONSTORE_POSTGRES_URL was not set):

\`\`\`
$(benchstat -col /impl "$results/postgres.txt" 2>/dev/null || true)
\`\`\`

Create, 1k and 100k only, a new store for every run (\`go tool benchstat
-col /impl results/create.txt\`):

\`\`\`
$(benchstat -col /impl "$results/create.txt")
\`\`\`

Creates for the 200 members of one customer on Badger, from one goroutine
and from 4×GOMAXPROCS goroutines; retries/op counts the transactions Badger
made the store retry (\`go tool benchstat -col /run results/badger.txt\`):

\`\`\`
$(benchstat -col /run "$results/badger.txt")
\`\`\`

Group edits of one customer's 50 sessions (one member's 5 for
RevokeMember) in a store of 1k, beside raw rewrites and deletes of the same
records on the same DB or client; the Redis rows also count round trips
(\`go tool benchstat -col /impl -filter '/impl:/^BACKEND-/' results/groups.txt\`):

\`\`\`
$(benchstat -col /impl -filter '/impl:/^badger-/' "$results/groups.txt")
\`\`\`

\`\`\`
$(benchstat -col /impl -filter '/impl:/^redis-/' "$results/groups.txt" 2>/dev/null || true)
\`\`\`

## Authenticated HTTP requests

\`BenchmarkHTTP\` (\`benchmarks/http_test.go\`): a GET through
sessionhttp's Required with the session in a cookie, its handler writing the
member's email, on every backend, beside the bare handler (no session), the
store's bare Lookup and scs's LoadAndSave on its memstore; request and
response writer reused (\`go tool benchstat -col /impl -filter FILTER
results/http.txt\`, each column compared with the first):

\`\`\`
$(benchstat -col /impl -filter '/impl:(handler OR memory-lookup OR memory OR scs-memstore OR scs-memstore-decode)' "$results/http.txt")
\`\`\`

\`\`\`
$(for be in badger redis postgres; do benchstat -col /impl -filter "/impl:($be-lookup OR $be)" "$results/http.txt" 2>/dev/null || true; done)
\`\`\`

Each backend's lookup, the bare handler and the request timed within one
operation (BACKEND-paired: request-ns/op, lookup-ns/op, handler-ns/op and
the ratio request/(lookup+handler) of each run; \`-filter
'/impl:/-paired\$/'\`):

\`\`\`
$(benchstat -filter '/impl:/-paired$/' "$results/http.txt")
\`\`\`

## Heap per session

\`go tool benchstat -col /impl results/heap.txt\` (ns/op is the time to fill
the store):

\`\`\`
$(benchstat -col /impl "$results/heap.txt")
\`\`\`

## Every store operation, every backend

\`go tool benchstat results/suite.txt\` (\`storetest.Bench\`; LookupHit's
retained-allocs/op are the heap objects of the returned session,
transient-allocs/op the allocations besides it):

\`\`\`
$(benchstat "$results/suite.txt")
\`\`\`

## Footprint and purge latency

\`go tool benchstat results/once.txt\`: heap-B/session (memory backend, live
heap after GC), disk-B/session (Badger directory after Close, as \`du\`
counts it); SweepLatency's ns/op is the purge of 10% expired sessions while
GOMAXPROCS-1 goroutines look up live ones, max-lookup-us the longest of
those lookups and p999-lookup-us their 99.9th percentile;
idle-max-lookup-us is the longest lookup in the last 200 ms before the
purge, once the store has settled from being filled (see
\`BenchmarkSweepLatency\`):

\`\`\`
$(benchstat "$results/once.txt")
\`\`\`

$(cat "$root/benchmarks/measurements.md")

EOF
	json_section ""
} >"$root/BENCHMARKS.md"

log "wrote $root/BENCHMARKS.md"
